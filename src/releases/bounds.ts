/**
 * Time-uniform confidence bounds on an event rate (errors per request) from
 * running counts, valid at every interval at once, so the release judge may
 * look at them after every interval and at times the data chose.
 *
 * Events in an interval are Poisson with mean rate × trials, or Binomial
 * (trials, rate); the rate may change from interval to interval, and the
 * bounds are then on the trial-weighted average rate. For a factor g > 1:
 *
 *   lower tail: E[g^-x] <= exp(-rate·n·(1 - 1/g)), so g^-X · exp(Λ·N·(1 - 1/g))
 *   upper tail: E[g^x]  <= exp(rate·n·(g - 1)),   so g^X  · exp(-Λ·N·(g - 1))
 *
 * are nonnegative supermartingales when Λ·N is the sum of the true rates times
 * trials. By Ville's inequality each stays below K/δ forever with probability
 * at least 1 - δ/K; a union over the K factors of GRID gives bounds that hold
 * together with probability at least 1 - δ (per side). Solving each for Λ:
 *
 *   upper bound: min over g of (ln(K/δ) + X ln g) / (N (1 - 1/g))
 *   lower bound: max over g of (X ln g - ln(K/δ)) / (N (g - 1))
 *
 * A grid of factors rather than a prior keeps both in closed form, like the
 * alternatives of the decision core's count tests.
 */
const GRID: readonly number[] = [1.1, 1.25, 1.5, 2, 3, 5, 10, 30];

/** Largest average rate the counts do not rule out; 1 (nothing ruled out) without trials. */
export function rateUpperBound(events: number, trials: number, delta: number): number {
  if (!(trials > 0)) return 1;
  const logK = Math.log(GRID.length / delta);
  let best = Infinity;
  for (const g of GRID) best = Math.min(best, (logK + events * Math.log(g)) / (trials * (1 - 1 / g)));
  return Math.min(1, best);
}

/** Smallest average rate the counts do not rule out; 0 without trials. */
export function rateLowerBound(events: number, trials: number, delta: number): number {
  if (!(trials > 0)) return 0;
  const logK = Math.log(GRID.length / delta);
  let best = 0;
  for (const g of GRID) best = Math.max(best, (events * Math.log(g) - logK) / (trials * (g - 1)));
  return Math.min(1, best);
}

/** Events among trials, summed over intervals. */
export interface Counts {
  events: number;
  trials: number;
}

/**
 * Bounds on canary rate minus baseline rate (the canary's excess), each side
 * from one bound per group: δ is split between the two groups.
 */
export function excessBounds(
  canary: Counts,
  baseline: Counts,
  delta: number,
): { lower: number; upper: number; estimate: number | null } {
  const d = delta / 2;
  const estimate =
    canary.trials > 0 && baseline.trials > 0
      ? canary.events / canary.trials - baseline.events / baseline.trials
      : null;
  return {
    lower:
      rateLowerBound(canary.events, canary.trials, d) - rateUpperBound(baseline.events, baseline.trials, d),
    upper:
      rateUpperBound(canary.events, canary.trials, d) - rateLowerBound(baseline.events, baseline.trials, d),
    estimate,
  };
}
