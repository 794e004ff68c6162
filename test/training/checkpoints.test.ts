import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { py, pyCode, tinyDataset, trainingTree, type Flags } from '../helpers/python';

describe('the 256x256 upsampler and the checkpoint policy', () => {
  it(
    'trains the 64 -> 256 upsampler on crops of 256x256 renders, keeps float16 weights only, and resumes a run ' +
      'exactly from its committed state',
    async () => {
      const { dir, data } = await tinyDataset('up256-', { count: 8, seed: 3, scale: 4 }, 'tiny256.bin');
      // the copy of training/'s code (no checkpoints, datasets or runs) is the repository these runs see
      await trainingTree(dir, ['data', 'runs', 'carry', 'checkpoints', 'logs']);
      const inTree = (module: string, flags: Flags, args: string[] = []) => py(module, flags, { args, cwd: dir });
      const common = { data, batch: 2, threads: 1, device: 'cpu', 'ckpt-every': 1 };
      const first = await inTree('training.train.train_upsampler256', { ...common, out: 'run-a', steps: 2 });
      expect(first.stdout).toMatch(/8 pictures of 256x256/);
      expect(first.stdout).toMatch(/upsampler256: stopped at step 2/);

      // a finished model: one set of float16 weights, no optimizer state
      await inTree('training.train.keep', {}, ['run-a/ckpt.pt', 'kept.pt']);
      const kept = await pyCode(
        [
          'import torch',
          "ck = torch.load('kept.pt')",
          "w = ck['ema']; m = ck['model']",
          "print('opt' in ck, all(v.dtype == torch.float16 for v in w.values() if v.is_floating_point()),",
          "      all(m[k].data_ptr() == w[k].data_ptr() for k in w), ck['step'], ck['weights'])",
        ],
        { cwd: dir },
      );
      expect(kept.stdout.trim()).toBe('False True True 2 ema, float16');

      // a run that goes on later: its whole state committed once, resumed exactly (Adam's moments too)
      await inTree('training.train.keep', { resume: true }, ['run-a/ckpt.pt', 'upsampler256']);
      const resumeFile = join(dir, 'training', 'checkpoints', 'resume', 'upsampler256.pt');
      expect(existsSync(resumeFile)).toBe(true);
      const second = await inTree('training.train.train_upsampler256', { ...common, out: 'run-b', steps: 3 });
      expect(second.stdout).toMatch(/resuming the committed run state .*resume\/upsampler256\.pt exactly/);
      expect(second.stdout).toMatch(/resumed from .* at step 2/);
      expect(second.stdout).toMatch(/upsampler256: stopped at step 3/);
      const same = await pyCode(
        [
          'import torch',
          "a, b = torch.load('run-a/ckpt.pt'), torch.load('run-b/ckpt.pt')",
          "print(b['opt']['state'][0]['step'] - a['opt']['state'][0]['step'], len(b['history']))",
        ],
        { cwd: dir },
      );
      expect(same.stdout.trim()).toBe('tensor(1.) 2'); // Adam went on from its saved step; both runs recorded
      // --from-scratch ignores it; keeping the finished weights with --finish removes it
      const scratch = { out: 'run-c', steps: 1, 'from-scratch': true };
      const fresh = await inTree('training.train.train_upsampler256', { ...common, ...scratch });
      expect(fresh.stdout).not.toMatch(/resum/);
      await inTree('training.train.keep', { finish: 'upsampler256' }, ['run-b/ckpt.pt', 'final.pt']);
      expect(existsSync(resumeFile)).toBe(false);
    },
    180_000,
  );
});
