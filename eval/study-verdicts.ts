/**
 * The study's verdicts, with sampling noise allowed for: two shares of N pictures differ only when they are more
 * than SLACK pictures apart; two distances only when they differ by more than REL of the larger.
 */
export type Order = 'higher' | 'lower' | 'tie';
export type Verdict = 'agrees' | 'disagrees' | 'tie';

/** Pictures either way that count as no difference. */
export const SLACK = 2;
/** Relative difference of two distances (diversity) that counts as none. */
export const REL = 0.15;

/** a against b, shares of n pictures each. */
export function compareShares(a: number, b: number, n: number, slack = SLACK): Order {
  const d = Math.round((a - b) * n);
  return d > slack ? 'higher' : d < -slack ? 'lower' : 'tie';
}

/** a against b, two non-negative values (distances). */
export function compareValues(a: number, b: number, rel = REL): Order {
  const m = Math.max(Math.abs(a), Math.abs(b));
  if (m === 0 || Math.abs(a - b) <= rel * m) return 'tie';
  return a > b ? 'higher' : 'lower';
}

/**
 * A claimed strict order (each step `lower` than the next, as "worst < better < best"): agrees when every step
 * holds beyond the noise, disagrees when any step is reversed beyond it, otherwise no difference.
 */
export function orderVerdict(steps: Order[]): Verdict {
  if (steps.some((s) => s === 'higher')) return 'disagrees';
  return steps.every((s) => s === 'lower') ? 'agrees' : 'tie';
}

/** "As good or better" (a against b): agrees unless a is worse beyond the noise. */
export function atLeastVerdict(o: Order): Verdict {
  return o === 'lower' ? 'disagrees' : 'agrees';
}

/** A claimed improvement (a against b): agrees when higher, disagrees when lower, otherwise no difference. */
export function betterVerdict(o: Order): Verdict {
  return o === 'higher' ? 'agrees' : o === 'lower' ? 'disagrees' : 'tie';
}
