/** What runs one node: its context, what a bypassed node passes on, the checks on what it returns. */
import type { GraphDocument } from '../graph/document';
import { NodeError } from '../graph/errors';
import { canConnect } from '../graph/ports';
import { subgraphSpecs } from '../graph/subgraph';
import { countNonFinite } from '../tensor/tensor';
import type { NodeDefinition, RunContext } from '../node-api/define';
import type { NodeEvent } from './events';
import { previewOf } from './preview';
import type { EngineServices } from '../node-api/services';
import { checkPortValue, floatTensorsOf } from '../node-api/values';

/**
 * The registry plus a loaded (already validated) graph's subgraph types: each instance runs as a
 * pass-through of its inner outputs after flattening.
 */
export function withSubgraphTypes(
  registry: ReadonlyMap<string, NodeDefinition>,
  doc: GraphDocument,
): ReadonlyMap<string, NodeDefinition> {
  if (!doc.subgraphs || !Object.keys(doc.subgraphs).length) return registry;
  const { specs } = subgraphSpecs(doc, registry, () => []); // validated by parseGraph already
  const defs = new Map(registry);
  for (const [type, spec] of specs) defs.set(type, { ...spec, run: (inputs) => ({ ...inputs }) });
  return defs;
}

/** The context a node's run gets: abort signal, services, progress events with previews. */
export function runContext(
  nodeId: string,
  nodeType: string,
  signal: AbortSignal,
  services: EngineServices,
  emit: (e: Omit<NodeEvent, 'runId'>) => void,
  note: RunContext['note'] = () => undefined,
): RunContext {
  return {
    nodeId,
    nodeType,
    signal,
    services,
    note,
    throwIfAborted: () => {
      signal.throwIfAborted();
    },
    progress: (fraction, info) => {
      emit({
        nodeId,
        status: 'running',
        progress: Math.max(0, Math.min(1, fraction)),
        step: info?.step,
        steps: info?.steps,
        ...(info?.label ? { label: info.label } : {}),
        preview: info?.preview ? previewOf(info.preview, 0, 128) : undefined,
      });
    },
  };
}

export function bypassOutputs(
  def: NodeDefinition,
  inputs: Record<string, unknown>,
  nodeId: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [port, type] of Object.entries(def.outputs)) {
    const source = Object.entries(def.inputs).find(
      ([name, spec]) => canConnect(spec.type, type) && inputs[name] !== undefined,
    );
    if (!source)
      throw new NodeError(nodeId, `cannot bypass: no connected input of type ${type} to pass through to "${port}"`);
    out[port] = inputs[source[0]];
  }
  return out;
}

export function checkOutputs(def: NodeDefinition, nodeId: string, outputs: Record<string, unknown>): void {
  for (const [port, type] of Object.entries(def.outputs)) {
    const value = outputs[port];
    if (value === undefined) throw new NodeError(nodeId, `produced no value for output "${port}"`, `outputs.${port}`);
    const problem = checkPortValue(type, value);
    if (problem) throw new NodeError(nodeId, `output "${port}" ${problem}`, `outputs.${port}`);
    for (const [path, t] of floatTensorsOf(value)) {
      const bad = countNonFinite(t);
      if (bad > 0)
        throw new NodeError(
          nodeId,
          `output "${port}"${path ? ` (${path})` : ''} has ${bad} NaN or infinite value${bad > 1 ? 's' : ''}`,
          `outputs.${port}`,
        );
    }
  }
}
