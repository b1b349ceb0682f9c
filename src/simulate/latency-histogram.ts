import gammaln from '@stdlib/math-base-special-gammaln';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { histogramQuantile } from '../decision';
import type { Random } from './random';

/**
 * Latency histograms for generated scenarios, as Prometheus records them: per
 * interval and group, how many requests took at most B ms for each bucket
 * bound B (cumulative, like `le`), and a p99 computed from those counts the
 * way `histogram_quantile(0.99, …)` computes it (decision/quantile.ts).
 *
 * A group's request latency in an interval is a mixture of log-normal
 * components (one for most kinds; a second, slower one for a slow path that
 * a share of requests takes). The number of requests in each bucket is one
 * multinomial draw over the buckets' probabilities, made as successive
 * binomials: twelve draws per interval and group whatever the traffic.
 */

/** Bucket bounds in ms, the same as the shared histogram examples (test/fixtures/scenarios/shared-histogram). */
export const HISTOGRAM_BOUNDS_MS: readonly number[] = [
  25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2500, 5000,
];

/** The scenario series holding the requests at or under `bound` ms. */
export function bucketSeriesName(bound: number): string {
  return `latency_le_${bound}`;
}

/** One log-normal component of a latency mixture: a share of the requests, the log of their median, their log-scale spread. */
export interface LatencyComponent {
  weight: number;
  logMedian: number;
  sigma: number;
}

/**
 * The q-quantile of the log-latency of a mixture, and the mixture's density
 * there (what the asymptotic law of a sample quantile needs), by bisection.
 */
export function mixtureLogQuantile(
  q: number,
  components: readonly LatencyComponent[],
): { value: number; density: number } {
  const total = components.reduce((sum, c) => sum + c.weight, 0);
  const cdf = (x: number) =>
    components.reduce((sum, c) => sum + c.weight * normalCdf(x, c.logMedian, c.sigma), 0) / total;
  let low = Math.min(...components.map((c) => c.logMedian - 12 * c.sigma));
  let high = Math.max(...components.map((c) => c.logMedian + 12 * c.sigma));
  for (let i = 0; i < 100 && high - low > 1e-12; i++) {
    const mid = (low + high) / 2;
    if (cdf(mid) < q) low = mid;
    else high = mid;
  }
  const value = (low + high) / 2;
  const density =
    components.reduce((sum, c) => {
      const z = (value - c.logMedian) / c.sigma;
      return sum + (c.weight * Math.exp(-(z * z) / 2)) / (c.sigma * Math.sqrt(2 * Math.PI));
    }, 0) / total;
  return { value, density };
}

/**
 * Probability of each bucket: entry k is the chance that a request lands in
 * (bound k−1, bound k]; the last entry, one past the bounds, is above the
 * highest bound (the +Inf bucket's own share). The entries sum to 1.
 */
export function bucketProbabilities(
  components: readonly LatencyComponent[],
  bounds: readonly number[] = HISTOGRAM_BOUNDS_MS,
): number[] {
  const totalWeight = components.reduce((sum, c) => sum + c.weight, 0);
  const cdf = (bound: number) =>
    components.reduce((sum, c) => sum + c.weight * normalCdf(Math.log(bound), c.logMedian, c.sigma), 0) /
    totalWeight;
  const probabilities: number[] = [];
  let below = 0;
  for (const bound of bounds) {
    const atMost = Math.min(1, Math.max(below, cdf(bound)));
    probabilities.push(atMost - below);
    below = atMost;
  }
  probabilities.push(Math.max(0, 1 - below));
  return probabilities;
}

/**
 * Binomial(n, p), exact, in time that does not grow with n. The library's
 * sampler (@stdlib/random-base-binomial) will not do: below n·p = 10 it sums n
 * Bernoulli draws, one per request, and above it its BTPE is off (for n·p
 * between 10 and 100 its mean runs about 0.5 high and its variance 10% low).
 * Here: inversion of the distribution function from one uniform when
 * n·min(p, 1−p) < 10 (about n·p steps), else Hörmann's BTRS rejection
 * sampler (W. Hörmann, "The generation of binomial random variates", 1993).
 */
export function drawBinomial(random: Random, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - drawBinomial(random, n, 1 - p);
  return n * p < 10 ? binomialInversion(random, n, p) : binomialBtrs(random, n, p);
}

function binomialInversion(random: Random, n: number, p: number): number {
  const u = random.uniform();
  const odds = p / (1 - p);
  let k = 0;
  let probability = Math.exp(n * Math.log1p(-p));
  let cdf = probability;
  while (u > cdf && k < n) {
    k += 1;
    probability *= ((n - k + 1) / k) * odds;
    cdf += probability;
  }
  return k;
}

/** BTRS (transformed rejection with squeeze), for p ≤ 0.5 and n·p ≥ 10. */
function binomialBtrs(random: Random, n: number, p: number): number {
  const q = 1 - p;
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const alpha = (2.83 + 5.1 / b) * spq;
  const lpq = Math.log(p / q);
  const m = Math.floor((n + 1) * p);
  const h = gammaln(m + 1) + gammaln(n - m + 1);
  for (;;) {
    const u = random.uniform() - 0.5;
    const v = random.uniform();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    const logV = Math.log((v * alpha) / (a / (us * us) + b));
    if (logV <= h - gammaln(k + 1) - gammaln(n - k + 1) + (k - m) * lpq) return k;
  }
}

/**
 * `requests` requests spread over the buckets, returned cumulative (requests
 * at or under each bound). Multinomial(requests, probabilities) by successive
 * binomials: each bucket takes Binomial(left, its share of what is left).
 */
export function drawCumulativeBuckets(
  random: Random,
  requests: number,
  probabilities: readonly number[],
): number[] {
  const cumulative: number[] = [];
  let left = requests;
  let mass = 1;
  let atMost = 0;
  // The last probability (above the highest bound) takes whatever is left.
  for (let k = 0; k < probabilities.length - 1; k++) {
    const p = probabilities[k] ?? 0;
    const count = left <= 0 || mass <= 0 ? 0 : drawBinomial(random, left, Math.min(1, p / mass));
    left -= count;
    mass -= p;
    atMost += count;
    cumulative.push(atMost);
  }
  return cumulative;
}

/** One interval's histogram for one group: cumulative counts per bound and the p99 computed from them. */
export interface IntervalHistogram {
  cumulative: number[];
  p99: number | null;
}

export function drawIntervalHistogram(
  random: Random,
  requests: number,
  components: readonly LatencyComponent[],
  bounds: readonly number[] = HISTOGRAM_BOUNDS_MS,
): IntervalHistogram {
  const cumulative = drawCumulativeBuckets(random, requests, bucketProbabilities(components, bounds));
  // The p99 a dashboard shows: the decision core's histogram_quantile over these very counts.
  const buckets = bounds.map((le, k) => ({ le, count: cumulative[k] ?? 0 }));
  return { cumulative, p99: histogramQuantile(0.99, buckets, requests) };
}
