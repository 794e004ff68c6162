/**
 * When does a two-object picture get its extra copy? The caption-only path (graphs/text-to-image-glide.json's
 * decoder settings) on eval:unclip --compose's two-object prompts (its own noise seeds: not the eval's
 * pictures), with the pixel reader counting the objects in
 * every DDIM step's x0 prediction (32x32, before the upsampler).
 *
 *   npm run trace:count [-- --seed 424242 --two 100 --graph-guidance 3 --graph-eta 0 --graph-steps 25]
 *
 * Prints, per step, how many predictions hold exactly two objects, more, fewer, and how many of the pictures
 * that end with an extra copy already hold it at that step: where the extra copy is decided.
 */
import { parseArgs } from 'node:util';
import { resolveClip, type ClipModelRef } from '../src/models/pipelines/clip';
import type { ModelRuntime } from '../src/models/runtime/runtime';
import { createModelRuntime } from '../src/models/runtime/runtime-node';
import { chwToImage, resolveDiffusion, sampleDecoder, textConditioning } from '../src/models/pipelines/unclip';
import { createRng, gaussianArray } from '../src/tensor/prng';
import { float32 } from '../src/tensor/tensor';
import { readPicture } from '../src/world/read';
import { graphSettings, twoObjectPrompts } from './eval-compose';
import { parseDecoderOverride } from './eval-compose-report';

export interface CountTrace {
  /** the DDIM step's timestep, first (noisiest) to last */
  timesteps: number[];
  /** objects read in each step's x0 prediction: [step][picture] */
  counts: number[][];
}

/** Objects the reader finds in each step's x0 prediction of the caption-only decoder, per picture. */
export async function countTrace(
  runtime: ModelRuntime,
  clip: ClipModelRef,
  captions: string[],
  seed: number,
  o: { steps: number; guidance: number; eta: number },
  chunk = 25,
): Promise<CountTrace> {
  const dec = resolveDiffusion(runtime, 'mini-unclip-decoder');
  const session = await runtime.session(dec.id);
  const empty = await textConditioning(runtime, clip, ['']);
  const trace: CountTrace = { timesteps: [], counts: [] };
  for (let s = 0; s < captions.length; s += chunk) {
    const batch = captions.slice(s, s + chunk),
      n = batch.length;
    await sampleDecoder(
      session,
      dec.spec,
      float32([n, clip.embedDim]),
      await textConditioning(runtime, clip, batch),
      empty,
      {
        steps: o.steps,
        eta: o.eta,
        guidance: o.guidance,
        xT: gaussianArray(seed + 1000 + s, n * 3 * 32 * 32),
        noise: (step) => gaussianArray(seed * 31 + step, n * 3 * 32 * 32),
        onStep: (info) => {
          const x0 = Float32Array.from(info.x0, (v) => Math.min(1, Math.max(-1, v)));
          const img = chwToImage(x0, n, 32, 32);
          if (s === 0) trace.timesteps.push(info.timestep);
          const row = (trace.counts[info.step - 1] ??= []);
          for (let i = 0; i < n; i++)
            row.push(readPicture(img.data.subarray(i * 3072, (i + 1) * 3072), 32, 32).objects.length);
        },
      },
    );
  }
  return trace;
}

/** The trace as a table: per step, exactly two / more / fewer, and the final extra copies already there. */
export function traceTable(trace: CountTrace): string[] {
  const last = trace.counts[trace.counts.length - 1] ?? [];
  const extra = last.flatMap((c, i) => (c > 2 ? [i] : []));
  const lines = [
    `${last.length} pictures; at the end ${last.filter((c) => c === 2).length} exactly two, ${extra.length} more, ` +
      `${last.filter((c) => c < 2).length} fewer`,
    '| step | t | exactly two | more | fewer | of the final extra copies, already there |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  trace.counts.forEach((row, k) => {
    const count = (f: (c: number) => boolean) => row.filter(f).length;
    lines.push(
      `| ${k + 1} | ${trace.timesteps[k]} | ${count((c) => c === 2)} | ${count((c) => c > 2)} | ` +
        `${count((c) => c < 2)} | ${extra.filter((i) => row[i]! > 2).length} of ${extra.length} |`,
    );
  });
  return lines;
}

async function main() {
  const { values: opts } = parseArgs({
    options: {
      seed: { type: 'string', default: '424242' },
      two: { type: 'string', default: '100' },
      'graph-guidance': { type: 'string' },
      'graph-eta': { type: 'string' },
      'graph-steps': { type: 'string' },
    },
  });
  const seed = Number(opts.seed),
    two = Number(opts.two);
  if (!Number.isInteger(seed))
    throw new Error(`trace:count: --seed must be an integer, got ${JSON.stringify(opts.seed)}`);
  if (!Number.isInteger(two) || two < 1 || two > 1000)
    throw new Error(`trace:count: --two must be an integer in [1, 1000], got ${JSON.stringify(opts.two)}`);
  const graph = graphSettings('text-to-image-glide.json').decoder;
  const override = parseDecoderOverride(opts, 'trace:count');
  const settings = {
    steps: override.steps ?? graph.steps,
    guidance: override.guidance ?? graph.guidance,
    eta: override.eta ?? graph.eta,
  };
  const runtime = await createModelRuntime();
  if (!runtime) throw new Error('no bundled models');
  const clip = resolveClip(runtime, 'mini-clip');
  // the prompts eval:unclip --compose draws for this seed
  const captions = twoObjectPrompts(createRng(seed + 17), two).map((p) => p.caption);
  const trace = await countTrace(runtime, clip, captions, seed, settings);
  console.log(
    `caption only, decoder ${settings.steps} steps, guidance ${settings.guidance}, eta ${settings.eta}; ` +
      `objects read in each step's x0 prediction (32x32)`,
  );
  for (const line of traceTable(trace)) console.log(line);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
