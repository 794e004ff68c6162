import { Position, type NodeHandle } from '@xyflow/react';
import type { GraphNode } from '../graph/document';
import type { NodeInfo, ParamInfo } from '../engine/api';

/**
 * The box and port dots of a graph node as drawn (NodeView), from its definition alone: what the canvas gives React
 * Flow for a node it has not drawn yet, so a big graph's nodes out of view are culled from the first frame instead
 * of each being rendered once to be measured (React Flow renders every node without known handles). Drawn, a node
 * is measured (React Flow's resize observer forces it) and these give way to its real size and handles.
 *
 * Measured in Chromium (the default graph): a title of one line is 26 px (17 more a wrapped line), the first port's
 * dot is 14 px below it, the next ones 19.6 px apart, 8 px of padding; a param's label and field about 44 px under
 * 11 of padding; nodes are 190-280 px wide. The sizes err a little on the large side (a node is not culled while a
 * part of it shows) and are what the overview far out draws (FarOverview) for nodes never drawn.
 */
export const TITLE_PX = 26;
const TITLE_LINE_PX = 17;
const TITLE_CHARS = 22;
const FIRST_PORT_PX = 14;
const PORT_PX = 19.6;
const DOT = 10;
const WIDTH_PX = 280;
const MIN_WIDTH_PX = 190;
const PORTS_PAD_PX = 8;
const PARAMS_PAD_PX = 11;
/** a param's label and field; a text box's every line after the first */
const PARAM_PX = 45;
const TEXT_LINE_PX = 18;
const STATUS_PX = 4;

export interface NodeEstimate {
  /** React Flow's `measured`: a node with a size is not drawn just to be measured, and counts as initialized */
  measured: { width: number; height: number };
  handles: NodeHandle[];
}

/** A param drawn only with another one set (shownWith) while neither is: left off the node (NodeView). */
export function hiddenParam(p: ParamInfo, name: string, params: Record<string, unknown> | undefined): boolean {
  if (!p.shownWith) return false;
  const other = params?.[p.shownWith];
  const own = params?.[name];
  return (other === undefined || other === '') && (own === undefined || own === p.default);
}

/**
 * `read`: the node's outputs other nodes read. Its ports as drawn: its type's, and (as a placeholder draws them, an
 * unknown type or one that lost a port) the inputs it has wired and the outputs read from it, so their wires have
 * their ends while it is out of view.
 */
export function estimateNode(node: GraphNode, info: NodeInfo | undefined, read: Iterable<string> = []): NodeEstimate {
  const label = node.ui?.label ?? info?.title ?? node.type;
  const title = TITLE_PX + TITLE_LINE_PX * Math.max(0, Math.ceil(label.length / TITLE_CHARS) - 1);
  const inputs = [...new Set([...Object.keys(info?.inputs ?? {}), ...Object.keys(node.inputs ?? {})])];
  const outputs = [...new Set([...Object.keys(info?.outputs ?? {}), ...read])];
  // the params drawn, a text box with up to 6 lines of its text (widgets.tsx)
  let params = 0;
  for (const [name, p] of Object.entries(info?.params ?? {})) {
    if (hiddenParam(p, name, node.params)) continue;
    const text = String(node.params?.[name] ?? p.default ?? '');
    const lines = 'multiline' in p && p.multiline ? Math.min(6, Math.max(2, text.split('\n').length)) : 1;
    params += PARAM_PX + TEXT_LINE_PX * (lines - 1);
  }
  // with params a node is drawn up to its widest; without, about as wide as its title (at least 190 px)
  const width = params ? WIDTH_PX : Math.min(WIDTH_PX, Math.max(MIN_WIDTH_PX, 90 + 8 * label.length));
  const at = (i: number) => Math.round(title + FIRST_PORT_PX + PORT_PX * i - DOT / 2);
  const handles: NodeHandle[] = [
    ...inputs.map((id, i) => ({ id, type: 'target' as const, position: Position.Left, x: -DOT / 2, y: at(i) })),
    ...outputs.map((id, i) => ({
      id,
      type: 'source' as const,
      position: Position.Right,
      x: width - DOT / 2,
      y: at(i),
    })),
  ].map((h) => ({ ...h, width: DOT, height: DOT }));
  const rows = Math.max(inputs.length, outputs.length, 1);
  const height = title + PORTS_PAD_PX + PORT_PX * rows + (params ? PARAMS_PAD_PX + params : 0) + STATUS_PX;
  return { measured: { width, height: Math.round(height) }, handles };
}
