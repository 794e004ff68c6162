/**
 * `npm run eval:unclip`'s judges of single-object pictures by mini-CLIP (colour and shape among the
 * 32 labels) and its `--stages` breakdown: where the unCLIP stack loses accuracy, stage by stage,
 * judged by mini-CLIP and by the pixel reader.
 */
import { encodeImages, encodeTexts, softmaxRows, type ClipModelRef } from '../src/models/pipelines/clip';
import type { ModelRuntime } from '../src/models/runtime/runtime';
import { createRegistry } from '../nodes/index';
import { Engine } from '../src/engine/scheduler';
import { nodeServices } from '../src/host/node-services';
import { parseCaption } from '../src/world/caption';
import { bilinearResize, boxDownsample } from '../src/tensor/image';
import type { Rng } from '../src/tensor/prng';
import { concatFloat32, float32, type Float32Tensor } from '../src/tensor/tensor';
import { cosineMatrix } from '../src/tensor/vector';
import { renderScene } from '../src/world/render';
import { sampleScene } from '../src/world/scene';
import { COLOURS, SHAPES, type Colour, type Shape } from '../src/world/spec';
import { generatePictures, pathGraph, priorEmbeddings, readerScores, type PathSettings } from './eval-compose';
import { imageOf, nodeOf, pictureUrl, upsampleAll } from './graph-runs';

/** Colour and shape by mini-CLIP zero-shot (against "a <colour> <shape>") from image embeddings. */
export async function judge(
  runtime: ModelRuntime,
  clip: ClipModelRef,
  imageEmbeds: Float32Tensor,
  truth: Array<[Colour, Shape]>,
): Promise<{ both: number; colour: number; shape: number }> {
  const prompts = COLOURS.flatMap((c) => SHAPES.map((s) => `a ${c} ${s}`));
  const probs = softmaxRows(cosineMatrix(imageEmbeds, await encodeTexts(runtime, clip, prompts)), clip.logitScale);
  let both = 0,
    colour = 0,
    shape = 0;
  truth.forEach(([c, s], i) => {
    const cs = new Array(8).fill(0),
      ss = new Array(4).fill(0);
    for (let j = 0; j < 32; j++) {
      cs[Math.floor(j / 4)] += probs.data[i * 32 + j]!;
      ss[j % 4] += probs.data[i * 32 + j]!;
    }
    const cOk = COLOURS[cs.indexOf(Math.max(...cs))] === c,
      sOk = SHAPES[ss.indexOf(Math.max(...ss))] === s;
    colour += Number(cOk);
    shape += Number(sOk);
    both += Number(cOk && sOk);
  });
  const n = truth.length;
  return { both: both / n, colour: colour / n, shape: shape / n };
}

/**
 * The decoder given each render's true CLIP image embedding and its caption: graphs/text-to-image.json with its
 * prior replaced by clip/image-encode of the render (an io/load-image), run to the decoder (32x32), a seed a render.
 */
async function decodeFromRenders(
  runtime: ModelRuntime,
  renders: Float32Tensor,
  captions: string[],
  settings: PathSettings,
): Promise<Float32Tensor> {
  const doc = pathGraph(settings);
  doc.nodes = doc.nodes.filter((node) => node.id !== 'prior' && node.id !== 'prior_model');
  doc.nodes.push(
    { id: 'render', type: 'io/load-image', params: {} },
    { id: 'embed', type: 'clip/image-encode', params: {}, inputs: { model: 'clip.model', image: 'render.image' } },
  );
  const decoder = nodeOf(doc, 'decoder');
  decoder.inputs = { ...decoder.inputs, embedding: 'embed.embedding' };
  const engine = new Engine(createRegistry(), nodeServices({ models: runtime }));
  const px = 64 * 64 * 3;
  const out: Float32Array[] = [];
  for (const [i, caption] of captions.entries()) {
    nodeOf(doc, 'render').params = { src: pictureUrl(renders.data.subarray(i * px, (i + 1) * px), 64, 64) };
    nodeOf(doc, 'prompt').params = { text: caption };
    nodeOf(doc, 'seed').params = { value: 77 + i };
    out.push((await imageOf(engine, doc, 'decoder')).data);
  }
  return float32([captions.length, 32, 32, 3], concatFloat32(out));
}

/**
 * Where accuracy is lost: the same colour/shape check on fresh renders, on renders at the decoder's
 * 32x32 (bilinear and upsampler to 64), on decoder samples from the renders' true CLIP image
 * embeddings (no prior), and on the whole pipeline from their captions.
 */
export async function stageBreakdown(
  runtime: ModelRuntime,
  clip: ClipModelRef,
  rng: Rng,
  pick: () => [Colour, Shape],
  n: number,
  settings: PathSettings,
) {
  const truth = Array.from({ length: n }, pick);
  const captions: string[] = [];
  const renders = new Float32Array(n * 64 * 64 * 3);
  truth.forEach(([colour, shape], i) => {
    const scene = sampleScene(rng, { objects: [{ colour, shape }] });
    const o = scene.objects[0]!;
    captions.push(`a ${o.size} ${colour} ${shape} at the ${o.position} on a ${scene.background} background`);
    renders.set(
      Float32Array.from(renderScene(scene), (v) => v / 255),
      i * 64 * 64 * 3,
    );
  });
  const img64 = float32([n, 64, 64, 3], renders),
    img32 = boxDownsample(img64, 2);
  const upsample = (low: Float32Tensor, seed: number) =>
    upsampleAll(runtime, low.data, n, seed, settings.upsampler.steps);
  const emb = await encodeImages(runtime, clip, img64);
  const decoded = await decodeFromRenders(runtime, img64, captions, settings);
  const rows: Array<[string, Float32Tensor]> = [
    ['renders, 64x64', img64],
    ['renders at 32x32, bilinear to 64', bilinearResize(img32, 64, 64)],
    ['renders at 32x32, upsampler to 64', await upsample(img32, 78)],
    ['decoder from true image embedding + caption, bilinear to 64', bilinearResize(decoded, 64, 64)],
    ['decoder from true image embedding + caption, upsampler to 64', await upsample(decoded, 79)],
    [
      'whole pipeline from the caption (prior, decoder, upsampler)',
      await generatePictures(runtime, captions, 5, settings),
    ],
  ];
  const embeddingRows: Array<[string, Float32Tensor]> = [
    ['true CLIP image embeddings of the renders, read directly', emb],
    [
      "the prior's image embeddings from the captions, read directly",
      await priorEmbeddings(runtime, captions, 5, 'prior', settings.prior!),
    ],
  ];
  console.log(
    `\nStage breakdown on ${n} fresh single-object renders (caption names size, colour, shape, position, background):`,
  );
  // the second judge: the pixel reader's colour-shape pair and every stated attribute (pictures only)
  const prompts = captions.map((caption) => ({ caption, truth: parseCaption(caption), heldOut: false }));
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  console.log(
    '| stage | mini-CLIP: colour and shape | colour | shape | reader: colour and shape | reader: every attribute |\n' +
      '| --- | --- | --- | --- | --- | --- |',
  );
  for (const [name, images] of rows) {
    const r = await judge(runtime, clip, await encodeImages(runtime, clip, images), truth);
    const read = readerScores(images, prompts);
    console.log(
      `| ${name} | ${pct(r.both)} | ${pct(r.colour)} | ${pct(r.shape)} | ${pct(read.pairs)} | ${pct(read.all)} |`,
    );
  }
  for (const [name, e] of embeddingRows) {
    const r = await judge(runtime, clip, e, truth); // colour and shape read off the embedding itself
    console.log(`| ${name} | ${pct(r.both)} | ${pct(r.colour)} | ${pct(r.shape)} | | |`);
  }
}
