import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractSweep } from '../../src/engine/sweep';
import { extractGraph } from '../../src/graph/png-graph';

const root = new URL('../..', import.meta.url).pathname;
const FIXTURE = 'test/fixtures/render-sweep.json';

function sweep(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sweep', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '',
    stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stdout, stderr })));
}
const keys = (dir: string) =>
  readFileSync(join(dir, 'results.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { key: string }).key)
    .sort();
const out = () => mkdtempSync(join(tmpdir(), 'sweep-grid-'));

describe('the grid PNG of npm run graph -- sweep', () => {
  it('carries the graph and the sweep, and sweeping it again runs the same jobs', async () => {
    const dir = out();
    const first = await sweep(
      FIXTURE,
      '--grid',
      'scene.seed=1..2',
      '--grid',
      'scene.caption=a red circle,a blue square',
      '--out',
      dir,
    );
    expect(first.code, first.stderr).toBe(0);
    const png = new Uint8Array(readFileSync(join(dir, 'grid.png')));
    expect(extractGraph(png)).toBe(readFileSync(FIXTURE, 'utf8'));
    expect(extractSweep(png)?.map((a) => [a.nodeId, a.param, a.values])).toEqual([
      ['scene', 'seed', ['1', '2']],
      ['scene', 'caption', ['a red circle', 'a blue square']],
    ]);
    // the grid alone (no --grid) is the whole sweep: the same four job keys, from anywhere the PNG is copied
    const again = out();
    copyFileSync(join(dir, 'grid.png'), join(again, 'grid.png'));
    const second = await sweep(join(again, 'grid.png'), '--out', join(again, 'out'), '--json');
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ ok: true, jobs: 4, failed: 0 });
    expect(keys(join(again, 'out'))).toEqual(keys(dir));
    // a --grid given replaces the PNG's axes
    const third = await sweep(join(again, 'grid.png'), '--grid', 'scene.seed=5', '--out', join(again, 'one'), '--json');
    expect(JSON.parse(third.stdout)).toMatchObject({ ok: true, jobs: 1 });
  }, 120_000);

  it('refuses a PNG without a sweep and no --grid, exit 2', async () => {
    const dir = out();
    const first = await sweep(FIXTURE, '--grid', 'scene.seed=1', '--out', dir);
    expect(first.code, first.stderr).toBe(0);
    const picture = join(dir, readFileSync(join(dir, 'results.jsonl'), 'utf8').match(/images\/[^"]+/)![0]);
    const r = await sweep(picture, '--out', join(dir, 'never'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no --grid given \(and the PNG carries no sweep\)/);
  }, 120_000);
});
