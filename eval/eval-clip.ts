/**
 * `npm run eval:clip`: zero-shot accuracy of the bundled mini-CLIP on fresh
 * ShapesWorld renders (a seed never used in training), per attribute, on the
 * held-out colour-shape pairs, and caption -> image recall@1 among 100.
 * `--write` stores the figures in the model card of public/models/manifest.json.
 */
import { parseArgs } from 'node:util';
import { encodeImages, encodeTexts, resolveClip, softmaxRows, type ClipModelRef } from '../src/models/pipelines/clip';
import type { ModelRuntime } from '../src/models/runtime/runtime';
import { BUNDLED_MODELS_DIR, createModelRuntime } from '../src/models/runtime/runtime-node';
import { createRng } from '../src/tensor/prng';
import { float32, type Float32Tensor } from '../src/tensor/tensor';
import { cosineMatrix } from '../src/tensor/vector';
import { sampleCaption } from '../src/world/caption';
import { renderScene } from '../src/world/render';
import { randomScene, sampleScene, type Scene } from '../src/world/scene';
import { BACKGROUNDS, CANVAS, COLOURS, HELD_OUT_PAIRS, POSITIONS, SHAPES, SIZES } from '../src/world/spec';
import { weightsSha, writeCards } from './cards';
import { checkFlagsOrExit, int } from './flags';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '20261124' },
    model: { type: 'string', default: 'mini-clip' },
    write: { type: 'boolean', default: false },
  },
});
checkFlagsOrExit('eval:clip', opts, { count: int(1, 100000), seed: int(0) });
const COUNT = Number(opts.count),
  SEED = Number(opts.seed);

function renderAll(scenes: Scene[]): Float32Tensor {
  const px = CANVAS * CANVAS * 3,
    data = new Float32Array(scenes.length * px),
    bytes = new Uint8Array(px);
  scenes.forEach((s, i) => {
    renderScene(s, bytes);
    for (let k = 0; k < px; k++) data[i * px + k] = bytes[k]! / 255;
  });
  return float32([scenes.length, CANVAS, CANVAS, 3], data);
}

/** Zero-shot over prompts that name (value, other) pairs; the probability of a value sums over the other attribute. */
async function classify(
  runtime: ModelRuntime,
  clip: ClipModelRef,
  imageEmb: Float32Tensor,
  values: readonly string[],
  others: readonly string[],
  prompt: (v: string, o: string) => string,
): Promise<number[]> {
  const prompts: string[] = [],
    owner: number[] = [];
  values.forEach((v, vi) =>
    others.forEach((o) => {
      prompts.push(prompt(v, o));
      owner.push(vi);
    }),
  );
  const probs = softmaxRows(cosineMatrix(imageEmb, await encodeTexts(runtime, clip, prompts)), clip.logitScale);
  const n = imageEmb.shape[0]!,
    m = prompts.length;
  return Array.from({ length: n }, (_, r) => {
    const sums = new Array(values.length).fill(0);
    for (let j = 0; j < m; j++) sums[owner[j]!] += probs.data[r * m + j]!;
    return sums.indexOf(Math.max(...sums));
  });
}

async function main() {
  const runtime = await createModelRuntime();
  if (!runtime) throw new Error(`no manifest in ${BUNDLED_MODELS_DIR}`);
  const clip = resolveClip(runtime, opts.model!);
  const rng = createRng(SEED);
  const t0 = performance.now();

  const singles = Array.from({ length: COUNT }, () => sampleScene(rng, { objects: [{}] }));
  const emb = await encodeImages(runtime, clip, renderAll(singles));
  const acc = (pred: number[], truth: (s: Scene) => number) =>
    pred.filter((p, i) => p === truth(singles[i]!)).length / pred.length;
  const o = (s: Scene) => s.objects[0]!;
  const results: Record<string, number> = {};
  results.shape = acc(await classify(runtime, clip, emb, SHAPES, [''], (v) => `a ${v}`), (s) =>
    SHAPES.indexOf(o(s).shape),
  );
  results.colour = acc(await classify(runtime, clip, emb, COLOURS, SHAPES, (v, sh) => `a ${v} ${sh}`), (s) =>
    COLOURS.indexOf(o(s).colour),
  );
  results.background = acc(
    await classify(runtime, clip, emb, BACKGROUNDS, SHAPES, (v, sh) => `a ${sh} on a ${v} background`),
    (s) => BACKGROUNDS.indexOf(s.background),
  );
  results.size = acc(await classify(runtime, clip, emb, SIZES, SHAPES, (v, sh) => `a ${v} ${sh}`), (s) =>
    SIZES.indexOf(o(s).size),
  );
  results.position = acc(await classify(runtime, clip, emb, POSITIONS, SHAPES, (v, sh) => `a ${sh} at the ${v}`), (s) =>
    POSITIONS.indexOf(o(s).position),
  );

  const held = Array.from({ length: COUNT }, (_, i) => {
    const [colour, shape] = HELD_OUT_PAIRS[i % HELD_OUT_PAIRS.length]!;
    return sampleScene(rng, { objects: [{ colour, shape }] });
  });
  const heldEmb = await encodeImages(runtime, clip, renderAll(held));
  const pairs = COLOURS.flatMap((c) => SHAPES.map((s) => `${c} ${s}`));
  const pairPred = await classify(runtime, clip, heldEmb, pairs, [''], (v) => `a ${v}`);
  results.heldOutColourShape =
    pairPred.filter((p, i) => pairs[p] === `${held[i]!.objects[0]!.colour} ${held[i]!.objects[0]!.shape}`).length /
    held.length;

  let hits = 0,
    total = 0;
  const groups = Math.max(1, Math.round(COUNT / 100));
  for (let g = 0; g < groups; g++) {
    const scenes = Array.from({ length: 100 }, () => randomScene(rng));
    const captions = scenes.map((s) => sampleCaption(rng, s, { full: true }));
    const sims = cosineMatrix(
      await encodeTexts(runtime, clip, captions),
      await encodeImages(runtime, clip, renderAll(scenes)),
    );
    for (let i = 0; i < 100; i++) {
      let best = 0;
      for (let j = 1; j < 100; j++) if (sims.data[i * 100 + j]! > sims.data[i * 100 + best]!) best = j;
      if (captions[best] === captions[i]) hits++;
      total++;
    }
  }
  results.recallAt1Among100 = hits / total;

  const targets: Record<string, number> = {
    shape: 0.98,
    colour: 0.98,
    background: 0.98,
    size: 0.95,
    position: 0.95,
    heldOutColourShape: 0.9,
    recallAt1Among100: 0.8,
  };
  console.log(
    `mini-CLIP "${clip.id}" on ${COUNT} fresh renders (seed ${SEED}), ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log('| metric | measured | target |\n| --- | --- | --- |');
  let pass = true;
  for (const [k, v] of Object.entries(results)) {
    const ok = v >= targets[k]!;
    pass &&= ok;
    console.log(`| ${k} | ${(v * 100).toFixed(1)}% | >= ${(targets[k]! * 100).toFixed(0)}% ${ok ? '' : '(MISSED)'} |`);
  }
  if (opts.write) {
    const metrics = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(v * 1000) / 10]));
    const sha = weightsSha(BUNDLED_MODELS_DIR);
    const evaluation = {
      measuredWeights: { clip: sha(clip.text), clipImage: sha(clip.image) }, // keys: manifest_util's MEASURED_IDS
      renders: COUNT,
      seed: SEED,
      method:
        'npm run eval:clip: zero-shot per attribute (prompt probabilities summed over the shape), held-out ' +
        'pairs among 32 colour-shape prompts, caption->image recall@1 among 100 (full captions)',
      percent: metrics,
    };
    const path = writeCards(BUNDLED_MODELS_DIR, { [clip.text]: { evaluation }, [clip.image]: { evaluation } });
    console.log(`wrote the figures into ${path}`);
  }
  process.exitCode = pass ? 0 : 1;
}

await main();
