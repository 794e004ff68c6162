/**
 * When does a two-object picture get its extra copy? The caption-only path (graphs/text-to-image-glide.json's
 * graph, its decoder's trajectory on) on eval:unclip --compose's two-object prompts (a seed a caption: not the eval's
 * pictures), with the pixel reader counting the objects in every DDIM step's x0 prediction (32x32, before the
 * upsampler).
 *
 *   npm run trace:count [-- --seed 424242 --two 100 --graph-guidance 3 --graph-eta 0 --graph-steps 25]
 *
 * Prints, per step, how many predictions hold exactly two objects, more, fewer, and how many of the pictures
 * that end with an extra copy already hold it at that step: where the extra copy is decided.
 */
import { parseArgs } from 'node:util';
import { createRegistry } from '../nodes/index';
import { Engine } from '../src/engine/scheduler';
import { nodeServices } from '../src/host/node-services';
import type { ModelRuntime } from '../src/models/runtime/runtime';
import { createModelRuntime } from '../src/models/runtime/runtime-node';
import { ddimTimesteps } from '../src/models/samplers/schedule';
import { createRng } from '../src/tensor/prng';
import { readPicture } from '../src/world/read';
import { graphSettings, pathGraph, twoObjectPrompts } from './eval-compose';
import { parseDecoderOverride } from './eval-compose-report';
import { checkFlags, int } from './flags';
import { outputOf } from './graph-runs';

export interface CountTrace {
  /** the DDIM step's timestep, first (noisiest) to last */
  timesteps: number[];
  /** objects read in each step's x0 prediction: [step][picture] */
  counts: number[][];
}

/**
 * Objects the reader finds in each step's x0 prediction of the caption-only decoder, per picture: graphs/
 * text-to-image-glide.json run for each caption (seed + its index) with the decoder's trajectory on, the frames
 * the inspector shows.
 */
export async function countTrace(
  runtime: ModelRuntime,
  captions: string[],
  seed: number,
  o: { steps: number; guidance: number; eta: number },
): Promise<CountTrace> {
  const base = graphSettings('text-to-image-glide.json');
  const doc = pathGraph({ ...base, decoder: { ...base.decoder, ...o } });
  const decoder = doc.nodes.find((n) => n.id === 'decoder')!;
  decoder.params = { ...decoder.params, trajectory: true };
  const engine = new Engine(createRegistry(), nodeServices({ models: runtime }));
  const trace: CountTrace = { timesteps: ddimTimesteps(1000, o.steps), counts: [] };
  for (const [i, caption] of captions.entries()) {
    for (const n of doc.nodes) {
      if (n.id === 'prompt') n.params = { text: caption };
      if (n.id === 'seed') n.params = { value: seed + i };
    }
    const frames = await outputOf(engine, doc, 'decoder', 'trajectory');
    for (let k = 0; k < frames.shape[0]!; k++)
      (trace.counts[k] ??= []).push(readPicture(frames.data.subarray(k * 3072, (k + 1) * 3072), 32, 32).objects.length);
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
  checkFlags('trace:count', opts, { seed: int(0), two: int(1, 1000) });
  const seed = Number(opts.seed),
    two = Number(opts.two);
  const graph = graphSettings('text-to-image-glide.json').decoder;
  const override = parseDecoderOverride(opts, 'trace:count');
  const settings = {
    steps: override.steps ?? graph.steps,
    guidance: override.guidance ?? graph.guidance,
    eta: override.eta ?? graph.eta,
  };
  const runtime = await createModelRuntime();
  if (!runtime) throw new Error('no bundled models');
  // the prompts eval:unclip --compose draws for this seed
  const captions = twoObjectPrompts(createRng(seed + 17), two).map((p) => p.caption);
  const trace = await countTrace(runtime, captions, seed, settings);
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
