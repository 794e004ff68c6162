import type { Connection, Edge } from '@xyflow/react';
import { connectionRefusal, isPortType } from '../graph/ports';
import { IN_NODE, NEW_PORT, OUT_NODE, currentDef, scopeOf } from './scope';
import { selectCatalog, useEditor } from './store';

/** A port's type on the canvas shown (a subgraph's Inputs and Outputs nodes too); undefined if it has none. */
export function portTypeOf(nodeId: string, port: string, side: 'source' | 'target'): string | undefined {
  const s = useEditor.getState();
  const def = currentDef(s.doc, s.view);
  // inside a subgraph: its inputs are outputs of the Inputs node, its outputs inputs of the Outputs node
  if (def && nodeId === IN_NODE) return port === NEW_PORT ? 'any' : def.inputs?.[port]?.type;
  if (def && nodeId === OUT_NODE) return 'any';
  const node = scopeOf(s.doc, s.view).nodes.find((n) => n.id === nodeId);
  const info = node && selectCatalog(s).get(node.type);
  if (!info) return undefined;
  return side === 'source' ? info.outputs[port] : info.inputs[port]?.type;
}

/** Why a connection is refused (or null): types, self-loops. */
export function refusalOf(c: Connection | Edge): string | null {
  if (!c.source || !c.target || !c.sourceHandle || !c.targetHandle) return 'incomplete connection';
  if (c.source === c.target) return 'a node cannot feed itself';
  if (c.source === IN_NODE && c.target === OUT_NODE) return "a subgraph's input cannot be its output directly";
  const from = portTypeOf(c.source, c.sourceHandle, 'source');
  const to = portTypeOf(c.target, c.targetHandle, 'target');
  if (from === 'any' || to === 'any') return from && to ? null : 'unknown port';
  if (!from || !to || !isPortType(from) || !isPortType(to)) return 'unknown port';
  return connectionRefusal(from, to);
}
