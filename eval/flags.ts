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

/** A numeric flag's rule: whole numbers or any, within [min, max]. */
export type NumberRule = { int: boolean; min: number; max: number };
export const int = (min: number, max = Number.MAX_SAFE_INTEGER): NumberRule => ({ int: true, min, max });
export const num = (min: number, max = Number.MAX_VALUE): NumberRule => ({ int: false, min, max });

/**
 * The research CLIs' numeric flags, checked before anything loads: one rule per flag, one message form
 * (`<tool>: --<flag> must be ...`). Flags left out of `rules` are not numbers.
 */
export function checkFlags(tool: string, values: Record<string, unknown>, rules: Record<string, NumberRule>): void {
  for (const [flag, rule] of Object.entries(rules)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    const kind = rule.int ? 'an integer' : 'a number';
    const range = rule.max < Number.MAX_SAFE_INTEGER ? ` in [${rule.min}, ${rule.max}]` : ` >= ${rule.min}`;
    if (!Number.isFinite(v) || (rule.int && !Number.isInteger(v)) || v < rule.min || v > rule.max)
      throw new Error(`${tool}: --${flag} must be ${kind}${range}, got ${quoteValue(String(raw), 30)}`);
  }
}

/** checkFlags for a command's top level: a refused flag prints its one-line message and exits 2 (no stack). */
export function checkFlagsOrExit(tool: string, values: Record<string, unknown>, rules: Record<string, NumberRule>) {
  try {
    checkFlags(tool, values, rules);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
}
