/**
 * `npm run bench -- sweep`: throughput of one sweep of text-to-image jobs (default 48: 12 seeds x
 * 4 prompts) on this machine, side by side in one run: the local pool at concurrency 1 and 2, and
 * BullMQ on a real redis-server with 1 and 2 workers (each worker concurrency 1). Each
 * configuration starts from fresh processes and an empty queue, so model loading counts for all.
 *   npm run bench -- sweep [--jobs 48]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '../test/queue/redis';

const root = new URL('..', import.meta.url).pathname;
const PROMPTS = [
  'a red circle',
  'a large blue square on a black background',
  'a green triangle left of a yellow cross',
  'a small pink circle at the top right',
];

function node(args: string[]): { kill(): void; done: Promise<number> } {
  const p = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'ignore'] });
  return { kill: () => p.kill('SIGTERM'), done: new Promise((r) => p.once('exit', (c) => r(c ?? 1))) };
}

export async function benchSweep(): Promise<void> {
  const i = process.argv.indexOf('--jobs');
  const jobs = i > 0 ? Number(process.argv[i + 1]) : 48;
  const seeds = Math.max(1, Math.round(jobs / PROMPTS.length));
  const grid = ['--grid', `seed.value=1..${seeds}`, '--grid', `prompt.text=${PROMPTS.join(',')}`];
  const n = seeds * PROMPTS.length;
  const rows: Array<{ name: string; s: number }> = [];
  const time = async (name: string, run: () => Promise<void>) => {
    const t0 = performance.now();
    await run();
    rows.push({ name, s: (performance.now() - t0) / 1000 });
    console.error(`  ${name}: ${rows.at(-1)!.s.toFixed(1)} s`);
  };
  const sweep = async (extra: string[]) => {
    const code = await node([
      'src/cli/main.ts',
      'sweep',
      'graphs/text-to-image.json',
      ...grid,
      '--out',
      mkdtempSync(join(tmpdir(), 'bench-sweep-')),
      ...extra,
    ]).done;
    if (code !== 0) throw new Error(`sweep ${extra.join(' ')} exited ${code}`);
  };
  console.log(
    `\n## Sweep: ${n} text-to-image jobs (graphs/text-to-image.json, ${seeds} seeds x ${PROMPTS.length} prompts)`,
  );
  await time('local pool, concurrency 1', () => sweep(['--concurrency', '1']));
  await time('local pool, concurrency 2', () => sweep(['--concurrency', '2']));
  for (const workers of [1, 2]) {
    const redis = await startRedis();
    const ws = Array.from({ length: workers }, () => node(['src/cli/worker.ts', '--queue', redis.url]));
    try {
      await time(`BullMQ queue, ${workers} worker${workers > 1 ? 's' : ''}`, () => sweep(['--queue', redis.url]));
    } finally {
      ws.forEach((w) => w.kill());
      await Promise.all(ws.map((w) => w.done));
      await redis.stop();
    }
  }
  const base = rows[0]!.s;
  console.log(
    '| configuration | wall time | jobs per minute | per job | vs local concurrency 1 |\n| --- | --- | --- | --- | ' +
      '--- |',
  );
  for (const r of rows)
    console.log(
      `| ${r.name} | ${r.s.toFixed(1)} s | ${((n / r.s) * 60).toFixed(1)} | ${((r.s / n) * 1000).toFixed(0)} ms | ` +
        `${(base / r.s).toFixed(2)}x |`,
    );
  const overhead = ((rows[2]!.s - rows[0]!.s) / n) * 1000;
  const perMachine = (n / rows[3]!.s) * 60;
  console.log(
    `Queue overhead per job (1 worker vs local concurrency 1): ${overhead.toFixed(0)} ms. A second machine like ` +
      `this one running \`npm run worker -- --concurrency 2\` would add about ${perMachine.toFixed(1)} jobs/min ` +
      `(this machine's 2-worker rate), ${(perMachine * 2).toFixed(1)} jobs/min for both, as long as Redis is not ` +
      `the bottleneck (a job is a handful of commands and its PNGs).`,
  );
}
