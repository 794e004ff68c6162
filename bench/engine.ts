import { createRegistry } from '../nodes/index';
import { Engine } from '../src/engine/scheduler';
import { nodeServices } from '../src/host/node-services';
import { startNodeEngine } from '../src/host/node-client';

/** A chain: one random embedding, then n - 1 normalize nodes, each reading the previous. */
function chain(n: number, dim = 8) {
  const nodes: unknown[] = [{ id: 'n0', type: 'embedding/random', params: { seed: 1, dim } }];
  for (let i = 1; i < n; i++) nodes.push({ id: `n${i}`, type: 'embedding/normalize', inputs: { in: `n${i - 1}.out` } });
  nodes.push({ id: 'last', type: 'embedding/slerp', params: { t: 0.5 }, inputs: { a: `n${n - 1}.out`, b: 'n0.out' } });
  return { format: 'unclip-studio/graph', version: 1, nodes };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchEngine(): Promise<void> {
  const N = 1000,
    REPEATS = 5;
  console.log(`\n== engine: a ${N}-node chain of cheap nodes (median of ${REPEATS}) ==`);
  const cold: number[] = [],
    rerun: number[] = [],
    nothing: number[] = [],
    keyed: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const engine = new Engine(createRegistry(), nodeServices());
    engine.load(chain(N));
    let t0 = performance.now();
    const first = await engine.run();
    cold.push(performance.now() - t0);
    if (first.ran !== N + 1) throw new Error(`expected ${N + 1} nodes to run, got ${first.ran}`);
    engine.setParam('last', 't', 0.25 + r * 0.01);
    t0 = performance.now();
    const second = await engine.run();
    rerun.push(performance.now() - t0);
    if (second.ran !== 1) throw new Error(`expected 1 node to re-run, got ${second.ran}`);
    t0 = performance.now();
    await engine.run();
    nothing.push(performance.now() - t0);
    engine.setParam('n0', 'seed', 100 + r);
    t0 = performance.now();
    await engine.run({ targets: ['n0'] });
    keyed.push(performance.now() - t0);
  }
  const c = median(cold),
    re = median(rerun),
    no = median(nothing);
  console.log(
    `cold run:                      ${c.toFixed(1)} ms  (${((c / (N + 1)) * 1000).toFixed(1)} µs per node, work + ` +
      `scheduling)`,
  );
  console.log(`re-run after changing the last node: ${re.toFixed(2)} ms`);
  console.log(`re-run with nothing changed:   ${no.toFixed(2)} ms (re-planning ${N + 1} nodes, keys memoized)`);
  console.log(`ratio re-run / cold:           ${(re / c).toFixed(4)}  (cold is ${(c / re).toFixed(0)}x slower)`);

  const worker = startNodeEngine();
  try {
    await worker.api.loadGraph(chain(N));
    const w: number[] = [];
    const wr: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      await worker.api.setParam('n0', 'seed', 1000 + r);
      let t0 = performance.now();
      await worker.api.run();
      w.push(performance.now() - t0);
      await worker.api.setParam('last', 't', 0.1 + r * 0.01);
      t0 = performance.now();
      await worker.api.run();
      wr.push(performance.now() - t0);
    }
    console.log(
      `through the Node worker (comlink): cold ${median(w).toFixed(1)} ms, re-run of the last node ` +
        `${median(wr).toFixed(2)} ms, ratio ${(median(wr) / median(w)).toFixed(4)}`,
    );
  } finally {
    await worker.terminate();
  }
}
