import { z } from 'zod';
import { locationProblem } from './onnx-external';

/** public/models/manifest.json: the models the engine can load, with everything needed to check and feed them. */
export const MANIFEST_FORMAT = 'unclip-studio/models';

const dim = z.union([z.number().int().nonnegative(), z.string()]);
const ioSchema = z.strictObject({
  name: z.string(),
  /** What the pipeline feeds and reads; a session whose file declares float16 there is converted at the edge. */
  dtype: z.enum(['float32', 'int64', 'int32']),
  shape: z.array(dim),
  description: z.string().optional(),
  /** Used when the ONNX file has it (optimum's attention_mask): a file without it still fits. */
  optional: z.boolean().optional(),
  /**
   * What the pipelines feed it as, when the file's name is not ours (a published U-Net's `sample` is our `x_t`):
   * our input names are the roles (DIFFUSION_ROLES in diffusers-layout.ts). Absent: the name is the role.
   */
  role: z.string().optional(),
});

export const tokenizerSchema = z
  .strictObject({
    type: z.enum(['word', 'clip-bpe', 'tokenizer-json']),
    /**
     * Paths relative to the manifest. word: a JSON word -> id map, or a tokenizer.json with a WordLevel model;
     * clip-bpe: vocab.json (+ merges); tokenizer-json: a tokenizer.json read by @huggingface/tokenizers.
     */
    vocab: z.string(),
    merges: z.string().optional(),
    /** tokenizer-json: tokenizer_config.json beside it, when the folder has one. */
    config: z.string().optional(),
    contextLength: z.number().int().positive(),
    /** word and clip-bpe; a tokenizer.json says its own. */
    specialTokens: z.strictObject({ start: z.string(), end: z.string(), pad: z.string() }).optional(),
  })
  .refine((t) => t.type === 'tokenizer-json' || t.specialTokens, {
    error: 'a word or clip-bpe tokenizer needs specialTokens',
    path: ['specialTokens'],
  });

/**
 * How pictures become the image encoder's input: Hugging Face's CLIPImageProcessor steps (preprocessor_config.json)
 * on our [0, 1] pixels. Without resize, crop and rescale (the bundled models): a bilinear resize to size x size.
 */
export const preprocessingSchema = z.strictObject({
  /** The side of the square the encoder takes. */
  size: z.number().int().positive(),
  mean: z.array(z.number()).length(3),
  std: z.array(z.number()).length(3),
  layout: z.literal('NCHW'),
  /** Resize so the shorter side is shortestEdge (aspect kept), or to height x width. */
  resize: z
    .union([
      z.strictObject({ shortestEdge: z.number().int().positive() }),
      z.strictObject({ height: z.number().int().positive(), width: z.number().int().positive() }),
    ])
    .optional(),
  resample: z.enum(['bilinear', 'bicubic']).optional(),
  /** Centre crop (after resizing), as Hugging Face's center_crop: top = (h - height) // 2. */
  crop: z.strictObject({ height: z.number().int().positive(), width: z.number().int().positive() }).optional(),
  /** rescale_factor for 0..255 pixels: ours in [0, 1] are multiplied by 255 * rescale. */
  rescale: z.number().positive().optional(),
});

export const modelEntrySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  kind: z.enum([
    'clip-text',
    'clip-image',
    'clip-noised',
    'prior',
    'ar-prior',
    'decoder',
    'upsampler',
    'dvae-encoder',
    'dvae-decoder',
    'dalle',
  ]),
  title: z.string(),
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  /**
   * The files the ONNX file keeps weights in (external data, needed above 2 GB): each `location` as the model's
   * tensors write it (relative to the model file's folder), with its sha256 and size, checked like the file.
   */
  externalData: z
    .array(
      z.strictObject({
        location: z.string().min(1).max(500),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        bytes: z.number().int().nonnegative(),
      }),
    )
    .max(256)
    .optional(),
  world: z.string().optional(),
  /** The id of the other half of a CLIP pair and the shared embedding size. */
  pair: z.string().optional(),
  embedDim: z.number().int().positive().optional(),
  inputs: z.array(ioSchema).min(1),
  outputs: z.array(ioSchema).min(1),
  preprocessing: preprocessingSchema.optional(),
  tokenizer: tokenizerSchema.optional(),
  /**
   * Diffusion models: how to sample them. `scheduler` holds diffusers' scheduler_config.json fields (read by
   * src/models/samplers/scheduler-config.ts); the older schedule, trainSteps and parameterization stand for the
   * config our bundled models have always been sampled with (docs/models.md, "Scheduler config").
   */
  diffusion: z
    .strictObject({
      scheduler: z.record(z.string(), z.unknown()).optional(),
      /** Where `scheduler` was read from (a folder's scheduler/scheduler_config.json), for its errors. */
      schedulerFile: z.string().optional(),
      schedule: z.literal('cosine').optional(),
      trainSteps: z.number().int().positive().optional(),
      parameterization: z.enum(['eps', 'v', 'x0']).optional(),
      /** The CLIP model whose embeddings and caption features it was trained on. */
      clip: z.string().optional(),
      /** Prior: embeddings are multiplied by this before diffusion (unit variance per coordinate). */
      embedScale: z.number().positive().optional(),
      resolution: z.number().int().positive().optional(),
      conditioning: z.string().optional(),
    })
    .optional(),
  /** DALL·E models: the dVAE's codebook and grid; the transformer's cache layout. */
  dalle: z
    .strictObject({
      /** Codebook size K and the grid side (grid x grid codes per picture). */
      codes: z.number().int().min(2).max(65536),
      grid: z.number().int().min(1).max(64),
      /** The dVAE's picture side in pixels. */
      resolution: z.number().int().positive(),
      /** Transformer: word ids come first, image code c is textVocab + c. */
      textVocab: z.number().int().positive().optional(),
      layers: z.number().int().positive().optional(),
      heads: z.number().int().positive().optional(),
      headDim: z.number().int().positive().optional(),
      /** Transformer: the dVAE (id of its encoder without "-encoder") whose codes it models. */
      dvae: z.string().optional(),
    })
    .optional(),
  /** The autoregressive prior: the PCA basis its codes live in, the quantization, the dot-product buckets. */
  arPrior: z
    .strictObject({
      /** The CLIP model whose embeddings it models. */
      clip: z.string().optional(),
      /** Kept PCA components k and buckets per component. */
      components: z.number().int().min(1).max(4096),
      buckets: z.number().int().min(2).max(65536),
      /** Equal-mass buckets of the text-image dot product; dotEdges holds the dotBuckets - 1 inner edges. */
      dotBuckets: z.number().int().min(2).max(1024),
      dotEdges: z.array(z.number()),
      varianceKept: z.number().min(0).max(1).optional(),
      /** mean [D], components [k * D] (row-major), variance, min and max [k] (the quantization range). */
      pca: z.strictObject({
        mean: z.array(z.number()),
        components: z.array(z.number()),
        variance: z.array(z.number()),
        min: z.array(z.number()),
        max: z.array(z.number()),
      }),
    })
    .optional(),
  card: z.record(z.string(), z.unknown()).optional(),
});

export const manifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  version: z.literal(1),
  models: z.array(modelEntrySchema),
});

export type ModelEntry = z.infer<typeof modelEntrySchema>;
export type Manifest = z.infer<typeof manifestSchema>;
export type TokenizerSpec = z.infer<typeof tokenizerSchema>;
export type PreprocessingSpec = z.infer<typeof preprocessingSchema>;
export type DiffusionSpec = NonNullable<ModelEntry['diffusion']>;
export type DalleSpec = NonNullable<ModelEntry['dalle']>;
export type ArPriorSpec = NonNullable<ModelEntry['arPrior']>;

export class ModelError extends Error {
  constructor(
    readonly modelId: string,
    message: string,
  ) {
    super(`model "${modelId}": ${message}`);
    this.name = 'ModelError';
  }
}

/**
 * What each model family's ONNX graph must take and give (names; docs/models.md has dtypes and
 * shapes). A model exported elsewhere loads through an external manifest when it fits its family.
 */
export const FAMILY_SIGNATURES: Record<ModelEntry['kind'], { inputs: string[]; outputs: string[] }> = {
  'clip-text': { inputs: ['input_ids'], outputs: ['text_embeds'] },
  'clip-image': { inputs: ['pixel_values'], outputs: ['image_embeds'] },
  'clip-noised': { inputs: ['x_t', 'timestep', 'text_embed'], outputs: ['score', 'grad'] },
  prior: { inputs: ['x_t', 'timestep', 'text_embed', 'text_tokens', 'text_mask'], outputs: [] },
  'ar-prior': { inputs: ['text_tokens', 'text_mask', 'text_embed', 'dot_bucket', 'codes'], outputs: ['logits'] },
  decoder: { inputs: ['x_t', 'timestep', 'image_embed', 'text_tokens', 'text_mask'], outputs: [] },
  upsampler: { inputs: ['x_t', 'timestep', 'low_res'], outputs: [] },
  'dvae-encoder': { inputs: ['image'], outputs: ['codes'] },
  'dvae-decoder': { inputs: ['codes'], outputs: ['image'] },
  dalle: {
    inputs: ['tokens', 'positions', 'bias', 'past_keys', 'past_values'],
    outputs: ['logits', 'present_keys', 'present_values'],
  },
};

/** Why an entry does not fit its family (named by position: never by a value read from the file), or null. */
function familyProblem(m: ModelEntry): string | null {
  const sig = FAMILY_SIGNATURES[m.kind];
  const lacks = (want: string[], have: Array<{ name: string; optional?: boolean; role?: string }>) =>
    want.filter((w) => !have.some((h) => (h.role ?? h.name) === w && !h.optional));
  // a published U-Net (diffusers-layout.ts) is conditioned on whatever it has: x_t and timestep it needs
  const published = m.card?.layout === 'diffusers';
  const inputs = lacks(published ? sig.inputs.slice(0, 2) : sig.inputs, m.inputs),
    outputs = lacks(sig.outputs, m.outputs);
  if (!inputs.length && !outputs.length) return null;
  const parts = [
    inputs.length ? `input${inputs.length > 1 ? 's' : ''} ${inputs.join(', ')}` : '',
    outputs.length ? `output${outputs.length > 1 ? 's' : ''} ${outputs.join(', ')}` : '',
  ].filter(Boolean);
  return `does not fit the ${m.kind} family: it lacks ${parts.join(' and ')} (see docs/models.md)`;
}

/** An AR prior's section, checked for sizes that agree (k components of D dims, k ranges, B - 1 edges). */
function arPriorProblem(m: ModelEntry): string | null {
  const a = m.arPrior;
  if (m.kind !== 'ar-prior') return a ? 'has an "arPrior" section but is not an ar-prior model' : null;
  if (!a) return 'is an ar-prior model without its "arPrior" section (PCA basis, buckets)';
  const d = a.pca.mean.length,
    k = a.components;
  if (m.embedDim !== undefined && d !== m.embedDim)
    return `arPrior.pca.mean has ${d} values for embedDim ${m.embedDim}`;
  if (d < 1) return 'arPrior.pca.mean is empty';
  if (a.pca.components.length !== k * d)
    return `arPrior.pca.components has ${a.pca.components.length} values, ${k} components x ${d} dims need ${k * d}`;
  for (const f of ['variance', 'min', 'max'] as const)
    if (a.pca[f].length !== k) return `arPrior.pca.${f} has ${a.pca[f].length} values for ${k} components`;
  if (a.pca.min.some((v, i) => !(v < a.pca.max[i]!))) return 'arPrior.pca: every min must be below its max';
  if (a.dotEdges.length !== a.dotBuckets - 1)
    return `arPrior.dotEdges has ${a.dotEdges.length} edges for ${a.dotBuckets} buckets (needs ${a.dotBuckets - 1})`;
  if (a.dotEdges.some((v, i) => i > 0 && !(v >= a.dotEdges[i - 1]!))) return 'arPrior.dotEdges must not decrease';
  return null;
}

/** A diffusion section gives its scheduler either as a config or as the three older fields, not both. */
function diffusionProblem(m: ModelEntry): string | null {
  const d = m.diffusion;
  if (!d) return null;
  const older = (['schedule', 'trainSteps', 'parameterization'] as const).filter((f) => d[f] !== undefined);
  if (d.scheduler && older.length)
    return `has diffusion.scheduler and diffusion.${older[0]}: give the scheduler config alone`;
  if (!d.scheduler && older.length < 3)
    return 'needs diffusion.scheduler, or diffusion.schedule, trainSteps and parameterization';
  return null;
}

/** An external data location that would read outside the model's folder, or the same file listed twice. */
function externalDataProblem(m: ModelEntry): string | null {
  const list = m.externalData ?? [];
  for (const [i, x] of list.entries()) {
    const problem = locationProblem(x.location);
    if (problem) return `externalData.${i}.location ${problem}`;
    if (list.findIndex((y) => y.location === x.location) !== i) return `externalData.${i}.location is listed twice`;
  }
  return null;
}

/** Parses a manifest, naming the model and field of each problem. */
export function parseManifest(raw: unknown, source = 'manifest'): Manifest {
  const r = manifestSchema.safeParse(raw);
  if (r.success) {
    // messages name models by position, never by a value read from the file: a manifest can be any
    // file a graph points at, and an error must not quote its contents
    const seen = new Set<string>();
    r.data.models.forEach((m, i) => {
      if (seen.has(m.id)) throw new Error(`${source}: model #${i} has the id of an earlier model`);
      seen.add(m.id);
      const problem = familyProblem(m) ?? arPriorProblem(m) ?? diffusionProblem(m) ?? externalDataProblem(m);
      if (problem) throw new Error(`${source}: model #${i} ${problem}`);
    });
    return r.data;
  }
  const lines = r.error.issues.map((i) => {
    const [head, index, ...rest] = i.path.map(String);
    if (head === 'models' && index !== undefined) return `model #${index} ${rest.join('.')}: ${i.message}`;
    return `${i.path.join('.') || 'manifest'}: ${i.message}`;
  });
  throw new Error(`${source} is invalid:\n${lines.join('\n')}`);
}
