/** `<nodeId>.<param>=<value>` assignments (`--set`, a sweep's grid points), applied the same way everywhere. */
import type { Remote } from 'comlink';
import type { EngineApi, NodeInfo } from './api';
import { coerceParam, type ParamSchema } from '../graph/params';
import { quoteValue } from '../tensor/quote';

export interface ParamSet {
  nodeId: string;
  param: string;
  value: string;
  /** As the user wrote it, for messages. */
  raw: string;
}

const PARAM_REF = '([A-Za-z_][A-Za-z0-9_-]*)\\.([A-Za-z_][A-Za-z0-9_]*)';
export const SET_PATTERN = new RegExp(`^${PARAM_REF}=([\\s\\S]*)$`);
const PARAM_REF_PATTERN = new RegExp(`^${PARAM_REF}$`);

/** Parses `<nodeId>.<param>` (a sweep's axis, a job's point), or null. */
export function parseParamRef(name: string): { nodeId: string; param: string } | null {
  const m = PARAM_REF_PATTERN.exec(name);
  return m ? { nodeId: m[1]!, param: m[2]! } : null;
}

/** Parses `<nodeId>.<param>=<value>`, or null. */
export function parseSet(raw: string): ParamSet | null {
  const m = SET_PATTERN.exec(raw);
  return m ? { nodeId: m[1]!, param: m[2]!, value: m[3]!, raw } : null;
}

type Api = Remote<EngineApi> | EngineApi;

/**
 * Applies assignments to the graph loaded in `api`, each validated against its node's param
 * schema. Returns the first problem as a sentence naming the node and param, or null.
 */
export async function applySets(
  api: Api,
  catalog: ReadonlyMap<string, NodeInfo>,
  nodeTypes: ReadonlyMap<string, string>,
  sets: readonly ParamSet[],
  flag = '--set',
): Promise<string | null> {
  for (const set of sets) {
    const s = { ...set, raw: set.raw.length > 80 ? quoteValue(set.raw, 80) : set.raw };
    const type = nodeTypes.get(s.nodeId);
    if (!type)
      return `${flag} ${s.raw}: node "${s.nodeId}" is not in the graph (it has ${[...nodeTypes.keys()].join(', ')})`;
    const spec = catalog.get(type);
    if (!spec) return `${flag} ${s.raw}: node "${s.nodeId}" is a placeholder (unknown type ${quoteValue(type)})`;
    const info = Object.hasOwn(spec.params, s.param) ? spec.params[s.param] : undefined;
    if (!info)
      return (
        `${flag} ${s.raw}: node "${s.nodeId}" (${type}) has no param "${s.param}" (it has ` +
        `${Object.keys(spec.params).join(', ') || 'none'})`
      );
    // coerce to the param's kind here; the engine checks the range with the param's own schema
    const coerced = coerceParam(
      { ...info, schema: { safeParse: () => ({ success: true }) } } as unknown as ParamSchema,
      s.value,
    );
    if ('error' in coerced) return `${flag} ${s.raw}: node "${s.nodeId}" param "${s.param}": ${coerced.error}`;
    try {
      await api.setParam(s.nodeId, s.param, coerced.value);
    } catch (e) {
      return `${flag} ${s.raw}: ${(e as Error).message}`;
    }
  }
  return null;
}
