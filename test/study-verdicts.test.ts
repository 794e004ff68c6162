import { describe, expect, it } from 'vitest';
import { atLeastVerdict, betterVerdict, compareShares, compareValues, orderVerdict } from '../eval/study-verdicts';

describe("the study's verdicts allow for sampling noise", () => {
  it('call shares of N pictures different only beyond two pictures', () => {
    expect(compareShares(32 / 32, 31 / 32, 32)).toBe('tie'); // one picture: noise
    expect(compareShares(30 / 32, 32 / 32, 32)).toBe('tie');
    expect(compareShares(29 / 32, 32 / 32, 32)).toBe('lower');
    expect(compareShares(11 / 24, 8 / 24, 24)).toBe('higher');
  });

  it('call distances different only beyond 15% of the larger', () => {
    expect(compareValues(0.009, 0.008)).toBe('tie');
    expect(compareValues(0.052, 0.098)).toBe('lower');
    expect(compareValues(0.2, 0.1)).toBe('higher');
    expect(compareValues(0, 0)).toBe('tie');
  });

  it('judge a claimed order, "as good or better", and an improvement', () => {
    expect(orderVerdict(['lower', 'lower'])).toBe('agrees');
    expect(orderVerdict(['lower', 'tie'])).toBe('tie');
    expect(orderVerdict(['higher', 'lower'])).toBe('disagrees');
    expect(atLeastVerdict('tie')).toBe('agrees');
    expect(atLeastVerdict('lower')).toBe('disagrees');
    expect(betterVerdict('tie')).toBe('tie');
    expect(betterVerdict('higher')).toBe('agrees');
    expect(betterVerdict('lower')).toBe('disagrees');
  });
});
