/**
 * What a picture was made with, beside the graph that made it: a second iTXt chunk (keyword
 * `unclip-studio/provenance`, zlib-compressed JSON) in every PNG the product writes. It names the
 * product's version, the onnxruntime build and version, the backends the models ran on, and each
 * model the picture needed (id, sha256, size, where it came from, where it ran), so a picture made
 * again elsewhere can say why its bits differ before anyone compares them.
 *
 * A PNG is untrusted input: the chunk is capped (64 kB inflated), every field is checked here, and
 * a chunk that fails is never fatal: readProvenance returns a notice and no record.
 */
import { z } from 'zod';
import { quoteValue } from '../tensor/quote';
import { embedText, extractText, PngGraphError } from './png-graph';
import { lockedModelSchema } from './document';

export const PNG_PROVENANCE_KEYWORD = 'unclip-studio/provenance';
export const PROVENANCE_FORMAT = 'unclip-studio/provenance';
export const PROVENANCE_VERSION = 1;
/** Most bytes of provenance JSON a PNG may carry: 500 models fit with room to spare. */
export const MAX_PNG_PROVENANCE_BYTES = 64 * 1024;

/** Where a model ran: onnxruntime-web's WASM or WebGPU, native onnxruntime-node on the CPU, or CUDA. */
export const EXECUTION_BACKENDS = ['wasm', 'webgpu', 'cpu', 'cuda'] as const;
export type ExecutionBackend = (typeof EXECUTION_BACKENDS)[number];
/** How a backend is named to a user. */
export const BACKEND_NAMES: Record<ExecutionBackend, string> = {
  wasm: 'WASM',
  webgpu: 'WebGPU',
  cpu: 'native CPU',
  cuda: 'CUDA',
};

const versionText = z
  .string()
  .max(40)
  .regex(/^[0-9A-Za-z][0-9A-Za-z.+-]*$/, 'must be a version such as 1.30.0');
/** A flattened node id: `node`, or `instance/inner` inside a subgraph. */
const flatNodeId = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_-]{0,63}(?:\/[A-Za-z_][A-Za-z0-9_-]{0,63}){0,16}$/,
    'must be a node id (letters, digits, _ and -; "/" inside a subgraph)',
  );

/** One model the picture needed: as the graph's model lock names it, plus where it ran. */
export const provenanceModelSchema = lockedModelSchema.extend({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,199}$/, 'must be a model id'),
  backend: z.enum(EXECUTION_BACKENDS).optional(),
});

export const provenanceSchema = z.strictObject({
  format: z.literal(PROVENANCE_FORMAT),
  version: z.literal(PROVENANCE_VERSION),
  product: z.strictObject({ name: z.literal('unclip-studio'), version: versionText }),
  /** The onnxruntime build the engine runs models with; null where the engine has no models. */
  runtime: z.strictObject({ name: z.enum(['onnxruntime-web', 'onnxruntime-node']), version: versionText }).nullable(),
  /** The backends the picture's models ran on, sorted (empty when it needed no model). */
  backends: z.array(z.enum(EXECUTION_BACKENDS)).max(EXECUTION_BACKENDS.length),
  /** The models upstream of the picture, sorted by id then source. */
  models: z.array(provenanceModelSchema).max(500),
  /** Which output this picture is: node, port and index in its batch. */
  picture: z
    .strictObject({
      node: flatNodeId,
      port: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a port name'),
      index: z.number().int().min(0).max(1_000_000),
    })
    .optional(),
});

export type Provenance = z.infer<typeof provenanceSchema>;
export type ProvenanceModel = z.infer<typeof provenanceModelSchema>;

/** A provenance record or why there is none, never a throw: a bad chunk costs its record, not the PNG. */
export interface ProvenanceRead {
  provenance: Provenance | null;
  /** Set when the PNG carries a provenance chunk that cannot be used, saying why (nothing quoted whole). */
  notice?: string;
}

/** The record as canonical JSON (models and backends sorted), so equal recipes write equal bytes. */
export function serializeProvenance(p: Provenance): string {
  const models = [...p.models].sort((a, b) => (a.id === b.id ? cmp(a.source, b.source) : cmp(a.id, b.id)));
  return JSON.stringify({ ...p, backends: [...p.backends].sort(), models });
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A PNG with the provenance record added (an earlier provenance chunk is replaced). */
export function embedProvenance(png: Uint8Array, p: Provenance): Uint8Array {
  return embedText(png, PNG_PROVENANCE_KEYWORD, serializeProvenance(p));
}

/** Checks a parsed value as a provenance record: the record, or a notice naming each problem briefly. */
export function parseProvenance(raw: unknown): ProvenanceRead {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const { format, version } = raw as { format?: unknown; version?: unknown };
    if (format === PROVENANCE_FORMAT && typeof version === 'number' && version > PROVENANCE_VERSION)
      return {
        provenance: null,
        notice: `its provenance is version ${version}, from a newer product (this one reads ${PROVENANCE_VERSION})`,
      };
  }
  const parsed = provenanceSchema.safeParse(raw);
  if (parsed.success) return { provenance: parsed.data };
  const problems = parsed.error.issues.slice(0, 5).map((issue) => {
    const field = issue.path.map(String).join('.');
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys
            .slice(0, 3)
            .map((k) => quoteValue(k, 40))
            .join(', ')}`
        : issue.message;
    // a path holds only the schema's own field names and array indexes: nothing from the file
    return field ? `${field}: ${message}` : message;
  });
  const more = parsed.error.issues.length > 5 ? ` (and ${parsed.error.issues.length - 5} more)` : '';
  return { provenance: null, notice: `its provenance is invalid: ${problems.join('; ')}${more}` };
}

/**
 * The provenance record a PNG carries: `{ provenance: null }` when it carries none, and a notice (never a throw)
 * when its chunk is corrupt, too big, not JSON or not a valid record.
 */
export function readProvenance(png: Uint8Array): ProvenanceRead {
  let text: string | null;
  try {
    text = extractText(png, PNG_PROVENANCE_KEYWORD, MAX_PNG_PROVENANCE_BYTES, 'provenance');
  } catch (e) {
    if (e instanceof PngGraphError) return { provenance: null, notice: e.message };
    throw e;
  }
  if (text === null) return { provenance: null };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // never the parser's message: it quotes the text
    return { provenance: null, notice: 'its provenance is not valid JSON' };
  }
  return parseProvenance(raw);
}
