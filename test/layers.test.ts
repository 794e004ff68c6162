import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * The import layers of the design (README, "A tour of the folders") are rules of dependency-cruiser
 * (.dependency-cruiser.cjs), run by `npm run lint`. These tests show the rules hold on the sources and fail where
 * they should: test/fixtures/layers is a miniature of the layout with one wrong import per rule.
 */
const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const cruise = (...paths: string[]) =>
  run('npx', ['depcruise', ...paths, '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  }).then(
    (r) => JSON.parse(r.stdout) as Report,
    (e: { stdout: string }) => JSON.parse(e.stdout) as Report,
  );

interface Report {
  summary: { error: number; violations: Array<{ from: string; to: string; rule: { name: string } }> };
}

describe('import layers', () => {
  it('hold on the sources: no wrong direction and no circle', async () => {
    const report = await cruise('src', 'nodes', 'eval', 'bench');
    expect(report.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  }, 120_000);

  it('fail on a wrong import, naming the rule and the file, for every kind of rule', async () => {
    const report = await cruise('test/fixtures/layers');
    const seen = report.summary.violations.map((v) => `${v.rule.name}: ${v.from.replace('test/fixtures/layers/', '')}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        'nodes-layer: nodes/alpha/alpha.ts',
        'engine-layer: src/engine/scheduler.ts',
        'graph-layer: src/graph/a.ts',
        'queue-layer: src/queue/job.ts',
        'nothing-imports-clients: src/queue/job.ts',
        'node-families-share-through-kit: nodes/beta/beta.ts',
        'no-circular: src/graph/a.ts',
      ]),
    );
    expect(report.summary.error).toBe(report.summary.violations.length);
  }, 120_000);
});
