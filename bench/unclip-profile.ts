import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { createRegistry } from '../nodes/index';
import { nodeServices } from '../src/host/node-services';
import { Engine } from '../src/engine/scheduler';
import { createRuntime, loadManifest } from '../src/models/runtime/runtime';
import { BUNDLED_MODELS_DIR, fsModelSource } from '../src/models/runtime/runtime-node';
import { parsePrinted, summarizeProfile, type ModelProfile, type ProfileEvent } from './profile-stats';

/**
 * The default graph three times (seed changes) with onnxruntime's per-op profiler on, 1 thread, both sides at graph
 * optimization 'all' (like for like); per model, the op groups of its calls in the last run.
 */
async function profileSide(side: 'web' | 'node', graph: string): Promise<Record<string, ModelProfile>> {
  const ort = (side === 'node' ? await import('onnxruntime-node') : ortWeb) as unknown as typeof ortWeb;
  const source = fsModelSource(BUNDLED_MODELS_DIR);
  const manifest = await loadManifest(source);
  const dir = mkdtempSync(join(tmpdir(), 'ort-profile-'));
  const sessions: Array<{ id: string; session: ortWeb.InferenceSession }> = [];
  // which model a session is: native opens the file by its path, onnxruntime-web gets the bytes
  const idOf = (model: Uint8Array | string) =>
    manifest.models.find((m) => (typeof model === 'string' ? model.endsWith(m.file) : model.byteLength === m.bytes))
      ?.id ?? 'unknown';
  const create = async (model: Uint8Array | string, options: ortWeb.InferenceSession.SessionOptions) => {
    const id = idOf(model);
    const opts = { ...options, enableProfiling: true, profileFilePrefix: join(dir, id) };
    const session = await ort.InferenceSession.create(model as Uint8Array, opts);
    sessions.push({ id, session });
    return session;
  };
  const profiled = { ...ort, InferenceSession: { create } } as unknown as typeof ortWeb;
  let sessionOptions: ortWeb.InferenceSession.SessionOptions;
  if (side === 'node') {
    sessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1, graphOptimizationLevel: 'all' };
  } else {
    ort.env.wasm.numThreads = 1;
    sessionOptions = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  }
  const models = createRuntime(profiled, manifest, source, { sessionOptions });
  const engine = new Engine(createRegistry(), nodeServices({ models }));
  engine.load(graph);
  let last: Awaited<ReturnType<Engine['run']>> | undefined;
  for (let seed = 100; seed < 103; seed++) {
    engine.setParam('seed', 'value', seed);
    last = await engine.run();
    if (!last.ok) throw new Error(`the graph failed: ${JSON.stringify(last.nodes)}`);
  }
  const out: Record<string, ModelProfile> = {};
  for (const { id, session } of sessions) {
    let events: ProfileEvent[];
    if (side === 'node') {
      await session.endProfiling();
      const file = readdirSync(dir).find((f) => f.startsWith(`${id}_`) && f.endsWith('.json'));
      events = file ? (JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[]) : [];
    } else {
      // onnxruntime-web's WASM prints the profile with fs.writeSync(1, ...) (Emscripten's stdout): catch it
      const fs = createRequire(import.meta.url)('node:fs') as { writeSync: (...a: unknown[]) => number };
      const writeSync = fs.writeSync;
      let printed = '';
      fs.writeSync = (...a: unknown[]) => {
        if (a[0] !== 1 || typeof a[1] !== 'string') return writeSync(...a);
        printed += a[1];
        return a[1].length;
      };
      try {
        await session.endProfiling();
      } finally {
        fs.writeSync = writeSync;
      }
      events = parsePrinted(printed);
    }
    const callsPerGraph = Math.round(events.filter((e) => e.name === 'model_run').length / 3);
    if (callsPerGraph > 0) out[id] = summarizeProfile(events, callsPerGraph);
  }
  rmSync(dir, { recursive: true, force: true });
  return out;
}

/** `npm run bench -- unclip --profile`: where each model's time goes, onnxruntime-web against native, per op group. */
export async function profileUnclip(graphPath: string): Promise<void> {
  const graph = readFileSync(graphPath, 'utf8');
  const web = await profileSide('web', graph);
  const native = await profileSide('node', graph);
  const ms = (x: number | undefined) => (x === undefined ? '' : `${x.toFixed(1)} ms`);
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || (a < 0.2 && b < 0.2) ? '' : `${(a / b).toFixed(1)}x`;
  console.log(
    `\nPer-op profile (enableProfiling; 1 thread, graph optimization 'all' on both sides; the last of three graph ` +
      `runs), ms per model call:`,
  );
  for (const id of Object.keys(web)) {
    const w = web[id]!,
      n = native[id];
    if (!n) continue;
    const kernels = (p: ModelProfile) => Object.values(p.groups).reduce((a, b) => a + b, 0);
    const share = (p: ModelProfile, g: string) =>
      p.groups[g] === undefined ? '' : ` (${Math.round((100 * p.groups[g]) / kernels(p))}%)`;
    console.log(`\n${id}: ${w.calls} calls a graph run`);
    console.log('| op group | web | native | ratio |');
    console.log('| --- | --- | --- | --- |');
    const groups = [...new Set([...Object.keys(w.groups), ...Object.keys(n.groups)])].sort(
      (a, b) => (w.groups[b] ?? 0) - (w.groups[a] ?? 0),
    );
    for (const g of groups) {
      console.log(
        `| ${g} | ${ms(w.groups[g])}${share(w, g)} | ${ms(n.groups[g])}${share(n, g)} | ` +
          `${ratio(w.groups[g], n.groups[g])} |`,
      );
    }
    console.log(`| the call | ${ms(w.callMs)} | ${ms(n.callMs)} | ${ratio(w.callMs, n.callMs)} |`);
  }
}
