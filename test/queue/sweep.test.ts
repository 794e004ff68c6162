import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAME } from '../../src/queue/bullmq';
import { GridError, gridPoints, parseGridAxis } from '../../src/queue/grid';
import { sharedProvenance } from '../../src/queue/results';
import { readProvenance, type Provenance } from '../../src/graph/provenance';
import { freePort, startRedis, type TestRedis } from './redis';

const root = new URL('../..', import.meta.url).pathname;
const FIXTURE = 'test/fixtures/render-sweep.json';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function node(
  args: string[],
  opts: { onStderr?: (s: string) => void } = {},
): { proc: ChildProcess; done: Promise<Ran> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '',
    stderr = '';
  proc.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    opts.onStderr?.(stderr);
  });
  const done = new Promise<Ran>((resolve) => proc.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { proc, done };
}
const sweep = (...args: string[]) => node(['src/cli/main.ts', 'sweep', ...args]).done;
const lines = (dir: string) =>
  readFileSync(join(dir, 'results.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as {
          key: string;
          status: string;
          params: Record<string, string | number>;
          files: string[];
          worker: string;
          error?: string;
        },
    );
const out = () => mkdtempSync(join(tmpdir(), 'sweep-'));

function startWorker(url: string, extra: string[] = []) {
  let log = '';
  const w = node(['src/cli/worker.ts', '--queue', url, ...extra], {
    onStderr: (s) => {
      log = s;
    },
  });
  const waitFor = async (re: RegExp, ms = 60_000) => {
    const t0 = Date.now();
    while (!re.test(log)) {
      if (Date.now() - t0 > ms) throw new Error(`worker never logged ${re}: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { ...w, waitFor, log: () => log };
}

describe('sweep grids', () => {
  it('reads lists, files and integer ranges, and crosses the axes', () => {
    const a = parseGridAxis('seed.value=1..3', () => '');
    const b = parseGridAxis('prompt.text=@prompts.txt', () => 'a red circle\n\n a blue square \n');
    const c = parseGridAxis('decoder.guidance=1,3', () => '');
    expect(a.values).toEqual(['1', '2', '3']);
    expect(b.values).toEqual(['a red circle', 'a blue square']);
    const points = gridPoints([a, b, c]);
    expect(points).toHaveLength(12);
    expect(points[0]).toEqual({ 'seed.value': '1', 'prompt.text': 'a red circle', 'decoder.guidance': '1' });
    expect(points[11]).toEqual({ 'seed.value': '3', 'prompt.text': 'a blue square', 'decoder.guidance': '3' });
  });

  it('refuses malformed axes with a sentence naming the axis', () => {
    expect(() => parseGridAxis('seed=1,2', () => '')).toThrow(/is not <nodeId>.<param>=<values>/);
    expect(() => parseGridAxis('seed.value=5..2', () => '')).toThrow(/range 5..2 is empty/);
    expect(() => parseGridAxis('seed.value=0..1000000', () => '')).toThrow(/at most/);
    expect(() =>
      parseGridAxis('prompt.text=@nope.txt', () => {
        throw Object.assign(new Error('x'), { code: 'ENOENT' });
      }),
    ).toThrow(/cannot read nope.txt: no such file/);
    expect(() => gridPoints([parseGridAxis('a.b=1', () => ''), parseGridAxis('a.b=2', () => '')])).toThrow(GridError);
  });
});

describe("a contact sheet's provenance", () => {
  const tile = (node: string, backends: Provenance['backends']): Provenance => ({
    format: 'unclip-studio/provenance',
    version: 1,
    product: { name: 'unclip-studio', version: '0.3.0' },
    runtime: { name: 'onnxruntime-web', version: '1.30.0' },
    backends,
    models: [],
    picture: { node, port: 'image', index: 0 },
  });

  it("is its tiles' when they all agree (without a picture), and none when any differs or has none", () => {
    const { picture: _picture, ...shared } = tile('a', ['wasm']);
    expect(sharedProvenance([tile('a', ['wasm']), tile('b', ['wasm'])])).toEqual(shared);
    expect(sharedProvenance([tile('a', ['wasm']), tile('b', ['webgpu'])])).toBeNull();
    expect(sharedProvenance([tile('a', ['wasm']), null])).toBeNull();
    expect(sharedProvenance([])).toBeNull();
  });
});

describe('npm run graph -- sweep, locally', () => {
  it(
    'runs one job per point on a pool, writes results.jsonl, ' + 'images and a contact sheet, and runs nothing twice',
    async () => {
      const dir = out();
      const grid = [
        '--grid',
        'scene.seed=1..2',
        '--grid',
        'scene.caption=a red circle,a blue square on a black background',
      ];
      const first = await sweep(FIXTURE, ...grid, '--out', dir, '--concurrency', '2');
      expect(first.code, first.stderr).toBe(0);
      const rows = lines(dir);
      expect(rows).toHaveLength(4);
      expect(new Set(rows.map((r) => r.key)).size).toBe(4);
      for (const r of rows) {
        expect(r).toMatchObject({
          status: 'done',
          files: [expect.stringMatching(/^images\/[0-9a-f]{16}-scene\.png$/)],
        });
        expect(readFileSync(join(dir, r.files[0]!)).subarray(1, 4).toString()).toBe('PNG');
        expect(typeof r.worker).toBe('string');
      }
      expect(rows.map((r) => r.params['scene.seed']).sort()).toEqual([1, 1, 2, 2]);
      expect(rows.map((r) => r.params['scene.caption']).sort()).toEqual([
        'a blue square on a black background',
        'a blue square on a black background',
        'a red circle',
        'a red circle',
      ]);
      expect(readFileSync(join(dir, 'contact-sheet.png')).subarray(1, 4).toString()).toBe('PNG');
      // each job's picture names itself in its provenance; the sheet carries what they share, naming no picture
      const tile = readProvenance(new Uint8Array(readFileSync(join(dir, rows[0]!.files[0]!)))).provenance;
      expect(tile).toMatchObject({ models: [], backends: [], picture: { node: 'scene', port: 'image', index: 0 } });
      const sheet = readProvenance(new Uint8Array(readFileSync(join(dir, 'contact-sheet.png')))).provenance;
      expect(sheet).toEqual({ ...tile, picture: undefined });
      const again = await sweep(FIXTURE, ...grid, '--out', dir, '--json');
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, jobs: 4, skipped: 4, failed: 0 });
      expect(lines(dir)).toHaveLength(4);
    },
    120_000,
  );

  it('sweeps an exposed param of a subgraph node', async () => {
    const dir = out();
    const r = await sweep('graphs/subgraphs.json', '--grid', 'low.guidance=1,2', '--out', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, jobs: 2, failed: 0 });
    const rows = lines(dir);
    expect(rows.map((x) => x.params['low.guidance']).sort()).toEqual([1, 2]); // typed as the param's number
    expect(new Set(rows.map((x) => x.key)).size).toBe(2);
  }, 180_000);

  it('fails a job whose node fails with the node named, keeps the others, and exits 1', async () => {
    const dir = out();
    const r = await sweep(FIXTURE, '--grid', 'scene.caption=a red circle,a purple blob', '--out', dir);
    expect(r.code).toBe(1);
    const rows = lines(dir);
    expect(rows.find((x) => x.params['scene.caption'] === 'a red circle')!.status).toBe('done');
    expect(rows.find((x) => x.params['scene.caption'] === 'a purple blob')).toMatchObject({
      status: 'failed',
      files: [],
      error: expect.stringMatching(/^node "scene": .*"blob"/),
    });
  }, 120_000);

  it('refuses a bad graph, a bad axis or an out-of-range value before running anything (exit 2)', async () => {
    const dir = join(out(), 'never');
    const bad = join(out(), 'bad.json');
    const stranger = join(out(), 'stranger.json');
    const graph = (node: object) => JSON.stringify({ format: 'unclip-studio/graph', version: 1, nodes: [node] });
    writeFileSync(bad, graph({ id: 'x', type: 'embedding/normalize', inputs: { in: 'ghost.out' } }));
    writeFileSync(stranger, graph({ id: 'x', type: 'no/such-type' }));
    for (const [args, message] of [
      [[bad, '--grid', 'x.y=1'], /bad\.json cannot be loaded:[\s\S]*"ghost", which does not exist/],
      [[stranger, '--grid', 'x.y=1'], /--grid x\.y=1: node "x" is a placeholder \(unknown type "no\/such-type"\)/],
      [[FIXTURE, '--grid', 'ghost.seed=1'], /node "ghost" is not in the graph/],
      [[FIXTURE, '--grid', 'scene.count=1,999'], /scene\.count=999: .*between 1 and 64/],
      [[FIXTURE, '--grid', 'scene.seed=1', '--concurrency', '0'], /--concurrency must be/],
      [[FIXTURE, '--grid', 'scene.seed=1', '--queue', 'http://x'], /must be a redis:\/\//],
    ] as const) {
      const r = await sweep(...args, '--out', dir);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(dir)).toBe(false);
  }, 120_000);
});

describe('npm run graph -- sweep --queue (BullMQ on a real redis-server)', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  });

  it('says which Redis it cannot reach and exits 2 before queueing', async () => {
    const r = await sweep(
      FIXTURE,
      '--grid',
      'scene.seed=1',
      '--out',
      join(out(), 'o'),
      '--queue',
      `redis://127.0.0.1:${await freePort()}`,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it(
    'runs jobs on workers; a resubmitted sweep runs ' + 'nothing again; a node error fails once, without retries',
    async () => {
      const worker = startWorker(redis.url, ['--concurrency', '2']);
      try {
        const dir = out();
        const grid = ['--grid', 'scene.seed=1..3', '--grid', 'scene.caption=a red circle,a purple blob'];
        const r = await sweep(FIXTURE, ...grid, '--out', dir, '--queue', redis.url);
        expect(r.code).toBe(1);
        const rows = lines(dir);
        expect(rows).toHaveLength(6);
        expect(rows.filter((x) => x.status === 'done')).toHaveLength(3);
        for (const x of rows.filter((y) => y.status === 'failed')) expect(x.error).toMatch(/^node "scene": /);
        const took = (worker.log().match(/took /g) ?? []).length;
        expect(took).toBe(6);
        // the same sweep into a fresh folder: results come from the queue, nothing runs again
        const dir2 = out();
        const again = await sweep(
          FIXTURE,
          '--grid',
          'scene.seed=1..3',
          '--grid',
          'scene.caption=a red circle',
          '--out',
          dir2,
          '--queue',
          redis.url,
        );
        expect(again.code).toBe(0);
        expect(
          lines(dir2)
            .map((x) => x.key)
            .sort(),
        ).toEqual(
          rows
            .filter((x) => x.status === 'done')
            .map((x) => x.key)
            .sort(),
        );
        expect((worker.log().match(/took /g) ?? []).length).toBe(took);
        const queue = new Queue(QUEUE_NAME, { connection: new IORedis(redis.url, { maxRetriesPerRequest: null }) });
        for (const x of rows.filter((y) => y.status === 'failed'))
          expect((await queue.getJob(x.key))!.attemptsMade).toBe(1);
        // a payload put on the queue by hand is checked like a graph file, and fails without retries
        await queue.add(
          'graph',
          {
            graph: JSON.stringify({
              format: 'unclip-studio/graph',
              version: 1,
              nodes: [{ id: 'n', type: 'embedding/normalize', inputs: { in: 'ghost.out' } }],
            }),
            params: {},
          },
          { jobId: 'forged', attempts: 3 },
        );
        await queue.add(
          'graph',
          { graph: readFileSync(join(root, FIXTURE), 'utf8'), params: { 'scene.seed': '1' } },
          { jobId: 'misnamed', attempts: 3 },
        );
        await worker.waitFor(/failed forged[\s\S]*failed misnamed|failed misnamed[\s\S]*failed forged/);
        const forged = (await queue.getJob('forged'))!,
          misnamed = (await queue.getJob('misnamed'))!;
        expect(forged.failedReason).toMatch(/cannot be loaded: .*"ghost", which does not exist/);
        expect(forged.attemptsMade).toBe(1);
        expect(misnamed.failedReason).toMatch(/hash to [0-9a-f]{64} here/);
        await queue.close();
      } finally {
        worker.proc.kill('SIGTERM');
        const end = await worker.done;
        expect(end.code).toBe(0);
        expect(end.stderr).toMatch(/SIGTERM: finishing the jobs in hand[\s\S]*stopped/);
      }
    },
    180_000,
  );

  it('resumes a sweep whose client was killed: nothing done runs again, each key once', async () => {
    const w = startWorker(redis.url);
    try {
      const dir = out();
      const grid = ['--grid', 'seed.value=31..33', '--grid', 'decoder.steps=15'];
      const first = node([
        'src/cli/main.ts',
        'sweep',
        'graphs/text-to-image-glide.json',
        ...grid,
        '--out',
        dir,
        '--queue',
        redis.url,
      ]);
      await w.waitFor(/done [0-9a-f]{64}/);
      first.proc.kill('SIGKILL');
      await first.done;
      const again = await sweep('graphs/text-to-image-glide.json', ...grid, '--out', dir, '--queue', redis.url);
      expect(again.code, again.stderr).toBe(0);
      const rows = lines(dir);
      expect(rows).toHaveLength(3);
      expect(new Set(rows.map((x) => x.key)).size).toBe(3);
      expect((w.log().match(/took /g) ?? []).length).toBe(3); // every job ran exactly once across both clients
    } finally {
      w.proc.kill('SIGTERM');
      await w.done;
    }
  }, 240_000);

  it(
    'loses nothing when a worker is SIGKILLed mid-job: ' + 'the job is re-delivered and finished by another, once',
    async () => {
      const a = startWorker(redis.url, ['--lock-ms', '2000']);
      const dir = out();
      const run = sweep(
        'graphs/text-to-image-glide.json',
        '--grid',
        'seed.value=11,12',
        '--grid',
        'decoder.steps=40',
        '--out',
        dir,
        '--queue',
        redis.url,
      );
      await a.waitFor(/took [0-9a-f]{64}/);
      await new Promise((r) => setTimeout(r, 500));
      a.proc.kill('SIGKILL');
      const killedJob = /took ([0-9a-f]{64})/.exec(a.log())![1]!;
      const b = startWorker(redis.url, ['--lock-ms', '2000']);
      try {
        const r = await run;
        expect(r.code, r.stderr).toBe(0);
        const rows = lines(dir);
        expect(rows).toHaveLength(2);
        expect(new Set(rows.map((x) => x.key)).size).toBe(2);
        const redone = rows.find((x) => x.key === killedJob)!;
        expect(redone.status).toBe('done');
        expect(redone.worker).toMatch(new RegExp(`:${b.proc.pid}$`));
      } finally {
        b.proc.kill('SIGTERM');
        await b.done;
      }
    },
    240_000,
  );

  it('rides out Redis going away mid-sweep: client and worker reconnect and the sweep completes', async () => {
    const w = startWorker(redis.url);
    try {
      const dir = out();
      const run = sweep(
        'graphs/text-to-image-glide.json',
        '--grid',
        'seed.value=21..23',
        '--grid',
        'decoder.steps=20',
        '--out',
        dir,
        '--queue',
        redis.url,
      );
      await w.waitFor(/done [0-9a-f]{64}/);
      await redis.stop();
      await new Promise((r) => setTimeout(r, 1500));
      await redis.start();
      const r = await run;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/lost Redis at redis:\/\/127\.0\.0\.1:\d+[\s\S]*is back/);
      expect(lines(dir).filter((x) => x.status === 'done')).toHaveLength(3);
    } finally {
      w.proc.kill('SIGTERM');
      await w.done;
    }
  }, 240_000);
});
