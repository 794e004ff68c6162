import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRegistry } from '../nodes/index';
import { nodeServices } from '../src/engine/node-services';
import { Engine } from '../src/engine/scheduler';
import { createModelRuntime } from '../src/models/runtime-node';

const GRAPH = 'graphs/text-to-image.json';

/** Per-node milliseconds of one cold run of the graph on a runtime. */
async function stageTimes(backend: 'web' | 'node'): Promise<Record<string, number>> {
  const models = await createModelRuntime(undefined, backend, 1);
  const engine = new Engine(createRegistry(), nodeServices({ models }));
  engine.load(readFileSync(GRAPH, 'utf8'));
  const r = await engine.run();
  if (!r.ok) throw new Error(`${GRAPH} failed on ${backend}: ${JSON.stringify(r.nodes)}`);
  return Object.fromEntries(Object.entries(r.nodes).map(([id, n]) => [id, n.ms]));
}

export async function benchUnclip(): Promise<void> {
  console.log(
    `\n== ${GRAPH}: wall time by stage, onnxruntime-web (WASM, 1 thread) vs onnxruntime-node (native CPU, 1 ` +
      `thread), same run ==`,
  );
  if (!existsSync('public/models/mini-unclip-decoder.onnx')) {
    console.log('skipped: the generative models are not bundled yet');
    return;
  }
  const t0 = performance.now();
  execFileSync('npx', ['tsx', 'src/cli/main.ts', 'run', GRAPH, '--out', 'out/bench'], { stdio: 'ignore' });
  const cli = performance.now() - t0;
  const web = await stageTimes('web');
  const native = await stageTimes('node');
  console.log('| node | onnxruntime-web ms | onnxruntime-node ms | ratio |');
  console.log('| --- | --- | --- | --- |');
  let tw = 0,
    tn = 0;
  for (const id of Object.keys(web)) {
    tw += web[id]!;
    tn += native[id]!;
    if (web[id]! < 5 && native[id]! < 5) continue;
    console.log(
      `| ${id} | ${web[id]!.toFixed(0)} | ${native[id]!.toFixed(0)} | ` +
        `${(web[id]! / Math.max(native[id]!, 0.01)).toFixed(1)}x |`,
    );
  }
  console.log(`| all nodes | ${tw.toFixed(0)} | ${tn.toFixed(0)} | ${(tw / tn).toFixed(1)}x |`);
  console.log(
    `whole CLI command (npm run graph -- run ${GRAPH} --out out/bench, worker start and model loads included): ` +
      `${cli.toFixed(0)} ms`,
  );
}
