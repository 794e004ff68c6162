/**
 * The scheduler config (src/models/samplers/scheduler-config.ts, schedule.ts, ddim.ts) against diffusers'
 * DDIMScheduler. The reference numbers come from a numpy port of src/diffusers/schedulers/scheduling_ddim.py (and
 * DDPMScheduler.step's learned-variance split from scheduling_ddpm.py) of huggingface/diffusers at commit
 * 58eb52c0803ea9af3abec60841c2a093bdf1f951 (0.40.0.dev0): test/models/diffusers_ddim_port.py, which writes
 * test/fixtures/samplers/diffusers-ddim.json.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ddimSample, ddimStep } from '../../src/models/samplers/ddim';
import { ddimSchedule, inferenceTimesteps } from '../../src/models/samplers/schedule';
import {
  legacySchedulerConfig,
  parseSchedulerConfig,
  schedulerConfigOf,
  timestepInput,
  type SchedulerConfig,
} from '../../src/models/samplers/scheduler-config';
import { parseManifest, type ModelEntry } from '../../src/models/runtime/manifest';
import { gaussianArray } from '../../src/tensor/prng';

interface FixtureStep {
  num_inference_steps: number;
  index: number;
  timestep: number;
  eta: number;
  use_clipped_model_output: boolean;
  prev_sample: number[];
  pred_original_sample: number[];
}
interface FixtureConfig {
  name: string;
  config: Record<string, unknown>;
  alphas_cumprod: Record<string, number>;
  final_alpha_cumprod: number;
  timesteps: Record<string, number[]>;
  steps: FixtureStep[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/samplers/diffusers-ddim.json', import.meta.url), 'utf8'),
) as {
  sample: number[];
  model_output: number[];
  learned_model_output: number[];
  variance_noise: number[];
  configs: FixtureConfig[];
};

const TOLERANCE = 1e-5;
function expectClose(actual: ArrayLike<number>, expected: number[]) {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(Math.abs(actual[i]! - v), `at ${i}: ${actual[i]} vs ${v}`).toBeLessThan(TOLERANCE));
}

const learned = (c: SchedulerConfig) => c.variance_type === 'learned' || c.variance_type === 'learned_range';

describe("diffusers' DDIMScheduler, from a numpy port of scheduling_ddim.py (diffusers 58eb52c)", () => {
  it('the fixture covers every listed value of every setting', () => {
    const configs = fixture.configs.map((f) => parseSchedulerConfig(f.config, f.name));
    const seen = (k: keyof SchedulerConfig) => new Set(configs.map((c) => c[k]));
    expect(seen('prediction_type')).toEqual(new Set(['epsilon', 'v_prediction', 'sample']));
    expect(seen('beta_schedule')).toEqual(new Set(['linear', 'scaled_linear', 'squaredcos_cap_v2']));
    expect(seen('timestep_spacing')).toEqual(new Set(['leading', 'trailing', 'linspace']));
    expect(seen('variance_type')).toEqual(new Set(['fixed_small', 'learned', 'learned_range']));
    for (const k of ['clip_sample', 'set_alpha_to_one'] as const) expect(seen(k)).toEqual(new Set([true, false]));
    expect(seen('steps_offset').size).toBe(2);
    expect(seen('num_train_timesteps').size).toBe(2);
    expect(seen('clip_sample_range').size).toBe(2);
    const steps = fixture.configs.flatMap((f) => f.steps);
    expect(new Set(steps.map((s) => s.eta > 0))).toEqual(new Set([true, false]));
    expect(new Set(steps.map((s) => s.use_clipped_model_output))).toEqual(new Set([true, false]));
  });

  describe.each(fixture.configs)('$name', (f) => {
    const config = parseSchedulerConfig(f.config, f.name);

    it(`alphas_cumprod and final_alpha_cumprod within ${TOLERANCE}`, () => {
      const s = ddimSchedule(config, 10);
      const at = Object.keys(f.alphas_cumprod).map(Number);
      expectClose(
        at.map((t) => s.alphas_cumprod[t]!),
        at.map((t) => f.alphas_cumprod[t]!),
      );
      expectClose([s.final_alpha_cumprod], [f.final_alpha_cumprod]);
    });

    it('the timesteps of 1 to 100 steps, exactly', () => {
      for (const [steps, ts] of Object.entries(f.timesteps))
        expect(inferenceTimesteps(config, Number(steps))).toEqual(ts);
    });

    it.each(f.steps)(
      `one step at index $index of $num_inference_steps (eta $eta, use_clipped_model_output ` +
        `$use_clipped_model_output): x_{t-1} and x0 within ${TOLERANCE}`,
      (step) => {
        const c = { ...config, use_clipped_model_output: step.use_clipped_model_output };
        const schedule = ddimSchedule(c, step.num_inference_steps);
        expect(schedule.timesteps[step.index]).toBe(step.timestep);
        const out = ddimStep(
          c,
          schedule,
          step.index,
          Float32Array.from(fixture.sample),
          Float32Array.from(learned(c) ? fixture.learned_model_output : fixture.model_output),
          { eta: step.eta, variance_noise: Float32Array.from(fixture.variance_noise), rows: 2 },
        );
        expectClose(out.prev_sample, step.prev_sample);
        expectClose(out.pred_original_sample, step.pred_original_sample);
      },
    );
  });
});

describe('reading a scheduler config', () => {
  const file = 'decoder/scheduler/scheduler_config.json';

  it('fills what a config leaves out with diffusers defaults and ignores other schedulers fields', () => {
    const c = parseSchedulerConfig({ _class_name: 'PNDMScheduler', skip_prk_steps: true }, file);
    expect(c).toMatchObject({
      num_train_timesteps: 1000,
      beta_schedule: 'linear',
      prediction_type: 'epsilon',
      timestep_spacing: 'leading',
      clip_sample: true,
      set_alpha_to_one: true,
      timestep_rounding: 'half_even',
      prev_timestep: 'step_ratio',
      alphas_cumprod_dtype: 'float32',
      use_clipped_model_output: false,
    });
    expect(c).not.toHaveProperty('_class_name');
  });

  it.each([
    [{ beta_schedule: 'cosine' }, 'beta_schedule must be one of linear, scaled_linear, squaredcos_cap_v2'],
    [{ prediction_type: 'v' }, 'prediction_type must be one of epsilon, v_prediction, sample'],
    [{ timestep_spacing: 'even' }, 'timestep_spacing must be one of leading, trailing, linspace'],
    [{ num_train_timesteps: '1000' }, 'num_train_timesteps must be a number'],
    [{ num_train_timesteps: 10.5 }, 'num_train_timesteps must be an integer'],
    [{ num_train_timesteps: 0 }, 'num_train_timesteps must be at least 1'],
    [{ beta_end: 0 }, 'beta_end must be above 0'],
    [{ clip_sample_range: -1 }, 'clip_sample_range must be above 0'],
    [{ clip_sample: 'yes' }, 'clip_sample must be a boolean'],
    [{ variance_type: 'learned_big' }, 'variance_type must be one of fixed_small'],
    [{ thresholding: true }, 'thresholding true (dynamic thresholding) is not supported'],
    [{ trained_betas: [0.1, 0.2] }, 'trained_betas is not supported'],
    [{ timestep_rounding: 'half_up' }, 'timestep_rounding half_up needs timestep_spacing linspace'],
    [{ alphas_cumprod_dtype: 'float64' }, 'alphas_cumprod_dtype float64 needs beta_schedule squaredcos_cap_v2'],
    [[1, 2], 'the config must be a JSON object'],
  ])('refuses %j, naming the file and the field', (raw, message) => {
    expect(() => parseSchedulerConfig(raw, file)).toThrow(`${file}: ${message}`);
  });

  it("never quotes the file's value in an error", () => {
    expect(() => parseSchedulerConfig({ beta_schedule: '<script>' }, file)).toThrow(/^(?!.*<script>)/s);
  });

  it("refuses a step count whose timesteps leave 0..T-1 in diffusers' own arithmetic", () => {
    const trailing = parseSchedulerConfig({ timestep_spacing: 'trailing' }, file);
    expect(() => inferenceTimesteps(trailing, 61)).toThrow('61 steps of trailing spacing reach timestep -1');
    const offset = parseSchedulerConfig({ steps_offset: 1 }, file);
    expect(() => inferenceTimesteps(offset, 1000)).toThrow('with steps_offset 1 reach timestep 1000');
  });
});

describe('our bundled models as one case of the config', () => {
  const manifest = parseManifest(
    JSON.parse(readFileSync(new URL('../../public/models/manifest.json', import.meta.url), 'utf8')),
  );
  const diffusion = manifest.models.filter((m) => m.diffusion);

  it('map the manifest fields to the cosine schedule, their prediction, half-up linspace and GLIDE clipping', () => {
    expect(diffusion.length).toBeGreaterThanOrEqual(5);
    for (const m of diffusion) {
      const c = schedulerConfigOf(m.diffusion!, m.kind);
      expect(c).toMatchObject({
        num_train_timesteps: 1000,
        beta_schedule: 'squaredcos_cap_v2',
        timestep_spacing: 'linspace',
        timestep_rounding: 'half_up',
        prev_timestep: 'next',
        alphas_cumprod_dtype: 'float64',
        set_alpha_to_one: true,
        clip_sample: m.kind !== 'prior',
        use_clipped_model_output: m.kind !== 'prior',
      });
      expect(c.prediction_type).toBe(
        { eps: 'epsilon', v: 'v_prediction', x0: 'sample' }[m.diffusion!.parameterization!],
      );
    }
  });

  it('a manifest may give the same config as a scheduler object in diffusers names', () => {
    const decoder = diffusion.find((m) => m.id === 'mini-unclip-decoder')!;
    const mapped = schedulerConfigOf(decoder.diffusion!, decoder.kind);
    const { schedule: _s, trainSteps: _t, parameterization: _p, ...rest } = decoder.diffusion!;
    const entry: ModelEntry = { ...decoder, diffusion: { ...rest, scheduler: { ...mapped } } };
    const again = parseManifest({ ...manifest, models: [entry] });
    expect(schedulerConfigOf(again.models[0]!.diffusion!, 'decoder')).toEqual(mapped);
    // as docs/models.md writes it, diffusers' defaults filling the rest
    const written = {
      num_train_timesteps: 1000,
      beta_schedule: 'squaredcos_cap_v2',
      prediction_type: 'v_prediction',
      timestep_spacing: 'linspace',
      timestep_rounding: 'half_up',
      prev_timestep: 'next',
      alphas_cumprod_dtype: 'float64',
      clip_sample: true,
      clip_sample_range: 1,
      use_clipped_model_output: true,
      set_alpha_to_one: true,
    };
    expect(parseSchedulerConfig(written, 'docs/models.md')).toEqual(mapped);
  });

  it('differs from diffusers linspace where numpy rounds half to even (25 of 1000 steps: 166.5)', () => {
    const ours = legacySchedulerConfig({ trainSteps: 1000, parameterization: 'v' }, true);
    const diffusers = { ...ours, timestep_rounding: 'half_even' as const };
    expect(inferenceTimesteps(ours, 25).at(-5)).toBe(167);
    expect(inferenceTimesteps(diffusers, 25).at(-5)).toBe(166);
    expect(inferenceTimesteps(ours, 1)).toEqual([999]);
    expect(inferenceTimesteps(diffusers, 1)).toEqual([0]);
  });

  it('refuses a manifest entry with both a scheduler object and the older fields, or with neither', () => {
    const decoder = diffusion.find((m) => m.id === 'mini-unclip-decoder')!;
    const both = { ...decoder, diffusion: { ...decoder.diffusion!, scheduler: {} } };
    expect(() => parseManifest({ ...manifest, models: [both] }, 'm.json')).toThrow(
      'm.json: model #0 has diffusion.scheduler and diffusion.schedule: give the scheduler config alone',
    );
    const { trainSteps: _t, ...partial } = decoder.diffusion!;
    expect(() => parseManifest({ ...manifest, models: [{ ...decoder, diffusion: partial }] }, 'm.json')).toThrow(
      'needs diffusion.scheduler, or diffusion.schedule, trainSteps and parameterization',
    );
    expect(() => schedulerConfigOf({ scheduler: { beta_schedule: 'cos' } }, 'decoder')).toThrow(
      "the manifest's diffusion.scheduler: beta_schedule must be one of",
    );
  });
});

describe('what the sampler hands the model and takes back', () => {
  const entry = (dtype: 'int64' | 'float32') =>
    ({ inputs: [{ name: 'timestep', dtype, shape: ['batch'] }] }) as unknown as ModelEntry;

  it('feeds the timestep in the dtype the model declares', () => {
    const long = timestepInput(entry('int64'), 2, 801);
    expect(long.dtype).toBe('int64');
    expect(Array.from(long.data as BigInt64Array)).toEqual([801n, 801n]);
    const float = timestepInput(entry('float32'), 3, 500);
    expect(float.dtype).toBe('float32');
    expect(Array.from(float.data as Float32Array)).toEqual([500, 500, 500]);
  });

  it('samples with the first half of a learned variance model output, per sample', async () => {
    const base = parseSchedulerConfig({ prediction_type: 'v_prediction', timestep_spacing: 'trailing' }, 'x');
    const model = async (x: Float32Array, t: number) => x.map((v, j) => Math.sin(v + t / 300 + j));
    const run = (scheduler: SchedulerConfig, wrap: (out: Float32Array) => Float32Array) =>
      ddimSample({
        scheduler,
        steps: 5,
        eta: 0,
        xT: gaussianArray(3, 8),
        rows: 2,
        noise: () => new Float32Array(8),
        model: async (x, t) => wrap(await model(x, t)),
      });
    const plain = await run(base, (o) => o);
    // [2 samples, 2 channels x 2] -> [2 samples, (2 prediction + 2 variance) channels x 2]
    const withVariance = (o: Float32Array) =>
      Float32Array.of(...o.subarray(0, 4), 9, 9, 9, 9, ...o.subarray(4), 7, 7, 7, 7);
    for (const variance_type of ['learned', 'learned_range'] as const)
      expect(Array.from(await run({ ...base, variance_type }, withVariance))).toEqual(Array.from(plain));
    await expect(run(base, withVariance)).rejects.toThrow("the model gave 16 values for x_t's 8");
  });
});
