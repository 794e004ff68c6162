import { describe, expect, it } from 'vitest';
import { maxAbsDiff, median, pairOf, procMemory, ratio, withinTarget } from '../../bench/models-stats';

describe('the models bench helpers', () => {
  it('takes the median of odd and even counts without reordering the runs', () => {
    const runs = [5, 1, 4, 2, 3];
    expect(median(runs)).toBe(3);
    expect(runs).toEqual([5, 1, 4, 2, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('reads the peak and current resident memory of a /proc status in bytes', () => {
    const status = 'Name:\tchromium\nVmPeak:\t 9000000 kB\nVmHWM:\t  2048 kB\nVmRSS:\t    1024 kB\nThreads:\t12\n';
    expect(procMemory(status)).toEqual({ peakBytes: 2048 * 1024, rssBytes: 1024 * 1024 });
    expect(procMemory('Name:\tgone\n')).toEqual({ peakBytes: null, rssBytes: null });
  });

  it('gives ours / theirs to two decimals and judges the 10% target on it', () => {
    expect(ratio(110, 100)).toBe(1.1);
    expect(ratio(1, 3)).toBe(0.33);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(undefined, 2)).toBeNull();
    expect(withinTarget(1.1)).toBe(true);
    expect(withinTarget(1.11)).toBe(false);
    expect(withinTarget(null)).toBeNull();
  });

  it('compares embeddings value by value and refuses different sizes', () => {
    expect(maxAbsDiff([0.5, -0.25], [0.5, -0.5])).toBe(0.25);
    expect(maxAbsDiff([1], [1, 2])).toBe(Infinity);
  });

  it('judges runs taken in turn by the median of their per-run ratios, not the ratio of the medians', () => {
    // a busy moment slows both sides of run 2 alike: its ratio stays 1
    const runs = [
      { ours: { text_emb: 100 }, theirs: { text_emb: 100 } },
      { ours: { text_emb: 300 }, theirs: { text_emb: 300 } },
      { ours: { text_emb: 90 }, theirs: { text_emb: 300 } },
    ];
    const p = pairOf('node', 1, runs);
    expect(p.ratio.text_emb).toBe(1);
    expect(p.ours.text_emb).toBe(100);
    expect(p.theirs.text_emb).toBe(300);
    expect(p.runs).toBe(3);
  });
});
