import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/engine/preview';
import { float32 } from '../../src/tensor/tensor';

describe('output summaries', () => {
  it('an empty tensor has a shape and no stats (not min NaN max NaN)', () => {
    const s = summarize('trajectory', float32([0, 32, 32, 3]));
    expect(s).toMatchObject({ kind: 'tensor', shape: [0, 32, 32, 3] });
    expect(s.stats).toBeUndefined();
    expect(summarize('x', float32([2], [1, 3])).stats).toMatchObject({ min: 1, max: 3, mean: 2, nanCount: 0 });
  });

  it('a curve keeps its flag, so the inspector draws lines', () => {
    const s = summarize('curve', {
      values: float32([2, 3], [1, 2, 3, 0, 1, 2]),
      labels: ['1', '2', '3'],
      rowLabels: ['best', 'mean'],
      curve: true,
    });
    expect(s.kind).toBe('scores');
    expect(s.value).toMatchObject({ curve: true, rowLabels: ['best', 'mean'] });
  });
});
