/**
 * The Chromium page of `npm run bench -- models` (built by bench/models-browser.ts, driven through
 * `window.modelsBench`): our runtime's U-Net as the engine worker would open it (createBrowserModelRuntime, the
 * folder fetched by fetchBytes), and transformers.js's own build (with its own onnxruntime-web, served from
 * node_modules, never a CDN) on the same CLIP folder, captions and pictures as every other side.
 */
import { createBrowserModelRuntime, fetchBytes } from '../../src/models/runtime/runtime-browser';
import { PICTURES, SIDE, captionsOf, pictureRgb } from '../models-inputs';
import { median } from '../models-stats';
import { openUnet, unetStep } from '../models-unet';

type Embeds = { normalize(p: number, dim: number): { data: Float32Array } };
/** The little of transformers.js this page uses (its dist file is loaded by URL, untyped). */
interface TransformersJs {
  env: {
    version: string;
    allowRemoteModels: boolean;
    allowLocalModels: boolean;
    localModelPath: string;
    useBrowserCache: boolean;
    backends: { onnx: { wasm: { wasmPaths: string; numThreads: number }; versions?: Record<string, string> } };
  };
  AutoTokenizer: { from_pretrained(name: string): Promise<(texts: string[], o: object) => object> };
  AutoProcessor: { from_pretrained(name: string): Promise<(images: unknown[]) => Promise<object>> };
  CLIPTextModelWithProjection: { from_pretrained(name: string, o: object): Promise<(x: object) => Promise<object>> };
  CLIPVisionModelWithProjection: { from_pretrained(name: string, o: object): Promise<(x: object) => Promise<object>> };
  RawImage: new (data: Uint8ClampedArray, w: number, h: number, c: number) => unknown;
}

async function unet(folder: string, runs: number) {
  const models = await createBrowserModelRuntime();
  const { session, loadMs } = await openUnet(models, folder, fetchBytes);
  const first = await unetStep(session, 0);
  const warm: Array<Record<string, number>> = [];
  for (let run = 1; run <= runs; run++) warm.push({ step: await unetStep(session, run) });
  const loads = models.loadTimings();
  const name = models.runtimeName();
  return {
    runtime: `${name.name} ${name.version}`,
    loadMs,
    loadPhases: {
      sha256: loads.reduce((s, l) => s + l.hashMs, 0),
      session: loads.reduce((s, l) => s + l.createMs, 0),
    },
    firstMs: { step: first },
    warmMs: { step: median(warm.map((w) => w.step!)) },
    warmAll: warm,
    threads: self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1,
  };
}

type Encoded = { ms: Record<string, number>; embeddings: { text: number[]; image: number[] } };
let tjsEncode: ((run: number) => Promise<Encoded>) | undefined;

/** Loads transformers.js's tokenizer, processor and both halves from the served folder; its load in ms. */
async function tjsOpen(name: string, threads: number) {
  const url = new URL('/bench-tjs/transformers.js', location.origin).href;
  const t = (await import(/* @vite-ignore */ url)) as TransformersJs;
  t.env.allowRemoteModels = false;
  t.env.allowLocalModels = true;
  t.env.localModelPath = '/bench-models/';
  t.env.useBrowserCache = true;
  t.env.backends.onnx.wasm.wasmPaths = new URL('/bench-tjs/ort/', location.origin).href;
  t.env.backends.onnx.wasm.numThreads = threads;
  const opts = { dtype: 'fp32', device: 'wasm' };
  const t0 = performance.now();
  const [tokenizer, processor, textModel, visionModel] = await Promise.all([
    t.AutoTokenizer.from_pretrained(name),
    t.AutoProcessor.from_pretrained(name),
    t.CLIPTextModelWithProjection.from_pretrained(name, opts),
    t.CLIPVisionModelWithProjection.from_pretrained(name, opts),
  ]);
  const loadMs = performance.now() - t0;
  // as ours: every caption padded to the context (77), the embeddings at unit length
  tjsEncode = async (run) => {
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
      embeddings: { text: Array.from(text), image: Array.from(image) },
    };
  };
  const v = t.env.backends.onnx.versions ?? {};
  return {
    loadMs,
    runtime: `transformers.js ${t.env.version}, onnxruntime-web ${v.web ?? v.common ?? '?'}`,
    ortWeb: v.web ?? v.common ?? null,
  };
}

/** transformers.js as one side: its load, the first run, `runs` warm runs. */
async function transformersJs(name: string, threads: number, runs: number) {
  const opened = await tjsOpen(name, threads);
  const first = await tjsEncode!(0);
  const warm: Array<Record<string, number>> = [];
  for (let run = 1; run <= runs; run++) warm.push((await tjsEncode!(run)).ms);
  return {
    ...opened,
    firstMs: first.ms,
    warmMs: { text_emb: median(warm.map((w) => w.text_emb!)), image_emb: median(warm.map((w) => w.image_emb!)) },
    warmAll: warm,
    threads,
    embeddings: first.embeddings,
  };
}

(window as unknown as { modelsBench: unknown }).modelsBench = {
  unet,
  transformersJs,
  tjsOpen,
  tjsEncode: (run: number) => tjsEncode!(run),
};
