import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, run } from './helpers/python';

describe('npm run study -- --quick', () => {
  it(
    'runs graphs/study/paths.json over its prompt sets and writes the report: five claims, each with N, ' +
      'a verdict, and the judges, and the cascade stage by stage; contact sheets and charts',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'study-'));
      const r = await run('npx', ['tsx', 'eval/study.ts', '--quick', '--out', out], { cwd: root });
      expect(r.stdout).toMatch(/wrote .*README\.md/);
      const md = readFileSync(join(out, 'README.md'), 'utf8');
      const sections = md.split('\n').filter((l) => /^## \d\. /.test(l));
      expect(sections).toHaveLength(6);
      // every section states whether this model family agrees with the paper, with numbers
      expect(
        md.match(/\*\*(Agrees|Does not agree|No difference)\*\* (with the paper|at this N): [^\n]*\d+(\.\d)?%?/g),
      ).toHaveLength(5);
      expect(md).toMatch(/N = 6 fresh single-object prompts/);
      expect(md).toMatch(/N = 6 two-object prompts/);
      expect(md).toMatch(/Weights \(sha256\): decoder `[0-9a-f]{8}`/);
      // every path appears in section 1's table with a reader and a mini-CLIP figure
      for (const path of [
        'caption only',
        'CLIP text embedding',
        'diffusion prior',
        'diffusion prior, best of 2',
        'autoregressive prior',
      ])
        expect(md).toMatch(new RegExp(`\\| ${path}[^|]*\\| \\d+\\.\\d% \\| \\d+\\.\\d% \\| \\d+\\.\\d% \\|`));
      // the cascade: each stage read by both judges, and whether the 256x256 stage kept what the 64x64 one drew
      for (const stage of ['decoder, 32x32', 'upsampler, 64x64', 'second upsampler, 256x256'])
        expect(md).toMatch(new RegExp(`\\| ${stage}[^|]*\\| \\d+\\.\\d% \\| \\d+\\.\\d% \\| \\d+\\.\\d% \\|`));
      expect(md).toMatch(/\*\*(Kept|Changed)\*\*: every attribute \d+\.\d% at 256x256 against \d+\.\d% at 64x64/);
      for (const f of ['sheet-1-paths.png', 'sheet-3-binding.png', 'sheet-4-diversity.png', 'sheet-6-cascade.png'])
        expect(readFileSync(join(out, f)).subarray(1, 4).toString()).toBe('PNG');
      for (const f of ['chart-1-accuracy.svg', 'chart-4-diversity.svg'])
        expect(readFileSync(join(out, f), 'utf8')).toMatch(/^<svg [^>]*>.*<rect x="\d+/s);
      expect(existsSync(join(root, 'graphs', 'study', 'paths.json'))).toBe(true);
    },
    900_000,
  );
});
