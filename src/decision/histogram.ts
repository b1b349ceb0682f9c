import type { HistogramSignalConfig } from './config';
import type { Group, Observation } from './observation';
import { usable } from './observation';
import { COUNT_ALTERNATIVES, twoSampleCountLogLR } from './stats/count-tests';

/**
 * Latency judged on a histogram's counts, not on one percentile.
 *
 * A histogram says, per interval and group, how many requests took at most B
 * ms for each bucket bound B (cumulative, like Prometheus `le`). For any bound,
 * the requests slower than B are counts of events among requests, exactly like
 * errors among requests, so the two-group count test of the error-rate signal
 * applies unchanged (stats/count-tests.ts): given the slow requests of both
 * groups together, the canary's share is binomial with a null share fixed by
 * the interval's traffic and the tolerance. Its likelihood ratios have
 * expectation at most 1 under "the canary is not more than 1 + tolerance
 * times as often slower than B as the baseline", for every B.
 *
 * Which bounds. A shift of the whole distribution shows at every bound; a slow
 * path that only a few percent of requests take shows only far in the tail.
 * The test therefore watches four bounds at once: the ones where the
 * baseline's share of slower requests is closest to TAIL_SHARES (about its
 * p70, p90 and p98), and the furthest one it has exceeded often enough to
 * trust, whatever the service's bucket layout. They are chosen
 * from the baseline's data of the intervals before (never the current one),
 * so the choice is predictable and each interval's ratio stays valid. The e-process mixes
 * over the four bounds and the count alternatives with equal weights, which
 * keeps the policy's alpha as the bound on false rollbacks.
 */

/** Baseline shares of requests slower than the watched bounds: the body, the shoulder, the tail. */
export const TAIL_SHARES: readonly number[] = [0.3, 0.1, 0.02];

/** Past baseline slow requests a bound needs before its share is trusted to choose it. */
const MIN_PAST_SLOW = 5;

/**
 * Besides the bounds near TAIL_SHARES, the furthest bound the baseline has
 * exceeded often enough to trust (MIN_PAST_SLOW): with coarse buckets the bound
 * nearest 2% can be one the baseline exceeds 5-10% of the time, where a slow
 * path that few requests take barely shows, while the next bound out shows it
 * several times over.
 */
const WATCHED = TAIL_SHARES.length + 1;

/** Number of likelihood ratios per interval: each watched bound times each count alternative. */
export const HISTOGRAM_ALTERNATIVES = WATCHED * COUNT_ALTERNATIVES.length;

/** What the baseline has shown so far: requests slower than each bound, and all requests. */
export interface BaselineTail {
  bounds: number[];
  slow: number[];
  total: number;
}

export interface HistogramCounts {
  /** The bound whose counts are shown (the shoulder's), in the histogram's unit. */
  bound: number;
  canarySlow: number;
  canaryTotal: number;
  baselineSlow: number;
  baselineTotal: number;
}

export type HistogramReading =
  | { status: 'missing' | 'error'; detail: string }
  | {
      status: 'aligned';
      logLR: number[] | null;
      shown: HistogramCounts | null;
      /** The baseline's tail after this interval, for the next interval's choice. */
      baselineTail: BaselineTail;
    };

/** The bound of bucket reading `key` of histogram `buckets` (`<buckets>_le_<bound>`), or undefined if it is none. */
export function bucketBound(buckets: string, key: string): number | undefined {
  const prefix = `${buckets}_le_`;
  if (!key.startsWith(prefix) || key.length === prefix.length) return undefined;
  const bound = Number(key.slice(prefix.length));
  return Number.isFinite(bound) && bound > 0 ? bound : undefined;
}

/** Bucket bounds present in the observation for `buckets`, ascending. */
export function bucketBounds(observation: Observation, buckets: string): number[] {
  const bounds = Object.keys(observation)
    .map((key) => bucketBound(buckets, key))
    .filter((bound): bound is number => bound !== undefined);
  return [...new Set(bounds)].sort((a, b) => a - b);
}

export function bucketSeries(buckets: string, bound: number): string {
  return `${buckets}_le_${bound}`;
}

interface GroupHistogram {
  total: number;
  /** Requests slower than each bound (total minus the cumulative count at the bound). */
  slow: number[];
}

function readGroup(
  signal: HistogramSignalConfig,
  observation: Observation,
  bounds: number[],
  group: Group,
): GroupHistogram | { status: 'missing' | 'error'; detail: string } {
  const total = observation[signal.total]?.[group];
  if (total === null || total === undefined) return { status: 'missing', detail: `no ${group} data` };
  if (!usable(total)) return { status: 'error', detail: `${group} ${signal.total}=${total} is not a count` };
  const slow: number[] = [];
  for (const bound of bounds) {
    const atMost = observation[bucketSeries(signal.buckets, bound)]?.[group];
    if (atMost === null || atMost === undefined) return { status: 'missing', detail: `no ${group} data` };
    if (!usable(atMost))
      return {
        status: 'error',
        detail: `${group} ${bucketSeries(signal.buckets, bound)}=${atMost} is not a count`,
      };
    // increase() over a counter extrapolates: a bucket may come out a hair above the total.
    slow.push(Math.max(0, total - atMost));
  }
  return { total, slow };
}

/** Index of the bound whose past baseline slow share is closest to `share` (log-odds), or -1. */
function boundFor(share: number, tail: BaselineTail | undefined, bounds: number[]): number {
  if (tail === undefined || tail.total <= 0) return -1;
  const logit = (p: number) => Math.log(p / (1 - p));
  let best = -1;
  let bestDistance = Infinity;
  bounds.forEach((bound, i) => {
    const k = tail.bounds.indexOf(bound);
    if (k < 0) return;
    const slow = tail.slow[k] ?? 0;
    if (slow < MIN_PAST_SLOW || slow >= tail.total) return;
    const distance = Math.abs(logit(slow / tail.total) - logit(share));
    if (distance < bestDistance) {
      bestDistance = distance;
      best = i;
    }
  });
  return best;
}

/** Index of the furthest bound with enough past baseline slow requests, or -1. */
function deepestBound(tail: BaselineTail | undefined, bounds: number[]): number {
  if (tail === undefined) return -1;
  let deepest = -1;
  bounds.forEach((bound, i) => {
    const k = tail.bounds.indexOf(bound);
    if (k >= 0 && (tail.slow[k] ?? 0) >= MIN_PAST_SLOW && (tail.slow[k] ?? 0) < tail.total) deepest = i;
  });
  return deepest;
}

function addTail(tail: BaselineTail | undefined, bounds: number[], baseline: GroupHistogram): BaselineTail {
  const merged = [...new Set([...(tail?.bounds ?? []), ...bounds])].sort((a, b) => a - b);
  return {
    bounds: merged,
    slow: merged.map((bound) => {
      const before = tail === undefined ? 0 : (tail.slow[tail.bounds.indexOf(bound)] ?? 0);
      const i = bounds.indexOf(bound);
      return before + (i < 0 ? 0 : (baseline.slow[i] ?? 0));
    }),
    total: (tail?.total ?? 0) + baseline.total,
  };
}

export function readHistogram(
  signal: HistogramSignalConfig,
  observation: Observation,
  tail: BaselineTail | undefined,
): HistogramReading {
  const bounds = bucketBounds(observation, signal.buckets);
  if (bounds.length === 0) return { status: 'missing', detail: `no ${signal.buckets} buckets` };
  const canary = readGroup(signal, observation, bounds, 'canary');
  if ('status' in canary) return canary;
  const baseline = readGroup(signal, observation, bounds, 'baseline');
  if ('status' in baseline) return baseline;

  const rho0 = 1 + signal.tolerance.relative;
  const chosen = [...TAIL_SHARES.map((share) => boundFor(share, tail, bounds)), deepestBound(tail, bounds)];
  const rows = chosen.map((i) =>
    i < 0
      ? null
      : twoSampleCountLogLR(
          {
            canaryEvents: canary.slow[i] ?? 0,
            canaryTrials: canary.total,
            referenceEvents: baseline.slow[i] ?? 0,
            referenceTrials: baseline.total,
          },
          rho0,
        ),
  );
  // A bound not watched yet, or without slow requests this interval, bets nothing (ratio 1).
  const logLR = rows.every((row) => row === null)
    ? null
    : rows.flatMap((row) => row ?? COUNT_ALTERNATIVES.map(() => 0));
  const shownIndex = chosen[1] !== undefined && chosen[1] >= 0 ? chosen[1] : chosen.find((i) => i >= 0);
  const shown =
    shownIndex === undefined || shownIndex < 0
      ? null
      : {
          bound: bounds[shownIndex] ?? 0,
          canarySlow: canary.slow[shownIndex] ?? 0,
          canaryTotal: canary.total,
          baselineSlow: baseline.slow[shownIndex] ?? 0,
          baselineTotal: baseline.total,
        };
  return { status: 'aligned', logLR, shown, baselineTail: addTail(tail, bounds, baseline) };
}
