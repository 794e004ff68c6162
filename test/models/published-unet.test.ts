import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeMiniDecoderFolder, makeTinyUnetFolders } from '../../scripts/published-unet';
import { resolveDiffusion, sampleDecoder, type TextConditioning } from '../../src/models/pipelines/unclip';
import { readBytesNode } from '../../src/host/node-services';
import type { ModelRuntime } from '../../src/models/runtime/runtime';
import { BUNDLED_MODELS_DIR, createModelRuntime } from '../../src/models/runtime/runtime-node';
import { legacySchedulerConfig, schedulerConfigOf, timestepInput } from '../../src/models/samplers/scheduler-config';
import { float32, tensor } from '../../src/tensor/tensor';
import { runGraph } from '../helpers/models';

// native onnxruntime-node sessions, as test/models/published-clip.test.ts
const runtime = (await createModelRuntime(BUNDLED_MODELS_DIR, 'node'))!;
const MINI = makeMiniDecoderFolder();
const TINY = makeTinyUnetFolders();
const folderOf = (dir: string): Promise<ModelRuntime> => runtime.external(dir, readBytesNode);

/** A copy of a made folder to spoil. */
function copyOf(dir: string, edit: (copy: string) => void): string {
  const copy = join(mkdtempSync(join(tmpdir(), 'unet-folder-')), 'unet-copy');
  cpSync(dir, copy, { recursive: true });
  edit(copy);
  return copy;
}
const editJson = (path: string, edit: (j: Record<string, unknown>) => void) => {
  const j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(j);
  writeFileSync(path, JSON.stringify(j));
};

describe('the bundled decoder in diffusers layout (our models are one case of the role map)', () => {
  it('builds the manifest entry of the bundled decoder: same file, inputs, sizes and scheduler', async () => {
    const folder = await folderOf(MINI);
    const entry = folder.entry('mini-unclip-decoder');
    const bundled = runtime.entry('mini-unclip-decoder');
    expect(entry.kind).toBe('decoder');
    expect(entry.sha256).toBe(bundled.sha256);
    expect(entry.inputs).toEqual(bundled.inputs.map(({ description: _, ...io }) => io));
    expect(entry.outputs[0]!.shape).toEqual(bundled.outputs[0]!.shape);
    expect(schedulerConfigOf(entry.diffusion!, entry.kind)).toEqual(
      legacySchedulerConfig({ trainSteps: 1000, parameterization: 'v' }, true),
    );
  });

  it('the text-to-image graph whose decoder loader names the folder draws the same pictures, bit for bit', async () => {
    const graph = JSON.parse(readFileSync(new URL('../../graphs/text-to-image.json', import.meta.url), 'utf8')) as {
      nodes: Array<{ id: string; params?: Record<string, unknown> }>;
    };
    const nodes = (manifest: string) =>
      graph.nodes.map((n) => {
        const params = { ...n.params };
        if (n.id === 'decoder_model') params.manifest = manifest;
        if (typeof params.steps === 'number') params.steps = Math.min(params.steps, 6);
        return { ...n, params };
      });
    const outputs = async (manifest: string) => {
      const { engine, result } = await runGraph(runtime, nodes(manifest));
      expect(result.ok).toBe(true);
      return JSON.stringify([engine.outputsOf('decoder'), engine.outputsOf('image')]);
    };
    expect(await outputs(MINI)).toBe(await outputs(''));
  });
});

describe('the loader node', () => {
  it('loads a diffusers folder named in its manifest param, the model named after the folder', async () => {
    const dir = TINY['unet-sample-cosine-linspace-learned'];
    const load = (model: string) => [{ id: 'm', type: 'diffusion/load-model', params: { model, manifest: dir } }];
    const { engine, result } = await runGraph(runtime, load('unet-sample-cosine-linspace-learned'));
    expect(result.ok).toBe(true);
    expect(engine.outputsOf('m')).toBeDefined();
    const other = await runGraph(runtime, load('mini-unclip-decoder'));
    expect(other.result.nodes.m).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/not in the manifest \(it lists unet-sample-cosine-linspace-learned\)/),
    });
  });
});

interface Reference {
  steps: number;
  timesteps: number[];
  x_T: number[];
  encoder_hidden_states: number[];
  tokens: number;
  extra: { name: string; values: number[] } | null;
  x_0: number[];
}

/** Conditioning of the reference's batch: the caption tokens, the class labels or the attention mask. */
function conditioningOf(r: Reference, n: number, width: number) {
  const l = r.tokens;
  const extra = r.extra;
  const embedDim = extra?.name === 'class_labels' ? extra.values.length / n : 1;
  const text: TextConditioning = {
    embeds: float32([n, embedDim], extra?.name === 'class_labels' ? extra.values : new Array(n).fill(0)),
    tokens: float32([n, l, width], r.encoder_hidden_states),
    mask: float32([n, l], extra?.name === 'encoder_attention_mask' ? extra.values : new Array(n * l).fill(1)),
    ids: tensor('int64', [n, l], new BigInt64Array(n * l)),
  };
  const empty: TextConditioning = {
    embeds: float32([1, embedDim], new Array(embedDim).fill(0)),
    tokens: float32([1, l, width], new Array(l * width).fill(0)),
    mask: float32([1, l], new Array(l).fill(1)),
    ids: tensor('int64', [1, l], new BigInt64Array(l)),
  };
  return { embeds: text.embeds, text, empty };
}

describe('tiny random-weight U-Nets in diffusers layout', () => {
  const expected = {
    'unet-eps-linear-leading': {
      inputs: [
        { name: 'sample', role: 'x_t', dtype: 'float32', shape: ['batch', 3, 8, 8] },
        { name: 'timestep', dtype: 'int64', shape: ['batch'] },
        { name: 'encoder_hidden_states', role: 'text_tokens', dtype: 'float32', shape: ['batch', 5, 32] },
      ],
      out: ['batch', 3, 8, 8],
      scheduler: { prediction_type: 'epsilon', beta_schedule: 'linear', timestep_spacing: 'leading', steps_offset: 1 },
    },
    'unet-v-scaled-trailing': {
      inputs: [
        { name: 'sample', role: 'x_t', dtype: 'float32', shape: ['batch', 4, 8, 12] },
        { name: 'timestep', dtype: 'float32', shape: ['batch'] },
        { name: 'encoder_hidden_states', role: 'text_tokens', dtype: 'float32', shape: ['batch', 5, 24] },
        { name: 'class_labels', role: 'image_embed', dtype: 'float32', shape: ['batch', 16] },
      ],
      out: ['batch', 4, 8, 12],
      scheduler: {
        prediction_type: 'v_prediction',
        beta_schedule: 'scaled_linear',
        timestep_spacing: 'trailing',
        clip_sample: false,
        set_alpha_to_one: false,
      },
    },
    'unet-sample-cosine-linspace-learned': {
      inputs: [
        { name: 'sample', role: 'x_t', dtype: 'float32', shape: ['batch', 3, 16, 16] },
        { name: 'timestep', dtype: 'int64', shape: ['batch'] },
        { name: 'encoder_hidden_states', role: 'text_tokens', dtype: 'float32', shape: ['batch', 5, 32] },
        { name: 'encoder_attention_mask', role: 'text_mask', dtype: 'float32', shape: ['batch', 5] },
      ],
      out: ['batch', 6, 16, 16],
      scheduler: {
        prediction_type: 'sample',
        beta_schedule: 'squaredcos_cap_v2',
        timestep_spacing: 'linspace',
        clip_sample: true,
        clip_sample_range: 2,
        variance_type: 'learned_range',
      },
    },
  } as const;

  for (const [name, want] of Object.entries(expected)) {
    const dir = TINY[name as keyof typeof TINY];

    it(`${name}: its manifest entry is what unet/config.json, scheduler_config.json and the ONNX say`, async () => {
      const folder = await folderOf(dir);
      const entry = folder.entry(name);
      expect(entry.kind).toBe('decoder');
      expect(entry.file).toBe('unet/model.onnx');
      expect(entry.inputs).toEqual(want.inputs);
      expect(entry.outputs).toEqual([{ name: 'out_sample', dtype: 'float32', shape: want.out }]);
      expect(schedulerConfigOf(entry.diffusion!, entry.kind)).toMatchObject(want.scheduler);
    });

    it(`${name}: DDIM through our sampler on the ONNX file matches diffusers' DDIM in PyTorch`, async () => {
      const worst = await worstAgainstReference(dir, name, want.inputs[2].shape[2]);
      // float32 in both; onnxruntime's and PyTorch's kernels sum in different orders (~1e-7 relative a call) and our
      // sampler keeps alpha-bar's square roots in float64 where the port rounds them to float32 (~6e-8 relative);
      // x0 = (x_t - sqrt(1 - abar) eps) / sqrt(abar) magnifies both by up to 1 / sqrt(abar_t) (~100 at t = 999 on
      // the linear schedule) before the step multiplies back by sqrt(abar_prev). Seen: 3.0e-6 (epsilon, linear),
      // 9.5e-7 (v, scaled_linear), 5.1e-7 (sample, cosine) on values of order 1; 2e-5 leaves room for other CPUs'
      // kernels, and a wrong setting is off by far more (the next test)
      expect(worst).toBeLessThan(2e-5);
    });
  }
});

/** The largest difference between our DDIM on the folder's ONNX file and the PyTorch reference's x_0. */
async function worstAgainstReference(dir: string, name: string, width: number): Promise<number> {
  const r = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Reference;
  const folder = await folderOf(dir);
  const ref = resolveDiffusion(folder, name);
  const session = await folder.session(name);
  const n = 2;
  const c = conditioningOf(r, n, width);
  const x = await sampleDecoder(session, ref.spec, c.embeds, c.text, c.empty, {
    steps: r.steps,
    eta: 0,
    guidance: 1,
    xT: Float32Array.from(r.x_T),
    noise: () => {
      throw new Error('eta 0 draws no noise');
    },
  });
  expect(x.length).toBe(r.x_0.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - r.x_0[i]!));
  return worst;
}

it('the reference tells settings apart: one folder read with another spacing or prediction is far off it', async () => {
  const dir = TINY['unet-eps-linear-leading'];
  const spoiled = (field: string, value: unknown) =>
    copyOf(dir, (d) => editJson(join(d, 'scheduler/scheduler_config.json'), (j) => (j[field] = value)));
  const name = 'unet-copy';
  expect(await worstAgainstReference(spoiled('timestep_spacing', 'trailing'), name, 32)).toBeGreaterThan(1e-2);
  expect(await worstAgainstReference(spoiled('prediction_type', 'v_prediction'), name, 32)).toBeGreaterThan(1e-2);
  expect(await worstAgainstReference(spoiled('steps_offset', 0), name, 32)).toBeGreaterThan(1e-3);
});

describe('a diffusers folder that cannot be read names the file and field', () => {
  const fails = async (dir: string) => {
    try {
      const folder = await folderOf(dir);
      resolveDiffusion(folder, folder.manifest.models[0]!.id);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('it loaded');
  };
  const tiny = TINY['unet-eps-linear-leading'];

  it('a scheduler config field out of its values', async () => {
    const dir = copyOf(tiny, (d) =>
      editJson(join(d, 'scheduler/scheduler_config.json'), (j) => (j.prediction_type = 'flow')),
    );
    expect(await fails(dir)).toMatch(
      /scheduler\/scheduler_config\.json: prediction_type must be one of epsilon, v_prediction, sample/,
    );
  });

  it('a learned variance without twice the channels', async () => {
    const dir = copyOf(tiny, (d) =>
      editJson(join(d, 'scheduler/scheduler_config.json'), (j) => (j.variance_type = 'learned_range')),
    );
    expect(await fails(dir)).toMatch(/unet\/config\.json: out_channels must be twice in_channels \(6\)/);
  });

  it('twice the channels without a learned variance', async () => {
    const dir = copyOf(TINY['unet-sample-cosine-linspace-learned'], (d) =>
      editJson(join(d, 'scheduler/scheduler_config.json'), (j) => delete j.variance_type),
    );
    expect(await fails(dir)).toMatch(
      /unet\/config\.json: out_channels must equal in_channels \(3\), or .*learned_range/,
    );
  });

  it('a sample_size the ONNX file does not have', async () => {
    const dir = copyOf(MINI, (d) => editJson(join(d, 'unet/config.json'), (j) => (j.sample_size = 64)));
    expect(await fails(dir)).toMatch(/unet\/model\.onnx: input x_t axis 2 is 32, .*unet\/config\.json's .*sample_size/);
  });

  it('a missing size', async () => {
    const dir = copyOf(tiny, (d) => editJson(join(d, 'unet/config.json'), (j) => delete j.sample_size));
    expect(await fails(dir)).toMatch(/unet\/config\.json: sample_size must be a whole number/);
  });

  it('an input no role takes, and a missing U-Net', async () => {
    const clip = join(BUNDLED_MODELS_DIR, 'mini-clip-text.onnx');
    const dir = copyOf(tiny, (d) => cpSync(clip, join(d, 'unet/model.onnx')));
    expect(await fails(dir)).toMatch(/unet\/model\.onnx: input "input_ids" plays no role we feed/);
    const none = copyOf(tiny, (d) => writeFileSync(join(d, 'unet/model.onnx'), ''));
    expect(await fails(none)).toMatch(/unet\/model\.onnx is not an ONNX model/);
  });
});

describe('the timestep a published U-Net declares', () => {
  it('is fed with the rank and dtype of its ONNX input: [batch] or one scalar for the batch', async () => {
    const entry = (await folderOf(TINY['unet-eps-linear-leading'])).entry('unet-eps-linear-leading');
    expect(timestepInput(entry, 3, 251)).toEqual(tensor('int64', [3], new BigInt64Array(3).fill(251n)));
    const scalar = {
      ...entry,
      inputs: entry.inputs.map((i) => (i.name === 'timestep' ? { ...i, dtype: 'float32' as const, shape: [] } : i)),
    };
    expect(timestepInput(scalar, 3, 251)).toEqual(tensor('float32', [], Float32Array.of(251)));
  });
});
