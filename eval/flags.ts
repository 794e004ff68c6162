import { createRegistry } from '../nodes/index';
import { coerceParam } from '../src/graph/params';
import { quoteValue } from '../src/tensor/quote';

const registry = createRegistry();

/**
 * A research CLI's flag that sets a node's param (`--graph-guidance`, `--decoder-steps`, ...), checked by that
 * param's own schema, as `--set` is: one range for a setting everywhere. Undefined when the flag is not given;
 * otherwise the value, or an Error naming the tool, the flag and the param.
 */
export function nodeParamFlag(
  tool: string,
  flag: string,
  raw: string | undefined,
  nodeType: string,
  param: string,
): number | undefined {
  if (raw === undefined) return undefined;
  const schema = registry.get(nodeType)?.params[param];
  if (!schema) throw new Error(`${tool}: --${flag} sets ${nodeType}'s ${param}, which that node does not have`);
  const r = coerceParam(schema, raw);
  if ('error' in r) {
    const got = r.error.startsWith('must') ? `, got ${quoteValue(raw, 30)}` : '';
    throw new Error(`${tool}: --${flag} (${nodeType}'s ${param}): ${r.error}${got}`);
  }
  return Number(r.value);
}
