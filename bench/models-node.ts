/**
 * One side of `npm run bench -- models` in Node, in a process of its own so that its peak RSS is its own:
 *
 *   npx tsx bench/models-node.ts '{"side":"ours-web","model":"clip","threads":1,"runs":5,"clip":"<dir>",...}'
 *
 * Sides: ours through the engine (the graphs of models-inputs.ts) on onnxruntime-web's WASM build (`ours-web`) or
 * native onnxruntime-node (`ours-node`); transformers.js (`tjs-node`: its Node build runs onnxruntime-node) on the
 * same CLIP folder, captions and pictures. Prints one JSON line (a SideResult).
 */
import { basename, dirname } from 'node:path';
import { createRegistry } from '../nodes/index';
import { Engine } from '../src/engine/scheduler';
import { nodeServices, readBytesNode } from '../src/host/node-services';
import { createModelRuntime } from '../src/models/runtime/runtime-node';
import type { Tensor } from '../src/tensor/tensor';
import {
  CLIP_LOADER,
  CLIP_RUN_NODES,
  PICTURES,
  SIDE,
  captionsOf,
  clipGraph,
  pictureRgb,
  pngDataUrl,
} from './models-inputs';
import { median, pairOf, type PairResult, type SideResult } from './models-stats';
import { openUnet, unetStep } from './models-unet';

export interface NodeSideArgs {
  /** pair-node: ours (native) and transformers.js in one process, in turn (a PairResult). */
  side: 'ours-web' | 'ours-node' | 'tjs-node' | 'pair-node';
  model: 'clip' | 'unet';
  threads: number;
  runs: number;
  clip: string;
  unet: string;
}

const rss = () => process.resourceUsage().maxRSS * 1024;

/** Ours, the U-Net: opened as the loader node opens it, then one U-Net call, cold once and `runs` times warm. */
async function oursUnet(a: NodeSideArgs): Promise<SideResult> {
  const rssBefore = rss();
  const models = (await createModelRuntime(undefined, a.side === 'ours-node' ? 'node' : 'web', a.threads))!;
  const { session, loadMs } = await openUnet(models, a.unet, readBytesNode);
  const first = await unetStep(session, 0);
  const warm: Array<Record<string, number>> = [];
  for (let run = 1; run <= a.runs; run++) warm.push({ step: await unetStep(session, run) });
  const loads = models.loadTimings();
  return {
    side: a.side,
    model: a.model,
    threads: a.threads,
    runtime: `${models.runtimeName().name} ${models.runtimeName().version}`,
    loadMs,
    loadPhases: {
      sha256: loads.reduce((s, l) => s + l.hashMs, 0),
      session: loads.reduce((s, l) => s + l.createMs, 0),
    },
    firstMs: { step: first },
    warmMs: { step: median(warm.map((w) => w.step!)) },
    warmAll: warm,
    peakRssBytes: rss(),
    rssBeforeBytes: rssBefore,
  };
}

type Encoded = { ms: Record<string, number>; embeddings: { text: number[]; image: number[] } };

/** Ours, the CLIP: the graph's loader run (its ms), and a function timing each encoder of run `run` on its own. */
async function openOurs(a: NodeSideArgs, backend: 'web' | 'node') {
  const models = (await createModelRuntime(undefined, backend, a.threads))!;
  const engine = new Engine(createRegistry(), nodeServices({ models }));
  const docOf = (run: number) =>
    clipGraph(
      a.clip,
      run,
      Array.from({ length: PICTURES }, (_, i) => pngDataUrl(pictureRgb(i, run))),
    );
  const timed = async (id: string) => {
    const r = await engine.run({ targets: [id] });
    if (!r.ok) throw new Error(`${a.side} ${a.model}: node ${id} failed: ${JSON.stringify(r.nodes[id])}`);
    return r.nodes[id]!.ms;
  };
  engine.load(docOf(0));
  const loadMs = await timed(CLIP_LOADER);
  const data = (id: string) => Array.from((engine.outputsOf(id)!.embedding as Tensor).data as Float32Array);
  // one encoder at a time: the runtime runs one session call at a time, and a node's ms would count the other's wait
  const encode = async (run: number): Promise<Encoded> => {
    if (run > 0) engine.load(docOf(run));
    const ms: Record<string, number> = {};
    for (const id of CLIP_RUN_NODES) ms[id] = await timed(id);
    return { ms, embeddings: { text: data('text_emb'), image: data('image_emb') } };
  };
  return { models, loadMs, encode };
}

/** transformers.js on the same folder (tokenizer, processor and both halves from disk, no hub), the same way. */
async function openTransformers(a: NodeSideArgs) {
  const t = await import('@huggingface/transformers');
  t.env.allowRemoteModels = false;
  t.env.localModelPath = `${dirname(a.clip)}/`;
  const name = basename(a.clip);
  const opts = { dtype: 'fp32' as const, device: 'cpu' as const, session_options: { intraOpNumThreads: a.threads } };
  const t0 = performance.now();
  const [tokenizer, processor, textModel, visionModel] = await Promise.all([
    t.AutoTokenizer.from_pretrained(name),
    t.AutoProcessor.from_pretrained(name),
    t.CLIPTextModelWithProjection.from_pretrained(name, opts),
    t.CLIPVisionModelWithProjection.from_pretrained(name, opts),
  ]);
  const loadMs = performance.now() - t0;
  type Embeds = { normalize(p: number, d: number): { data: unknown } };
  // as ours: every caption padded to the context (77), the embeddings at unit length
  const encode = async (run: number): Promise<Encoded> => {
    let s = performance.now();
    const inputs = tokenizer(captionsOf(run), { padding: 'max_length', max_length: 77, truncation: true });
    const text = ((await textModel(inputs)) as { text_embeds: Embeds }).text_embeds.normalize(2, -1).data;
    const textMs = performance.now() - s;
    s = performance.now();
    const pics = Array.from(
      { length: PICTURES },
      (_, i) => new t.RawImage(new Uint8ClampedArray(pictureRgb(i, run)), SIDE, SIDE, 3),
    );
    const out = (await visionModel(await processor(pics))) as { image_embeds: Embeds };
    const image = out.image_embeds.normalize(2, -1).data;
    return {
      ms: { text_emb: textMs, image_emb: performance.now() - s },
      embeddings: { text: Array.from(text as Float32Array), image: Array.from(image as Float32Array) },
    };
  };
  const versions = (t.env.backends.onnx as { versions?: Record<string, string> } | undefined)?.versions ?? {};
  const runtime = `transformers.js ${t.env.version}, onnxruntime-node ${versions.node ?? versions.common ?? '?'}`;
  return { loadMs, encode, runtime };
}

/** One side on the CLIP: its load, the first run, `runs` warm runs, its peak RSS. */
async function clipSide(a: NodeSideArgs): Promise<SideResult> {
  const rssBefore = rss();
  const side =
    a.side === 'tjs-node'
      ? await openTransformers(a)
      : await openOurs(a, a.side === 'ours-node' ? 'node' : 'web').then((o) => {
          const name = o.models.runtimeName();
          const loads = o.models.loadTimings();
          return {
            ...o,
            runtime: `${name.name} ${name.version}`,
            loadPhases: {
              sha256: loads.reduce((s, l) => s + l.hashMs, 0),
              session: loads.reduce((s, l) => s + l.createMs, 0),
            },
          };
        });
  const first = await side.encode(0);
  const warm: Array<Record<string, number>> = [];
  for (let run = 1; run <= a.runs; run++) warm.push((await side.encode(run)).ms);
  return {
    side: a.side,
    model: 'clip',
    threads: a.threads,
    runtime: side.runtime,
    loadMs: side.loadMs,
    loadPhases: 'loadPhases' in side ? (side.loadPhases as Record<string, number>) : undefined,
    firstMs: first.ms,
    warmMs: Object.fromEntries(CLIP_RUN_NODES.map((id) => [id, median(warm.map((w) => w[id]!))])),
    warmAll: warm,
    peakRssBytes: rss(),
    rssBeforeBytes: rssBefore,
    embeddings: first.embeddings,
  };
}

/**
 * Ours (native, as transformers.js's Node build) and transformers.js in one process, their warm runs taken in turn
 * (which goes first alternates), so that both see the same moments of a busy machine: per run ours / theirs, and
 * the median of those ratios. Their loads and peaks are the separate sides'.
 */
async function pairedClip(a: NodeSideArgs): Promise<PairResult> {
  const ours = await openOurs(a, 'node');
  const theirs = await openTransformers(a);
  await ours.encode(0);
  await theirs.encode(0);
  const runs: Array<{ ours: Record<string, number>; theirs: Record<string, number> }> = [];
  for (let run = 1; run <= a.runs; run++) {
    const [x, y] = run % 2 ? [ours, theirs] : [theirs, ours];
    const first = (await x.encode(run)).ms,
      second = (await y.encode(run)).ms;
    runs.push(run % 2 ? { ours: first, theirs: second } : { ours: second, theirs: first });
  }
  return pairOf('node', a.threads, runs);
}

const args = JSON.parse(process.argv[2] ?? '{}') as NodeSideArgs;
const result =
  args.side === 'pair-node'
    ? await pairedClip(args)
    : args.model === 'unet'
      ? await oursUnet(args)
      : await clipSide(args);
console.log(JSON.stringify(result));
// onnxruntime's thread pools can keep the process up
process.exit(0);
