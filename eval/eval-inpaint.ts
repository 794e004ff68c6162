/**
 * Inpainting, judged by the pixel-level ShapesWorld reader: fresh one-object scenes, an empty grid cell masked,
 * a new object asked there by a caption of the whole edited scene, through graphs/inpaint.json as users run it
 * (its settings, its nodes). Counted: the asked colour and shape inside the mask, the kept object still read the
 * same (colour, shape, cell), exactly two objects, and every pixel outside the mask unchanged; and by mini-CLIP:
 * whether it prefers the edited scene's caption to the same caption with the asked object's colour or shape changed.
 *
 * --method both runs replace (RePaint with the unCLIP decoder) and finetuned (the inpainting decoder) on the same
 * scenes and seeds; replace-inpaint is RePaint on the inpainting decoder (the node's method replace given that
 * decoder: it reads the masked source and the mask as well); all runs the three. --write stores the figures in the
 * inpainting decoder's card, naming the weights measured.
 *
 *   npm run eval:inpaint -- [--n 40] [--seed 1] [--method replace|finetuned|replace-inpaint|both|all] [--resample R]
 *                           [--guidance G]
 *                           [--sheet F] [--write]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { encode as encodePng } from 'fast-png';
import { createRegistry } from '../nodes/index';
import { CELL_REACH } from '../nodes/mask/cell';
import { nodeServices } from '../src/host/node-services';
import { encodeImages, encodeTexts, resolveClip } from '../src/models/pipelines/clip';
import { dotArrays } from '../src/tensor/vector';
import { boxDownsample } from '../src/tensor/image';
import { Engine } from '../src/engine/scheduler';
import { createRng } from '../src/tensor/prng';
import { float32, type Float32Tensor } from '../src/tensor/tensor';
import { readPicture } from '../src/world/read';
import { renderScene } from '../src/world/render';
import { sampleScene } from '../src/world/scene';
import { BACKGROUNDS, COLOURS, POSITIONS, SHAPES, cellCentre, type Position } from '../src/world/spec';
import { createModelRuntime, BUNDLED_MODELS_DIR } from '../src/models/runtime/runtime-node';
import { parsePortRef } from '../src/graph/document';
import { weightsSha, writeCards } from './cards';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const N = Number(opt('n', '40'));
const SEED = Number(opt('seed', '1'));
const METHOD = opt('method', 'replace');
/** Each method: the graph branch's fill node (its `method` param) and the decoder it runs. replace works with any
 * decoder (the unCLIP one); finetuned needs the inpainting one; replace-inpaint is replace given the inpainting one. */
const METHOD_SPECS: Record<string, { fill: 'replace' | 'finetuned'; decoder: string }> = {
  replace: { fill: 'replace', decoder: 'mini-unclip-decoder' },
  finetuned: { fill: 'finetuned', decoder: 'mini-unclip-inpaint-decoder' },
  'replace-inpaint': { fill: 'replace', decoder: 'mini-unclip-inpaint-decoder' },
};
const METHODS = METHOD === 'both' ? ['replace', 'finetuned'] : METHOD === 'all' ? Object.keys(METHOD_SPECS) : [METHOD];
if (!METHODS.every((m) => m in METHOD_SPECS))
  throw new Error(`--method: ${Object.keys(METHOD_SPECS).join(', ')}, both or all, not "${METHOD}"`);
const WRITE = args.includes('--write');
const SHEET = opt('sheet', '');
/** Overrides of the graph's fill node (to measure the knobs): --resample R, --guidance G, --steps S. */
const OVERRIDES = Object.fromEntries(
  ['resample', 'guidance', 'steps'].filter((k) => args.includes(`--${k}`)).map((k) => [k, Number(opt(k, '0'))]),
);

/** Cell pairs a row or a column apart at the ends (centres 32 px apart): the mask never reaches the kept object. */
const PAIRS: Array<[Position, Position, 'left of' | 'right of' | 'above' | 'below']> = [];
for (const a of POSITIONS)
  for (const b of POSITIONS) {
    const ca = cellCentre(a),
      cb = cellCentre(b);
    if (ca.y === cb.y && Math.abs(ca.x - cb.x) === 32) PAIRS.push([a, b, ca.x < cb.x ? 'left of' : 'right of']);
    if (ca.x === cb.x && Math.abs(ca.y - cb.y) === 32) PAIRS.push([a, b, ca.y < cb.y ? 'above' : 'below']);
  }

function pngDataUrl(rgb: Uint8Array, side: number): string {
  const png = encodePng({ width: side, height: side, data: rgb, channels: 3, depth: 8 });
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

interface MethodResult {
  method: string;
  decoder: string;
  settings: string;
  asked: number;
  kept: number;
  two: number;
  exact: number;
  /** The same edits carried to 256x256 (node image / image_replace), read box-averaged back to 64x64. */
  at256: { asked: number; kept: number; two: number; exact: number };
  msMedian: number;
  clipColour: number;
  clipShape: number;
  /** What the reader found in the mask where the asked object is not there. */
  misses: { empty: number; colour: number; shape: number; both: number; keptColour: number; keptShape: number };
  tiles: Uint8Array[];
}

async function main(): Promise<void> {
  const models = (await createModelRuntime())!;
  const results: MethodResult[] = [];
  for (const method of METHODS) results.push(await evaluate(models, method));
  const pct = (x: number) => `${((100 * x) / N).toFixed(1)}%`;
  const shaOf = weightsSha(BUNDLED_MODELS_DIR);
  console.log(
    `inpainting, graphs/inpaint.json as users run it, ${N} fresh one-object scenes (an empty cell masked, a new ` +
      `object asked there), seed ${SEED}, judge: the pixel reader (and mini-CLIP, last column)`,
  );
  console.log(
    '| method | decoder (sha256) | settings | asked colour+shape inside the mask | kept object read the same | ' +
      'exactly two objects | outside the mask unchanged (the composite) | time per edit (Node, median) | ' +
      'mini-CLIP prefers the caption to its asked colour / shape changed |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const up256 = shaOf('mini-unclip-upsampler256').slice(0, 8);
  const row256 = (r: MethodResult) =>
    `| ${r.method}, 256x256 (box-averaged to 64) | + mini-unclip-upsampler256 (${up256}) ` +
    `| the edit carried to 256, the 256x256 source kept outside the mask | ${pct(r.at256.asked)} | ` +
    `${pct(r.at256.kept)} | ${pct(r.at256.two)} | ${pct(r.at256.exact)} | — | — |`;
  for (const r of results)
    console.log(
      `| ${r.method} | ${r.decoder} (${shaOf(r.decoder).slice(0, 8)}) | ${r.settings} | ${pct(r.asked)} | ` +
        `${pct(r.kept)} | ${pct(r.two)} | ${pct(r.exact)} | ${r.msMedian.toFixed(0)} ms | ` +
        `${pct(r.clipColour)} / ${pct(r.clipShape)} |\n` +
        row256(r),
    );
  for (const r of results)
    console.log(
      `${r.method}: where the asked object is not in the mask, the mask holds nothing ${r.misses.empty}, ` +
        `its shape in another colour ${r.misses.colour} (the kept object's colour ${r.misses.keptColour}), ` +
        `its colour in another shape ${r.misses.shape} (the kept object's shape ${r.misses.keptShape}), ` +
        `something else ${r.misses.both} (of ${N})`,
    );
  if (SHEET) {
    // rows of (source, one edit per method) for the first 8 scenes, two scenes per row
    const per = 1 + results.length;
    const tiles: Uint8Array[] = [];
    for (let k = 0; k < Math.min(8, results[0]!.tiles.length / 2); k++)
      tiles.push(results[0]!.tiles[2 * k]!, ...results.map((r) => r.tiles[2 * k + 1]!));
    const cols = 2 * per,
      rows = Math.ceil(tiles.length / cols);
    const img = new Uint8Array(cols * 64 * rows * 64 * 3);
    tiles.forEach((tile, i) => {
      const ox = (i % cols) * 64,
        oy = Math.floor(i / cols) * 64;
      for (let y = 0; y < 64; y++)
        img.set(tile.subarray(y * 64 * 3, (y + 1) * 64 * 3), ((oy + y) * cols * 64 + ox) * 3);
    });
    writeFileSync(SHEET, encodePng({ width: cols * 64, height: rows * 64, data: img, channels: 3, depth: 8 }));
    console.log(`contact sheet (source, then ${results.map((r) => r.method).join(', ')}; two scenes a row): ${SHEET}`);
  }
  if (WRITE) {
    const measuredWeights: Record<string, string> = {
      clip: shaOf('mini-clip-text'),
      upsampler: shaOf('mini-unclip-upsampler'),
      upsampler256: shaOf('mini-unclip-upsampler256'),
    };
    for (const r of results)
      measuredWeights[r.decoder === 'mini-unclip-inpaint-decoder' ? 'inpaintDecoder' : 'decoder'] = shaOf(r.decoder);
    const path = writeCards(BUNDLED_MODELS_DIR, {
      'mini-unclip-inpaint-decoder': {
        evaluation: {
          measuredWeights,
          method: `npm run eval:inpaint -- --method ${METHOD} --n ${N} --seed ${SEED}`,
          task:
            'fresh one-object scenes, an empty grid cell masked (mask/cell), a new object asked there by the ' +
            'caption of the whole edited scene',
          rows: results.map((r) => ({
            method: r.method,
            decoder: r.decoder,
            settings: r.settings,
            askedInMask: r.asked / N,
            keptSame: r.kept / N,
            exactlyTwo: r.two / N,
            outsideUnchanged: r.exact / N,
            at256: {
              askedInMask: r.at256.asked / N,
              keptSame: r.at256.kept / N,
              exactlyTwo: r.at256.two / N,
              outsideUnchanged: r.at256.exact / N,
            },
            msPerEditNodeMedian: Math.round(r.msMedian),
            clipPrefersCaptionOverColourChange: r.clipColour / N,
            clipPrefersCaptionOverShapeChange: r.clipShape / N,
          })),
        },
      },
    });
    console.log(`wrote the figures into ${path}`);
  }
}

async function evaluate(
  models: NonNullable<Awaited<ReturnType<typeof createModelRuntime>>>,
  method: string,
): Promise<MethodResult> {
  const graph = JSON.parse(readFileSync(new URL('../graphs/inpaint.json', import.meta.url), 'utf8')) as {
    nodes: Array<{ id: string; type: string; params?: Record<string, unknown>; inputs?: Record<string, string> }>;
  };
  // the mask: the cell, as mask/cell draws it, instead of the example's rectangle
  const maskNode = graph.nodes.find((n) => n.id === 'mask')!;
  maskNode.type = 'mask/cell';
  // the graph's branch for this method's fill (finetuned: fill -> up64 -> edit64 -> up256 -> image, the graph's
  // edit; replace: the same ids ending in _replace), the other branch left out; the fill wired to the load-model
  // node of the method's decoder
  const spec = METHOD_SPECS[method]!;
  const suffix = spec.fill === 'replace' ? '_replace' : '';
  const branch = ['fill', 'up64', 'edit64', 'up256', 'image'];
  const other = branch.map((id) => (suffix ? id : `${id}_replace`));
  graph.nodes = graph.nodes.filter((n) => !other.includes(n.id));
  const fill = graph.nodes.find((n) => n.id === `fill${suffix}`)!;
  if (fill.params?.method !== spec.fill)
    throw new Error(`graphs/inpaint.json: fill${suffix} is not method ${spec.fill}`);
  fill.params = { ...fill.params, ...OVERRIDES };
  const decoderNode = graph.nodes.find((n) => n.type === 'diffusion/load-model' && n.params?.model === spec.decoder);
  if (!decoderNode) throw new Error(`graphs/inpaint.json: no diffusion/load-model node loads ${spec.decoder}`);
  fill.inputs = { ...fill.inputs, decoder: `${decoderNode.id}.model` };
  // a decoder no node reads any more is not loaded
  const wired = new Set(graph.nodes.flatMap((n) => Object.values(n.inputs ?? {}).map((v) => parsePortRef(v)?.nodeId)));
  graph.nodes = graph.nodes.filter((n) => n.type !== 'diffusion/load-model' || wired.has(n.id));
  const engine = new Engine(createRegistry(), nodeServices({ models }));
  const rng = createRng(SEED);
  let asked = 0,
    kept = 0,
    two = 0,
    exact = 0;
  const at256 = { asked: 0, kept: 0, two: 0, exact: 0 };
  const ms: number[] = [];
  const misses = { empty: 0, colour: 0, shape: 0, both: 0, keptColour: 0, keptShape: 0 };
  /** For mini-CLIP: each edited picture with its caption and the caption's two foils (the asked object's colour,
   * then its shape, changed). */
  const judged: Array<{ picture: Float32Array; captions: [string, string, string] }> = [];
  const sheet: Uint8Array[] = [];
  for (let k = 0; k < N; k++) {
    const [keepAt, askAt, relation] = rng.pick(PAIRS);
    const keepC = rng.pick(COLOURS),
      keepS = rng.pick(SHAPES);
    let askC = rng.pick(COLOURS),
      askS = rng.pick(SHAPES);
    while (askC === keepC && askS === keepS) [askC, askS] = [rng.pick(COLOURS), rng.pick(SHAPES)];
    const background = rng.pick(BACKGROUNDS);
    const scene = sampleScene(rng, {
      background,
      objects: [{ colour: keepC, shape: keepS, size: 'small', position: keepAt }],
    });
    // the source a user would load: the scene at 256x256; the edit is drawn at 64x64 on its box average
    const rgb256 = renderScene(scene, undefined, 4);
    const caption = `a ${keepC} ${keepS} ${relation} a ${askC} ${askS} on a ${background} background`;
    maskNode.params = { cell: askAt };
    graph.nodes.find((n) => n.id === 'source')!.params = { src: pngDataUrl(rgb256, 256) };
    graph.nodes.find((n) => n.id === 'prompt')!.params = { text: caption };
    graph.nodes.find((n) => n.id === 'seed')!.params = { value: SEED * 1000 + k };
    engine.load(graph);
    const t0 = performance.now();
    const r = await engine.run();
    ms.push(performance.now() - t0);
    if (!r.ok) throw new Error(`scene ${k}: ${JSON.stringify(r.nodes)}`);
    const centre = cellCentre(askAt);
    const inMask = (o: { cx: number; cy: number }) =>
      Math.abs(o.cx - centre.x) <= CELL_REACH && Math.abs(o.cy - centre.y) <= CELL_REACH;
    const output = (id: string, port: string) => engine.outputsOf(id)![port] as Float32Tensor;
    const source64 = output('source64', 'image');
    const rgb = Uint8Array.from(source64.data, (v) => Math.round(v * 255));
    const out = output(`edit64${suffix}`, 'image');
    const out256 = output(`image${suffix}`, 'image');
    // outside the mask the edit is the source, exactly: at 64 the box-averaged source, at 256 the loaded one
    const unchanged = (pic: Float32Tensor, source: ArrayLike<number>, scale: number, mask: Float32Tensor) => {
      for (let p = 0; p < mask.data.length; p++)
        if (mask.data[p] === 0)
          for (let c = 0; c < 3; c++)
            if (Math.abs(pic.data[p * 3 + c]! - source[p * 3 + c]! / scale) > 1e-6) return false;
      return true;
    };
    if (unchanged(out, source64.data, 1, output('edge', 'mask'))) exact++;
    if (unchanged(out256, rgb256, 255, output('mask256', 'mask'))) at256.exact++;
    const read256 = readPicture(boxDownsample(out256, 4).data, 64, 64);
    if (read256.objects.some((o) => o.colour === askC && o.shape === askS && inMask(o))) at256.asked++;
    if (read256.objects.some((o) => o.colour === keepC && o.shape === keepS && o.position === keepAt)) at256.kept++;
    if (read256.objects.length === 2) at256.two++;
    const read = readPicture(out.data, 64, 64);
    const there = read.objects.filter(inMask);
    if (there.some((o) => o.colour === askC && o.shape === askS)) asked++;
    else if (there.length === 0) misses.empty++;
    else if (there.some((o) => o.colour === askC)) {
      misses.shape++;
      // binding: the kept object's shape given to the asked colour
      if (there.some((o) => o.colour === askC && o.shape === keepS)) misses.keptShape++;
    } else if (there.some((o) => o.shape === askS)) {
      misses.colour++;
      if (there.some((o) => o.shape === askS && o.colour === keepC)) misses.keptColour++;
    } else misses.both++;
    if (read.objects.some((o) => o.colour === keepC && o.shape === keepS && o.position === keepAt)) kept++;
    if (read.objects.length === 2) two++;
    const otherColour = COLOURS.find((c) => c !== askC && c !== keepC)!,
      otherShape = SHAPES.find((x) => x !== askS && x !== keepS)!;
    judged.push({
      picture: Float32Array.from(out.data),
      captions: [
        caption,
        `a ${keepC} ${keepS} ${relation} a ${otherColour} ${askS} on a ${background} background`,
        `a ${keepC} ${keepS} ${relation} a ${askC} ${otherShape} on a ${background} background`,
      ],
    });
    if (SHEET && k < 8) {
      const b = new Uint8Array(64 * 64 * 3);
      for (let i = 0; i < b.length; i++) b[i] = Math.round(Math.min(1, Math.max(0, out.data[i]!)) * 255);
      sheet.push(rgb, b);
    }
  }
  // the second judge: does mini-CLIP prefer the edited scene's caption to the same caption with the asked
  // object's colour (or shape) changed?
  const clip = resolveClip(models, 'mini-clip');
  const images = float32([N, 64, 64, 3], Float32Array.from(judged.flatMap((j) => Array.from(j.picture))));
  const imageEmbeds = await encodeImages(models, clip, images);
  const textEmbeds = await encodeTexts(
    models,
    clip,
    judged.flatMap((j) => j.captions),
  );
  const d = imageEmbeds.shape[1]!;
  let clipColour = 0,
    clipShape = 0;
  judged.forEach((_, i) => {
    const img = imageEmbeds.data.subarray(i * d, (i + 1) * d);
    const [t, c, sh] = [0, 1, 2].map((k) =>
      dotArrays(img, textEmbeds.data.subarray((3 * i + k) * d, (3 * i + k + 1) * d)),
    );
    if (t! > c!) clipColour++;
    if (t! > sh!) clipShape++;
  });
  ms.sort((a, b) => a - b);
  const settings =
    `steps ${String(fill.params.steps)}, guidance ${String(fill.params.guidance)}` +
    (spec.fill === 'replace'
      ? `, resample ${String(fill.params.resample)}` +
        (spec.decoder === 'mini-unclip-inpaint-decoder'
          ? ', the inpainting decoder reading the masked source and the mask too'
          : '')
      : ', x0 pinned to the source where kept (GLIDE’s sampler)');
  return {
    method,
    decoder: spec.decoder,
    settings,
    asked,
    kept,
    two,
    exact,
    at256,
    msMedian: ms[Math.floor(ms.length / 2)]!,
    clipColour,
    clipShape,
    misses,
    tiles: sheet,
  };
}

await main();
