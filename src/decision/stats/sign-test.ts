/**
 * Bad-interval counting for values we only see as one summary per interval
 * (a p99, a gauge, a probe result).
 *
 * vs-baseline: with no regression the canary and the baseline are two draws
 * of the same thing in the same interval, so they are exchangeable and the
 * canary is worse than (1 + tolerance) times the baseline with probability at
 * most 1/2 (ties count as not worse). Counting such "bad" intervals is then a
 * Bernoulli stream with success probability at most 1/2 under the null, and
 * the ratio (q1/0.5)^bad ((1-q1)/0.5)^(1-bad) for q1 > 1/2 is a valid
 * likelihood ratio: the classical sign test made sequential. Because both
 * values are read in the same interval, anything that moves both groups
 * together (a shared dependency, a traffic peak) cancels out.
 *
 * absolute: a bad interval is one beyond the threshold; the null is that the
 * canary's per-interval value exceeds the threshold at most half of the time
 * (its median is within the threshold).
 *
 * One symmetric pair can never be worth more than a factor 2 of evidence,
 * whatever the statistic, so this is as strong as any test that assumes
 * nothing beyond exchangeability; it is also immune to heavy tails and to
 * noisy p99s at low traffic.
 */

/** Alternative probabilities of a bad interval (a mixture, uniform weights). */
export const SIGN_ALTERNATIVES: readonly number[] = [0.7, 0.95];

export function signLogLR(bad: boolean, alternatives: readonly number[] = SIGN_ALTERNATIVES): number[] {
  return alternatives.map((q1) => (bad ? Math.log(q1 / 0.5) : Math.log((1 - q1) / 0.5)));
}
