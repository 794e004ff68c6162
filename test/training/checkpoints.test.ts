import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const PYTHON = '/usr/bin/python3';

/** A copy of training/'s code (no checkpoints, datasets or runs) in dir/training: the repository a run sees. */
async function trainingTree(dir: string): Promise<string> {
  const training = join(dir, 'training');
  const code = "ls | grep -vx 'data\\|runs\\|carry\\|checkpoints\\|logs'";
  await run('sh', ['-c', `mkdir -p '${training}' && cd '${join(root, 'training')}' && cp -r $(${code}) '${training}'`]);
  return training;
}

describe('the 256x256 upsampler and the checkpoint policy', () => {
  it(
    'trains the 64 -> 256 upsampler on crops of 256x256 renders, keeps float16 weights only, and resumes a run ' +
      'exactly from its committed state',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'up256-'));
      const data = join(dir, 'tiny256.bin');
      const args = ['--count', '8', '--seed', '3', '--scale', '4', '--out', data];
      await run('npx', ['tsx', 'src/world/dataset-cli.ts', ...args], { cwd: root });
      await trainingTree(dir);
      const py = (args: string[]) => run(PYTHON, args, { cwd: dir });
      const common = ['--data', data, '--batch', '2', '--threads', '1', '--device', 'cpu', '--ckpt-every', '1'];
      const first = await py(['-m', 'training.train.train_upsampler256', ...common, '--out', 'run-a', '--steps', '2']);
      expect(first.stdout).toMatch(/8 pictures of 256x256/);
      expect(first.stdout).toMatch(/upsampler256: stopped at step 2/);

      // a finished model: one set of float16 weights, no optimizer state
      await py(['-m', 'training.train.keep', 'run-a/ckpt.pt', 'kept.pt']);
      const kept = await py([
        '-c',
        [
          'import torch',
          "ck = torch.load('kept.pt')",
          "w = ck['ema']; m = ck['model']",
          "print('opt' in ck, all(v.dtype == torch.float16 for v in w.values() if v.is_floating_point()),",
          "      all(m[k].data_ptr() == w[k].data_ptr() for k in w), ck['step'], ck['weights'])",
        ].join('\n'),
      ]);
      expect(kept.stdout.trim()).toBe('False True True 2 ema, float16');

      // a run that goes on later: its whole state committed once, resumed exactly (Adam's moments too)
      await py(['-m', 'training.train.keep', '--resume', 'run-a/ckpt.pt', 'upsampler256']);
      const resumeFile = join(dir, 'training', 'checkpoints', 'resume', 'upsampler256.pt');
      expect(existsSync(resumeFile)).toBe(true);
      const second = await py(['-m', 'training.train.train_upsampler256', ...common, '--out', 'run-b', '--steps', '3']);
      expect(second.stdout).toMatch(/resuming the committed run state .*resume\/upsampler256\.pt exactly/);
      expect(second.stdout).toMatch(/resumed from .* at step 2/);
      expect(second.stdout).toMatch(/upsampler256: stopped at step 3/);
      const same = await py([
        '-c',
        [
          'import torch',
          "a, b = torch.load('run-a/ckpt.pt'), torch.load('run-b/ckpt.pt')",
          "print(b['opt']['state'][0]['step'] - a['opt']['state'][0]['step'], len(b['history']))",
        ].join('\n'),
      ]);
      expect(same.stdout.trim()).toBe('tensor(1.) 2'); // Adam went on from its saved step; both runs recorded
      // --from-scratch ignores it; keeping the finished weights with --finish removes it
      const scratch = ['--out', 'run-c', '--steps', '1', '--from-scratch'];
      const fresh = await py(['-m', 'training.train.train_upsampler256', ...common, ...scratch]);
      expect(fresh.stdout).not.toMatch(/resum/);
      await py(['-m', 'training.train.keep', 'run-b/ckpt.pt', 'final.pt', '--finish', 'upsampler256']);
      expect(existsSync(resumeFile)).toBe(false);
    },
    180_000,
  );
});
