/**
 * Composition, judged twice: two-object and fully stated single-object prompts through the two
 * paths of the example graphs (caption only, GLIDE-style: `graphs/text-to-image-glide.json`;
 * unCLIP, prior -> decoder: `graphs/text-to-image.json`), with the graphs' own settings, graded
 * by the pixel-level ShapesWorld reader (src/world/read.ts) and by mini-CLIP. The same judges
 * read fresh renders of the same prompts, so each judge's own ceiling stands beside the models.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DotChoice } from '../src/models/pipelines/ar-prior';
import { encodeImages, encodeTexts, softmaxRows, type ClipModelRef } from '../src/models/pipelines/clip';
import type { ModelRuntime } from '../src/models/runtime/runtime';
import type { Rng } from '../src/tensor/prng';
import { concatFloat32, float32, type Float32Tensor } from '../src/tensor/tensor';
import { cosineMatrix } from '../src/tensor/vector';
import { parseCaption } from '../src/world/caption';
import { gradePicture, readPicture, type PictureGrade } from '../src/world/read';
import { renderScene } from '../src/world/render';
import { sampleScene, type SceneConstraints } from '../src/world/scene';
import {
  BACKGROUNDS,
  COLOURS,
  HELD_OUT_PAIRS,
  POSITIONS,
  RELATIONS,
  SHAPES,
  SIZES,
  isHeldOut,
  type Colour,
  type Shape,
} from '../src/world/spec';
import { createRegistry } from '../nodes/index';
import { Engine } from '../src/engine/scheduler';
import { nodeServices } from '../src/host/node-services';
import { outputOf, type GraphDoc } from './graph-runs';

const ROOT = new URL('..', import.meta.url).pathname;

/** The sampling settings of an example graph's prior, decoder and upsampler nodes. */
export interface PathSettings {
  graph: string;
  prior?: { steps: number; guidance: number; candidates: number };
  /** The autoregressive prior instead (graphs/text-to-image-ar.json). */
  arPrior?: { temperature: number; topK: number; dot: DotChoice; candidates: number };
  decoder: {
    steps: number;
    guidance: number;
    eta: number;
    /** diffusion/decode's guidanceMethod (default classifier-free) and, for clip, its scale */
    method?: 'classifier-free' | 'clip' | 'none';
    clipScale?: number;
  };
  /** The 32 -> 64 upsampler (node `up64`) and the 64 -> 256 one (node `image`, the graph's last). */
  upsampler: { steps: number };
  upsampler256: { steps: number };
}

/**
 * Reads the settings from the graph file itself, so the eval follows the graphs users run; a param the file leaves
 * out is the node's own default (from its definition, not a copy here).
 */
export function graphSettings(file: string): PathSettings {
  const graph = JSON.parse(readFileSync(join(ROOT, 'graphs', file), 'utf8')) as {
    nodes: Array<{ type: string; params?: Record<string, number | string> }>;
  };
  const registry = createRegistry();
  const params = (node: { type: string; params?: Record<string, number | string> } | undefined) => {
    if (!node) return undefined;
    const defaults = Object.entries(registry.get(node.type)!.params).map(([k, schema]) => [k, schema.default]);
    return { ...Object.fromEntries(defaults), ...node.params } as Record<string, number | string>;
  };
  const of = (type: string) => params(graph.nodes.find((n) => n.type === type));
  const byId = (id: string) => params(graph.nodes.find((n) => (n as { id?: string }).id === id));
  const num = (params: Record<string, number | string>, name: string) => Number(params[name]);
  const ar = of('prior/autoregressive');
  const prior = of('diffusion/prior'),
    decoder = of('diffusion/decode'),
    up = byId('up64'),
    up256 = byId('image');
  if (!decoder || !up || !up256) throw new Error(`graphs/${file} has no decoder, up64 or image (256) node`);
  return {
    graph: file,
    prior: prior && {
      steps: num(prior, 'steps'),
      guidance: num(prior, 'guidance'),
      candidates: num(prior, 'candidates'),
    },
    arPrior: ar && {
      temperature: num(ar, 'temperature'),
      topK: num(ar, 'topK'),
      dot: ar.dot as DotChoice,
      candidates: num(ar, 'candidates'),
    },
    decoder: {
      steps: num(decoder, 'steps'),
      guidance: num(decoder, 'guidance'),
      eta: num(decoder, 'eta'),
      method: decoder.guidanceMethod as PathSettings['decoder']['method'],
      clipScale: num(decoder, 'clipScale'),
    },
    upsampler: { steps: num(up, 'steps') },
    upsampler256: { steps: num(up256, 'steps') },
  };
}

/**
 * The path's graph (`settings.graph`, one of graphs/text-to-image*.json) with the settings' sampler params, its
 * `prompt` node a `text/lines` node (a batch of captions a run). The engine checks every param as it loads it.
 */
export function pathGraph(settings: PathSettings): GraphDoc {
  const doc = JSON.parse(readFileSync(join(ROOT, 'graphs', settings.graph), 'utf8')) as GraphDoc;
  const set = (type: string, params: Record<string, unknown>, id?: string) => {
    const n = doc.nodes.find((x) => x.type === type && (id === undefined || x.id === id));
    if (!n) throw new Error(`graphs/${settings.graph} has no ${type} node${id ? ` "${id}"` : ''}`);
    const given = Object.entries(params).filter(([, v]) => v !== undefined);
    n.params = { ...n.params, ...Object.fromEntries(given) };
  };
  if (settings.prior) set('diffusion/prior', settings.prior);
  if (settings.arPrior) set('prior/autoregressive', settings.arPrior);
  const { method, ...decoder } = settings.decoder;
  set('diffusion/decode', { ...decoder, guidanceMethod: method, trajectory: false });
  set('diffusion/upsample', settings.upsampler, 'up64');
  set('diffusion/upsample', settings.upsampler256, 'image');
  for (const id of ['prompt', 'seed', 'up64', 'image'])
    if (!doc.nodes.some((n) => n.id === id)) throw new Error(`graphs/${settings.graph} has no node "${id}"`);
  return doc;
}

/**
 * Outputs of a path's graph for a batch of captions, by running the graph through the engine (the nodes, their
 * noise and their checks, exactly as the editor and `npm run graph` run them) to the last of `outputs` and reading
 * the others from what that run computed: `chunk` captions a run, the seed node at seed + the chunk's first index,
 * sample i of a chunk from the nodes' noise streams with index [i].
 */
export async function runPath(
  runtime: ModelRuntime,
  texts: string[],
  seed: number,
  settings: PathSettings,
  outputs: Array<{ node: string; port: string }>,
  chunk: number,
  onChunk?: (done: number) => void,
): Promise<Float32Tensor[]> {
  const doc = pathGraph(settings);
  const engine = new Engine(createRegistry(), nodeServices({ models: runtime }));
  const parts: Float32Array[][] = outputs.map(() => []);
  const shapes: number[][] = outputs.map(() => []);
  const last = outputs[outputs.length - 1]!;
  for (let s = 0; s < texts.length; s += chunk) {
    const batch = texts.slice(s, s + chunk);
    for (const n of doc.nodes) {
      if (n.id === 'prompt') Object.assign(n, { type: 'text/lines', params: { text: batch.join('\n') } });
      if (n.id === 'seed') n.params = { value: seed + s };
    }
    await outputOf(engine, doc, last.node, last.port).catch((e: Error) => {
      throw new Error(`graphs/${settings.graph}: ${e.message}`);
    });
    outputs.forEach(({ node, port }, k) => {
      const out = engine.outputsOf(node)?.[port] as Float32Tensor | undefined;
      if (!out) throw new Error(`graphs/${settings.graph}: ${node} is not on the way to ${last.node}`);
      if (out.shape[0] !== batch.length)
        throw new Error(`graphs/${settings.graph}: ${node} gave ${out.shape[0]} rows for ${batch.length} captions`);
      parts[k]!.push(out.data);
      shapes[k] = out.shape.slice(1);
    });
    onChunk?.(Math.min(texts.length, s + chunk));
  }
  return parts.map((p, k) => float32([texts.length, ...shapes[k]!], concatFloat32(p)));
}

/** Pictures [N, 64, 64, 3] for captions through one path: the first upsampler's (node `up64`). */
export async function generatePictures(
  runtime: ModelRuntime,
  texts: string[],
  seed: number,
  settings: PathSettings,
  chunk = 25,
  onChunk?: (done: number) => void,
): Promise<Float32Tensor> {
  const [p64] = await runPath(runtime, texts, seed, settings, [{ node: 'up64', port: 'image' }], chunk, onChunk);
  return p64!;
}

/** Where each prior's image embedding is in its graph: the diffusion prior's node, the AR prior's normalized one. */
const PRIOR_OUTPUT = {
  prior: { file: 'text-to-image.json', at: { node: 'prior', port: 'embedding' } },
  arPrior: { file: 'text-to-image-ar.json', at: { node: 'embedding', port: 'out' } },
} as const;

/** A prior's image embeddings for captions, as graphs/text-to-image.json (or -ar.json, dequantized) keeps them. */
export async function priorEmbeddings<K extends keyof typeof PRIOR_OUTPUT>(
  runtime: ModelRuntime,
  texts: string[],
  seed: number,
  kind: K,
  o: NonNullable<PathSettings[K]>,
): Promise<Float32Tensor> {
  const { file, at } = PRIOR_OUTPUT[kind];
  const settings = { ...graphSettings(file), [kind]: o };
  const [embeddings] = await runPath(runtime, texts, seed, settings, [at], texts.length);
  return embeddings!;
}

export interface ComposePrompt {
  caption: string;
  truth: SceneConstraints;
  heldOut: boolean;
}

function pair(rng: Rng, heldOut: boolean): [Colour, Shape] {
  if (heldOut) return [...HELD_OUT_PAIRS[rng.int(HELD_OUT_PAIRS.length)]!] as [Colour, Shape];
  for (;;) {
    const c = rng.pick(COLOURS),
      s = rng.pick(SHAPES);
    if (!isHeldOut(c, s)) return [c, s];
  }
}

/**
 * "a <c1> <s1> <left of|right of|above|below|and> a <c2> <s2> on a <bg> background", two distinct
 * colour-shape pairs; a quarter of the prompts name a held-out pair.
 */
export function twoObjectPrompts(rng: Rng, n: number): ComposePrompt[] {
  return Array.from({ length: n }, () => {
    const heldOut = rng.chance(0.25);
    const a = pair(rng, heldOut);
    let b = pair(rng, false);
    while (b[0] === a[0] && b[1] === a[1]) b = pair(rng, false);
    const [first, second] = rng.chance(0.5) ? [a, b] : [b, a];
    const relation = rng.pick([...RELATIONS, 'and'] as const);
    const caption = `a ${first.join(' ')} ${relation} a ${second.join(' ')} on a ${rng.pick(BACKGROUNDS)} background`;
    return { caption, truth: parseCaption(caption), heldOut };
  });
}

/** "a <size> <colour> <shape> at the <position> on a <bg> background", held-out pairs excluded. */
export function singleObjectPrompts(rng: Rng, n: number): ComposePrompt[] {
  return Array.from({ length: n }, () => {
    const [c, s] = pair(rng, false);
    const caption =
      `a ${rng.pick(SIZES)} ${c} ${s} at the ${rng.pick(POSITIONS)} on a ${rng.pick(BACKGROUNDS)} ` + `background`;
    return { caption, truth: parseCaption(caption), heldOut: false };
  });
}

/** Fresh renders of scenes that satisfy each prompt (the judges' ceiling). */
export function renderPrompts(rng: Rng, prompts: ComposePrompt[]): Float32Tensor {
  const out = new Float32Array(prompts.length * 64 * 64 * 3);
  prompts.forEach((p, i) =>
    out.set(
      Float32Array.from(renderScene(sampleScene(rng, p.truth)), (v) => v / 255),
      i * 64 * 64 * 3,
    ),
  );
  return float32([prompts.length, 64, 64, 3], out);
}

export interface ReaderScores {
  /** exactly as many objects as asked */
  count: number;
  /** fewer objects than asked (one missing, or two merged into one blob) */
  fewer: number;
  /** more objects than asked (an extra copy) */
  more: number;
  /** every colour-shape pair present */
  pairs: number;
  /** relation right among relation prompts with both pairs present (NaN when there are none) */
  relation: number;
  relationOf: number;
  /** every stated attribute right */
  all: number;
  n: number;
}

/** The pixel-level reader's grades of pictures against their prompts. */
export function readerScores(images: Float32Tensor, prompts: ComposePrompt[]): ReaderScores {
  const reads = prompts.map((_, i) => readPicture(images.data.subarray(i * 12288, (i + 1) * 12288), 64, 64));
  const grades: PictureGrade[] = prompts.map((p, i) => gradePicture(reads[i]!, p.truth));
  const share = (f: (g: PictureGrade) => boolean) => grades.filter(f).length / Math.max(1, grades.length);
  const drawn = (f: (read: number, asked: number) => boolean) =>
    prompts.filter((p, i) => f(reads[i]!.objects.length, p.truth.objects.length)).length / Math.max(1, prompts.length);
  const rel = grades.filter((g) => g.relation !== undefined);
  return {
    count: share((g) => g.count),
    fewer: drawn((read, asked) => read < asked),
    more: drawn((read, asked) => read > asked),
    pairs: share((g) => g.pairs),
    all: share((g) => g.all),
    relation: rel.length ? rel.filter((g) => g.relation).length / rel.length : NaN,
    relationOf: rel.length,
    n: grades.length,
  };
}

const swapColours = (t: SceneConstraints) => {
  const [a, b] = t.objects as [SceneConstraints['objects'][0], SceneConstraints['objects'][0]];
  return {
    ...t,
    objects: [
      { ...a, colour: b.colour },
      { ...b, colour: a.colour },
    ],
  };
};
const FLIP = { 'left of': 'right of', 'right of': 'left of', above: 'below', below: 'above' } as const;
const captionOf = (t: SceneConstraints) => {
  const [a, b] = t.objects as [SceneConstraints['objects'][0], SceneConstraints['objects'][0]];
  return `a ${a.colour} ${a.shape} ${t.relation ?? 'and'} a ${b.colour} ${b.shape} on a ${t.background} background`;
};

export interface ClipScores {
  /**
   * mini-CLIP finds the picture closer to the prompt than to the prompt with the two colours
   * swapped (prompts with two colours)
   */
  binding: number;
  /** ... than to the prompt with the relation flipped (relation prompts only) */
  relation: number;
}

/** mini-CLIP as the second judge of two-object pictures: does it prefer the prompt over its twins? */
export async function clipScores(
  runtime: ModelRuntime,
  clip: ClipModelRef,
  images: Float32Tensor,
  prompts: ComposePrompt[],
): Promise<ClipScores> {
  const img = await encodeImages(runtime, clip, images);
  const d = clip.embedDim;
  const sim = async (captions: string[]) => {
    const t = await encodeTexts(runtime, clip, captions);
    return captions.map((_, i) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += img.data[i * d + k]! * t.data[i * d + k]!;
      return s;
    });
  };
  const own = await sim(prompts.map((p) => p.caption));
  const swapped = await sim(prompts.map((p) => captionOf(swapColours(p.truth))));
  const relIdx = prompts.flatMap((p, i) => (p.truth.relation ? [i] : []));
  const bindIdx = prompts.flatMap((p, i) => (p.truth.objects[0]!.colour !== p.truth.objects[1]!.colour ? [i] : []));
  const flipped = await sim(
    prompts.map((p) => captionOf(p.truth.relation ? { ...p.truth, relation: FLIP[p.truth.relation] } : p.truth)),
  );
  return {
    binding: bindIdx.filter((i) => own[i]! > swapped[i]!).length / Math.max(1, bindIdx.length),
    relation: relIdx.filter((i) => own[i]! > flipped[i]!).length / Math.max(1, relIdx.length),
  };
}

/** Colour and shape by mini-CLIP zero-shot among the 32 "a <colour> <shape>" labels. */
export async function clipColourShape(
  runtime: ModelRuntime,
  clip: ClipModelRef,
  images: Float32Tensor,
  prompts: ComposePrompt[],
) {
  const labels = COLOURS.flatMap((c) => SHAPES.map((s) => `a ${c} ${s}`));
  const probs = softmaxRows(
    cosineMatrix(await encodeImages(runtime, clip, images), await encodeTexts(runtime, clip, labels)),
    clip.logitScale,
  );
  let both = 0;
  prompts.forEach((p, i) => {
    let best = 0;
    for (let j = 1; j < labels.length; j++)
      if (probs.data[i * labels.length + j]! > probs.data[i * labels.length + best]!) best = j;
    const o = p.truth.objects[0]!;
    both += Number(labels[best] === `a ${o.colour} ${o.shape}`);
  });
  return both / prompts.length;
}
