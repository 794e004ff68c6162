/**
 * A diffusion model's scheduler config: diffusers' `scheduler_config.json` (the fields its DDIMScheduler reads, plus
 * DDPMScheduler's `variance_type`), parsed once into the one object every sampler reads. Our bundled models' manifest
 * fields (`schedule`, `trainSteps`, `parameterization`) map onto the same object (legacySchedulerConfig), with four
 * fields diffusers does not have that keep how they have always been sampled (docs/models.md, "Scheduler config").
 */
import { z } from 'zod';
import { tensor, type Tensor } from '../../tensor/tensor';
import type { DiffusionSpec, ModelEntry } from '../runtime/manifest';

const VARIANCE_TYPES = [
  'fixed_small',
  'fixed_small_log',
  'fixed_large',
  'fixed_large_log',
  'learned',
  'learned_range',
] as const;

const schedulerConfigSchema = z.object({
  num_train_timesteps: z.number().int().min(1).max(100_000).default(1000),
  beta_start: z.number().gt(0).lt(1).default(0.0001),
  beta_end: z.number().gt(0).lt(1).default(0.02),
  beta_schedule: z.enum(['linear', 'scaled_linear', 'squaredcos_cap_v2']).default('linear'),
  prediction_type: z.enum(['epsilon', 'v_prediction', 'sample']).default('epsilon'),
  timestep_spacing: z.enum(['leading', 'trailing', 'linspace']).default('leading'),
  steps_offset: z.number().int().min(0).default(0),
  clip_sample: z.boolean().default(true),
  clip_sample_range: z.number().gt(0).default(1),
  set_alpha_to_one: z.boolean().default(true),
  /** DDPMScheduler's: learned and learned_range models output twice the channels, the prediction first. */
  variance_type: z
    .enum(VARIANCE_TYPES)
    .nullable()
    .default('fixed_small')
    .transform((v) => v ?? 'fixed_small'),
  // What diffusers has and we do not: refused when they would change the numbers.
  thresholding: z.literal(false, { message: 'true (dynamic thresholding) is not supported' }).default(false),
  rescale_betas_zero_snr: z.literal(false, { message: 'true is not supported' }).default(false),
  trained_betas: z.null({ message: 'is not supported (give beta_schedule, beta_start and beta_end)' }).default(null),
  // Not diffusers' fields: how our own models have always been sampled (docs/models.md).
  /** linspace only: half_even rounds numpy's linspace as numpy does; half_up rounds the exact values half up. */
  timestep_rounding: z.enum(['half_even', 'half_up']).default('half_even'),
  /** step_ratio: x_{t-1} is at t - T // S (diffusers' DDIM); next: at the next timestep the sampler visits. */
  prev_timestep: z.enum(['step_ratio', 'next']).default('step_ratio'),
  /** float32: the betas as torch keeps them (float32, products accumulated in double); float64: never rounded. */
  alphas_cumprod_dtype: z.enum(['float32', 'float64']).default('float32'),
  /** diffusers' step() argument (default false there): eps re-derived from the clipped x0, as GLIDE does. */
  use_clipped_model_output: z.boolean().default(false),
});

/** A parsed scheduler config: every field present, diffusers' names. */
export type SchedulerConfig = Omit<
  z.infer<typeof schedulerConfigSchema>,
  'thresholding' | 'rescale_betas_zero_snr' | 'trained_betas'
>;

/** A scheduler config that cannot be read: the file (or manifest field) and the field, in the message. */
export class SchedulerConfigError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    problem: string,
  ) {
    super(`${file}: ${field} ${problem}`);
    this.name = 'SchedulerConfigError';
  }
}

/** What is wrong with a field, without quoting the file's value (a config can be any file a graph points at). */
function problemOf(issue: z.core.$ZodIssue): string {
  if (!/^[A-Z]/.test(issue.message)) return issue.message; // ours (zod's own start with a capital)
  if (issue.code === 'invalid_value' && issue.values.length > 1) return `must be one of ${issue.values.join(', ')}`;
  if (issue.code === 'invalid_type')
    return `must be ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}`;
  if (issue.code === 'too_small') return `must be ${issue.inclusive ? 'at least' : 'above'} ${String(issue.minimum)}`;
  if (issue.code === 'too_big') return `must be ${issue.inclusive ? 'at most' : 'below'} ${String(issue.maximum)}`;
  return issue.message;
}

/**
 * Reads a scheduler config (`scheduler/scheduler_config.json` in diffusers' layout, or a manifest's
 * `diffusion.scheduler`); `file` names it in errors. Fields of other schedulers (`_class_name`, `skip_prk_steps`...)
 * are ignored, as diffusers ignores them when a DDIM scheduler is made from another's config.
 */
export function parseSchedulerConfig(raw: unknown, file: string): SchedulerConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new SchedulerConfigError(file, 'the config', 'must be a JSON object');
  const r = schedulerConfigSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new SchedulerConfigError(file, issue.path.join('.') || 'the config', problemOf(issue));
  }
  // refused above unless at their defaults, so dropped
  const { thresholding: _t, rescale_betas_zero_snr: _r, trained_betas: _b, ...config } = r.data;
  if (config.timestep_rounding === 'half_up' && config.timestep_spacing !== 'linspace')
    throw new SchedulerConfigError(file, 'timestep_rounding', 'half_up needs timestep_spacing linspace');
  if (config.alphas_cumprod_dtype === 'float64' && config.beta_schedule !== 'squaredcos_cap_v2')
    throw new SchedulerConfigError(file, 'alphas_cumprod_dtype', 'float64 needs beta_schedule squaredcos_cap_v2');
  return config;
}

/**
 * Our manifests' older fields as a scheduler config: the cosine schedule (squaredcos_cap_v2) in float64, the
 * linspace from T - 1 down to 0 rounded half up, each step going to the next timestep visited and the last to
 * alpha-bar 1, and `clipX0` (decoders and upsamplers: x0 clamped to [-1, 1], eps re-derived from it; the prior: none).
 */
export function legacySchedulerConfig(
  d: { trainSteps: number; parameterization: 'eps' | 'v' | 'x0' },
  clipX0: boolean,
): SchedulerConfig {
  return {
    num_train_timesteps: d.trainSteps,
    beta_start: 0.0001,
    beta_end: 0.02,
    beta_schedule: 'squaredcos_cap_v2',
    prediction_type: ({ eps: 'epsilon', v: 'v_prediction', x0: 'sample' } as const)[d.parameterization],
    timestep_spacing: 'linspace',
    steps_offset: 0,
    clip_sample: clipX0,
    clip_sample_range: 1,
    set_alpha_to_one: true,
    variance_type: 'fixed_small',
    timestep_rounding: 'half_up',
    prev_timestep: 'next',
    alphas_cumprod_dtype: 'float64',
    use_clipped_model_output: clipX0,
  };
}

/**
 * The scheduler config of a diffusion model's manifest entry: its `scheduler` object, or its older fields mapped by
 * legacySchedulerConfig (x0 clamped for every kind but the prior, as the pipelines always did).
 */
export function schedulerConfigOf(d: DiffusionSpec, kind: ModelEntry['kind']): SchedulerConfig {
  if (d.scheduler) return parseSchedulerConfig(d.scheduler, d.schedulerFile ?? "the manifest's diffusion.scheduler");
  if (d.trainSteps === undefined || d.parameterization === undefined)
    throw new SchedulerConfigError(
      'the manifest',
      'diffusion',
      'needs a "scheduler" object, or "schedule", "trainSteps" and "parameterization"',
    );
  return legacySchedulerConfig({ trainSteps: d.trainSteps, parameterization: d.parameterization }, kind !== 'prior');
}

/** The `timestep` input for `count` rows at t, in the dtype the model declares (int64, int32 or float). */
export function timestepInput(entry: ModelEntry, count: number, t: number): Tensor {
  const input = entry.inputs.find((i) => (i.role ?? i.name) === 'timestep');
  const dtype = input?.dtype ?? 'float32';
  // a published U-Net may take one timestep for the whole batch (shape [])
  const shape = input?.shape.length === 0 ? [] : [count];
  const size = shape.length ? count : 1;
  if (dtype === 'int64') return tensor('int64', shape, new BigInt64Array(size).fill(BigInt(t)));
  if (dtype === 'int32') return tensor('int32', shape, new Int32Array(size).fill(t));
  return tensor('float32', shape, new Float32Array(size).fill(t));
}
