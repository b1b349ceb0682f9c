/**
 * Likelihood ratios for event counts (errors out of requests).
 *
 * Two groups (canary vs baseline, or canary vs a pre-deploy reference). If
 * errors arrive as Poisson counts with rates lambda_c * n_c and lambda_b * n_b,
 * then given the interval's total m = x_c + x_b, the canary's share x_c is
 * Binomial(m, p) with p = rho n_c / (rho n_c + n_b), rho = lambda_c / lambda_b.
 * Conditioning on m removes the unknown common rate, so a shared outage (both
 * rates up together) carries no evidence against the canary. "No regression"
 * is rho <= rho0 = 1 + tolerance.relative, whose least favourable point gives
 * the null share p0 = rho0 n_c / (rho0 n_c + n_b), recomputed every interval
 * from that interval's traffic. For an alternative rho1 > rho0 the ratio
 * (q1/p0)^x ((1-q1)/(1-p0))^(m-x) has expectation exactly 1 at p0 and less for
 * any p < p0, so it is valid for the whole composite null. If errors are
 * Bernoulli per request instead of Poisson, x_c given m is hypergeometric,
 * which is smaller than the binomial in convex order (Hoeffding 1963); the
 * ratio is convex in x_c, so its expectation can only drop. This is the
 * Lindon & Malek (2022) comparison of count streams, reduced to two groups.
 *
 * One group against an absolute rate: x_c ~ Binomial(n_c, r) with null
 * r <= theta0, same argument.
 *
 * Alternatives are spaced on the odds scale, so they stay inside (0, 1) at any
 * null level.
 */

/** Multipliers of the null odds used as alternatives (a mixture, uniform weights). */
export const COUNT_ALTERNATIVES: readonly number[] = [1.5, 2, 3, 5, 10, 30];

export interface CountPair {
  /** Canary events (errors) and trials (requests) in the interval. */
  canaryEvents: number;
  canaryTrials: number;
  /** The comparison group's events and trials. */
  referenceEvents: number;
  referenceTrials: number;
}

function oddsToProbability(odds: number): number {
  return odds / (1 + odds);
}

function binomialLogLR(x: number, n: number, p0: number, q1: number): number {
  // x * log(q1/p0) + (n - x) * log((1 - q1)/(1 - p0)), guarding the 0 * log(...) cases.
  const up = x === 0 ? 0 : x * Math.log(q1 / p0);
  const down = n - x === 0 ? 0 : (n - x) * Math.log((1 - q1) / (1 - p0));
  return up + down;
}

/** Null share of the canary among the interval's events, given the rate ratio rho0. */
export function nullCanaryShare(rho0: number, canaryTrials: number, referenceTrials: number): number {
  return (rho0 * canaryTrials) / (rho0 * canaryTrials + referenceTrials);
}

/**
 * Per-alternative log likelihood ratios of one interval, two groups. Returns
 * null when the interval carries no information (no events, or a group with
 * no trials).
 */
export function twoSampleCountLogLR(
  pair: CountPair,
  rho0: number,
  alternatives: readonly number[] = COUNT_ALTERNATIVES,
): number[] | null {
  const m = pair.canaryEvents + pair.referenceEvents;
  if (m <= 0 || pair.canaryTrials <= 0 || pair.referenceTrials <= 0) return null;
  const p0 = nullCanaryShare(rho0, pair.canaryTrials, pair.referenceTrials);
  const odds0 = p0 / (1 - p0);
  return alternatives.map((g) => binomialLogLR(pair.canaryEvents, m, p0, oddsToProbability(odds0 * g)));
}

/** Per-alternative log likelihood ratios of one interval, the canary against an absolute rate theta0. */
export function oneSampleCountLogLR(
  events: number,
  trials: number,
  theta0: number,
  alternatives: readonly number[] = COUNT_ALTERNATIVES,
): number[] | null {
  if (trials <= 0) return null;
  const odds0 = theta0 / (1 - theta0);
  return alternatives.map((g) => binomialLogLR(events, trials, theta0, oddsToProbability(odds0 * g)));
}
