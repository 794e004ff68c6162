import { quoteValue } from '../tensor/quote';
import { z } from 'zod';

/**
 * Param schemas: one description per param that both draws the editor's
 * widget and validates values (through its zod schema, which writes the
 * error messages).
 */
interface ParamBase<K extends string, V> {
  kind: K;
  default: V;
  label?: string;
  description?: string;
  /**
   * Drawn on the node only once this other param is set (not empty, not its default) or this one is: a setting
   * that means something only then (a model folder's dtype) does not crowd every node of its type.
   */
  shownWith?: string;
  schema: z.ZodType<V>;
}
export interface NumberParam extends ParamBase<'number', number> {
  min: number;
  max: number;
  step: number;
}
export interface IntegerParam extends ParamBase<'integer', number> {
  min: number;
  max: number;
}
export interface StringParam extends ParamBase<'string', string> {
  multiline: boolean;
  maxLength: number;
  /** The value names a file or URL the node reads (held in the editor until the user allows it). */
  reference?: boolean;
  /** Painted in the inspector (a mask as run-length text), not typed: the node shows a summary. */
  painted?: boolean;
  /**
   * A model id of these kinds (a manifest `kind`, "clip" for a CLIP text + image pair): the editor lists the
   * manifest's models of these kinds, those the node's wires need first; any id may still be typed.
   */
  models?: readonly string[];
}
export interface EnumParam extends ParamBase<'enum', string> {
  options: readonly string[];
}
export type BooleanParam = ParamBase<'boolean', boolean>;
export type SeedParam = ParamBase<'seed', number>;
export type ParamSchema = NumberParam | IntegerParam | StringParam | EnumParam | BooleanParam | SeedParam;
export type ParamValue = number | string | boolean;
export type ParamsOf<P extends Record<string, ParamSchema>> = { [K in keyof P]: P[K]['default'] };

type Meta = { label?: string; description?: string; shownWith?: string };
export const MAX_SEED = 2 ** 32 - 1;

export function number(o: Meta & { min: number; max: number; step?: number; default: number }): NumberParam {
  return {
    kind: 'number',
    ...o,
    step: o.step ?? (o.max - o.min) / 100,
    schema: z
      .number({ error: 'must be a number' })
      .refine(Number.isFinite, { error: 'must be a finite number' })
      .refine((v) => v >= o.min && v <= o.max, { error: `must be between ${o.min} and ${o.max}` }),
  };
}

export function integer(o: Meta & { min: number; max: number; default: number }): IntegerParam {
  return {
    kind: 'integer',
    ...o,
    schema: z
      .number({ error: 'must be a number' })
      .refine(Number.isInteger, { error: 'must be an integer' })
      .refine((v) => v >= o.min && v <= o.max, { error: `must be between ${o.min} and ${o.max}` }),
  };
}

export function string(
  o: Meta & {
    default: string;
    multiline?: boolean;
    maxLength?: number;
    reference?: boolean;
    painted?: boolean;
    models?: readonly string[];
  },
): StringParam {
  const maxLength = o.maxLength ?? 10_000;
  return {
    kind: 'string',
    ...o,
    multiline: o.multiline ?? false,
    maxLength,
    schema: z
      .string({ error: 'must be a string' })
      .max(maxLength, { error: `must be at most ${maxLength} characters` }),
  };
}

export function enumeration<const T extends readonly [string, ...string[]]>(
  o: Meta & { options: T; default: T[number] },
): EnumParam {
  return {
    kind: 'enum',
    ...o,
    schema: z
      .string({ error: 'must be a string' })
      .refine((v) => o.options.includes(v), { error: `must be one of ${o.options.map((x) => `"${x}"`).join(', ')}` }),
  };
}

export function boolean(o: Meta & { default: boolean }): BooleanParam {
  return { kind: 'boolean', ...o, schema: z.boolean({ error: 'must be true or false' }) };
}

export function seed(o: Meta & { default?: number } = {}): SeedParam {
  return {
    kind: 'seed',
    ...o,
    default: o.default ?? 0,
    schema: z
      .number({ error: 'must be a number' })
      .refine(Number.isInteger, { error: 'must be an integer' })
      .refine((v) => v >= 0 && v <= MAX_SEED, { error: `must be between 0 and ${MAX_SEED}` }),
  };
}

/** The error message for a value, or null when valid. */
export function checkParam(schema: ParamSchema, value: unknown): string | null {
  const r = schema.schema.safeParse(value);
  return r.success ? null : (r.error.issues[0]?.message ?? 'invalid value');
}

/**
 * Converts a command-line string to the param's type (for `--set`).
 * Returns the value or an error message.
 */
export function coerceParam(schema: ParamSchema, text: string): { value: ParamValue } | { error: string } {
  let value: ParamValue;
  switch (schema.kind) {
    case 'number':
    case 'integer':
    case 'seed':
      if (text.trim() === '' || Number.isNaN(Number(text))) return { error: `${quoteValue(text, 30)} is not a number` };
      value = Number(text);
      break;
    case 'boolean':
      if (text !== 'true' && text !== 'false') return { error: `${quoteValue(text, 30)} is not true or false` };
      value = text === 'true';
      break;
    default:
      value = text.replace(/\\n/g, '\n');
  }
  const error = checkParam(schema, value);
  return error ? { error } : { value };
}
