import { describe, expect, it } from 'vitest';
import { graph, testNodes } from './helpers';

const chain = graph([
  { id: 'src', type: 'test/const', params: { value: 1 } },
  { id: 'a', type: 'test/add', params: { k: 1 }, inputs: { x: 'src.value' } },
  { id: 'b', type: 'test/add', params: { k: 10 }, inputs: { x: 'a.value' } },
  { id: 'side', type: 'test/add', params: { k: 100 }, inputs: { x: 'src.value' } },
  { id: 'join', type: 'test/sum', inputs: { a: 'b.value', b: 'side.value' } },
]);

/** A test/const "src" feeding test/slow nodes of these ids, steps and ms a step. */
const slowAfterSrc = (slow: Array<{ id: string; steps: number; ms: number }>) =>
  graph([
    { id: 'src', type: 'test/const' },
    ...slow.map(({ id, steps, ms }) => ({ id, type: 'test/slow', params: { steps, ms }, inputs: { x: 'src.value' } })),
  ]);

describe('scheduler', () => {
  it('evaluates in dependency order and produces the outputs', async () => {
    const t = testNodes(chain);
    const r = await t.engine.run();
    expect(r.ok).toBe(true);
    expect(t.engine.outputsOf('join')!.value).toBe(1 + 1 + 10 + (1 + 100));
    expect(r.ran).toBe(5);
  });

  it('re-runs only the nodes downstream of a changed param', async () => {
    const t = testNodes(chain);
    await t.engine.run();
    t.runs.clear();
    t.engine.setParam('a', 'k', 2);
    const r = await t.engine.run({ onEvent: t.onEvent });
    expect([...t.runs.keys()].sort()).toEqual(['a', 'b', 'join']);
    expect(r.ran).toBe(3);
    expect(t.engine.outputsOf('join')!.value).toBe(114);
    expect(
      t.events
        .filter((e) => e.status === 'cached')
        .map((e) => e.nodeId)
        .sort(),
    ).toEqual(['side', 'src']);
  });

  it('runs nothing when nothing changed, and a revert comes back from the cache', async () => {
    const t = testNodes(chain);
    await t.engine.run();
    t.engine.setParam('a', 'k', 5);
    await t.engine.run();
    t.runs.clear();
    t.engine.setParam('a', 'k', 1);
    const r = await t.engine.run();
    expect(r.ran).toBe(0);
    expect(t.runs.size).toBe(0);
    expect(t.engine.outputsOf('join')!.value).toBe(113);
  });

  it("gives a node of a graph just loaded only its own results, not the previous graph's node's", async () => {
    const t = testNodes(chain);
    await t.engine.run();
    expect(t.engine.outputsOf('a')!.value).toBe(2);
    // a new graph whose "a" is other work: nothing to show until it runs (the editor showed the old output after New)
    t.engine.load(graph([{ id: 'a', type: 'test/const', params: { value: 7 } }]));
    expect(t.engine.outputsOf('a')).toBeUndefined();
    expect(t.engine.pinInspected('a')).toBe(false);
    // the first graph again: its results are still cached, and they are its own (the same Merkle keys)
    t.engine.load(chain);
    expect(t.engine.outputsOf('a')!.value).toBe(2);
    expect(t.engine.outputsOf('join')!.value).toBe(113);
  });

  it('runs only what the targets need', async () => {
    const t = testNodes(chain);
    const r = await t.engine.run({ targets: ['side'] });
    expect([...t.runs.keys()].sort()).toEqual(['side', 'src']);
    expect(Object.keys(r.nodes).sort()).toEqual(['side', 'src']);
  });

  it('shares results between identical sub-graphs (Merkle keys)', async () => {
    const t = testNodes(
      graph([
        { id: 'x1', type: 'test/const', params: { value: 3 } },
        { id: 'x2', type: 'test/const', params: { value: 3 } },
        { id: 'y1', type: 'test/add', inputs: { x: 'x1.value' } },
        { id: 'y2', type: 'test/add', inputs: { x: 'x2.value' } },
      ]),
    );
    await t.engine.run({ targets: ['y1'] });
    t.runs.clear();
    const r = await t.engine.run({ targets: ['y2'] });
    expect(r.fromCache).toBe(1);
    expect(t.runs.size).toBe(0);
  });

  it('runs independent ready nodes concurrently', async () => {
    const t = testNodes(slowAfterSrc([1, 2, 3, 4].map((i) => ({ id: `s${i}`, steps: 3, ms: 30 + i }))));
    const t0 = performance.now();
    await t.engine.run();
    const elapsed = performance.now() - t0;
    expect(t.maxActive()).toBe(4);
    expect(elapsed).toBeLessThan(4 * 3 * 30); // sequential would take at least this long
  });

  it('honours a concurrency limit', async () => {
    const t = testNodes(slowAfterSrc([1, 2, 3, 4].map((i) => ({ id: `s${i}`, steps: 2, ms: 5 + i }))));
    await t.engine.run({ concurrency: 2 });
    expect(t.maxActive()).toBe(2);
  });

  it('reports queued, running with progress, done with a time, then cached', async () => {
    const t = testNodes(slowAfterSrc([{ id: 's', steps: 4, ms: 1 }]));
    await t.engine.run({ onEvent: t.onEvent });
    const mine = t.events.filter((e) => e.nodeId === 's');
    expect(mine[0]!.status).toBe('queued');
    expect(mine.filter((e) => e.status === 'running').map((e) => e.progress)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(mine.find((e) => e.status === 'running' && e.step === 2)!.steps).toBe(4);
    const done = mine[mine.length - 1]!;
    expect(done.status).toBe('done');
    expect(done.ms).toBeGreaterThan(0);
    t.events.length = 0;
    await t.engine.run({ targets: ['s'], onEvent: t.onEvent });
    expect(t.events.map((e) => `${e.nodeId}:${e.status}`)).toEqual(['s:cached']); // its inputs are not needed
  });

  it('isolates a failure: the node and its downstream fail, everything else finishes and stays cached', async () => {
    const t = testNodes(chain);
    t.engine.setParam('a', 'fail', true);
    const r = await t.engine.run({ onEvent: t.onEvent });
    expect(r.ok).toBe(false);
    expect(r.nodes.a).toMatchObject({ status: 'error', message: 'asked to fail' });
    expect(r.nodes.b!.status).toBe('error');
    expect(r.nodes.b!.message).toMatch(/upstream node "a" failed/);
    expect(r.nodes.join!.status).toBe('error');
    expect(r.nodes.side!.status).toBe('done');
    expect(r.failed).toBe(3);
    t.runs.clear();
    t.engine.setParam('a', 'fail', false);
    const again = await t.engine.run();
    expect(again.ok).toBe(true);
    expect([...t.runs.keys()].sort()).toEqual(['a', 'b', 'join']);
  });

  it('turns a NaN output into an error naming the node and the port', async () => {
    const t = testNodes(
      graph([
        { id: 'bad', type: 'test/nan' },
        { id: 'n', type: 'embedding/normalize', inputs: { in: 'bad.out' } },
      ]),
    );
    const r = await t.engine.run();
    expect(r.nodes.bad).toMatchObject({ status: 'error', message: 'output "out" has 1 NaN or infinite value' });
    expect(r.nodes.n!.message).toMatch(/upstream node "bad"/);
  });

  it('aborts between steps of a long node and leaves the cache consistent', async () => {
    const t = testNodes(
      graph([
        { id: 'src', type: 'test/const', params: { value: 4 } },
        { id: 's', type: 'test/slow', params: { steps: 100, ms: 5 }, inputs: { x: 'src.value' } },
        { id: 'after', type: 'test/add', inputs: { x: 's.value' } },
      ]),
    );
    const ac = new AbortController();
    const running = t.engine.run({
      signal: ac.signal,
      onEvent: (e) => {
        t.onEvent(e);
        if (e.nodeId === 's' && e.step === 3) ac.abort();
      },
    });
    const r = await running;
    expect(r.cancelled).toBe(true);
    expect(r.nodes.s!.status).toBe('cancelled');
    expect(r.nodes.after!.status).toBe('cancelled');
    expect(r.nodes.src!.status).toBe('done');
    expect(t.events.filter((e) => e.nodeId === 's' && e.status === 'running').length).toBeLessThan(10);
    expect(t.engine.outputsOf('s')).toBeUndefined();
    t.runs.clear();
    t.engine.setParam('s', 'steps', 2);
    const again = await t.engine.run();
    expect(again.ok).toBe(true);
    expect(t.runs.has('src')).toBe(false); // still cached after the abort
    expect(t.engine.outputsOf('after')!.value).toBe(5);
  });

  it('cancelAll stops a run in flight', async () => {
    const t = testNodes(slowAfterSrc([{ id: 's', steps: 200, ms: 5 }]));
    const p = t.engine.run();
    setTimeout(() => t.engine.cancelAll(), 30);
    const r = await p;
    expect(r.nodes.s!.status).toBe('cancelled');
  });

  it('bypass passes the first matching input through', async () => {
    const t = testNodes(
      graph([
        { id: 'src', type: 'test/const', params: { value: 7 } },
        { id: 'a', type: 'test/add', params: { k: 1000 }, bypass: true, inputs: { x: 'src.value' } },
      ]),
    );
    await t.engine.run();
    expect(t.engine.outputsOf('a')!.value).toBe(7);
    expect(t.runs.has('a')).toBe(false);
  });

  it('setParam validates against the schema and names the node and param', () => {
    const t = testNodes(
      graph([
        { id: 'mix', type: 'embedding/slerp', inputs: { a: 'r.out', b: 'r.out' } },
        { id: 'r', type: 'embedding/random' },
      ]),
    );
    expect(() => t.engine.setParam('mix', 't', 2)).toThrow(/node "mix" params\.t: must be between 0 and 1/);
    expect(() => t.engine.setParam('mix', 'tt', 0.1)).toThrow(/node "mix" params\.tt: unknown param/);
    expect(() => t.engine.setParam('ghost', 't', 0.1)).toThrow(/node "ghost"/);
  });
});

describe('memo cache budget', () => {
  /** Four 1 KiB random embeddings and their concatenation, under a 5 KiB cache budget. */
  const fourEmbeddingsJoined = () => {
    const t = testNodes();
    t.engine.cache.setBudget(5 * 1024);
    const e = [1, 2, 3, 4].map((i) => ({
      id: `e${i}`,
      type: 'embedding/random',
      params: { seed: i, count: 1, dim: 256 },
    }));
    const join = {
      id: 'join',
      type: 'embedding/concat',
      inputs: { a: 'e1.out', b: 'e2.out', c: 'e3.out', d: 'e4.out' },
    };
    t.engine.load(graph([...e, join]));
    return t;
  };

  it('evicts least recently used entries under the byte budget but never what a run is using', async () => {
    const t = fourEmbeddingsJoined();
    const r = await t.engine.run();
    expect(r.ok).toBe(true); // 8 KiB pinned during the run, over a 5 KiB budget
    expect(t.engine.outputsOf('join')!.out).toBeDefined();
    expect(t.engine.cache.bytes).toBeLessThanOrEqual(5 * 1024 + 200);
    expect(t.engine.outputsOf('e1')).toBeUndefined(); // oldest went first
  });

  it('never evicts what the inspector shows; letting go of it makes it evictable again', async () => {
    const t = fourEmbeddingsJoined();
    await t.engine.run({ targets: ['e1'] });
    expect(t.engine.pinInspected('e1')).toBe(true);
    expect((await t.engine.run()).ok).toBe(true);
    expect(t.engine.outputsOf('e1')).toBeDefined(); // the oldest, but on screen
    expect(t.engine.outputsOf('e2')).toBeUndefined();
    t.engine.cache.setBudget(1024); // tighter: still kept while pinned
    expect(t.engine.outputsOf('e1')).toBeDefined();
    t.engine.pinInspected(null);
    expect(t.engine.outputsOf('e1')).toBeUndefined();
    expect(t.engine.pinInspected('e1')).toBe(false); // nothing left to pin
  });
});
