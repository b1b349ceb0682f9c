import { bucketBounds, bucketSeries } from './histogram';
import type { Group, Observation } from './observation';
import { usable } from './observation';

/**
 * A quantile estimated from a cumulative histogram the way Prometheus's
 * `histogram_quantile` does it, so a threshold written against a dashboard's
 * p99 means the same here. Pure.
 *
 * - The buckets are cumulative counts at finite upper bounds; `total` is the
 *   `+Inf` bucket (every request). A bucket a hair above the total (increase()
 *   extrapolates each series on its own) is clipped to it, and a count below
 *   an earlier bucket's is raised to it, as Prometheus makes buckets monotonic.
 * - rank = q · total; the first bucket whose count reaches the rank holds the
 *   quantile, which is interpolated linearly between that bucket's lower bound
 *   (the bound before it, or 0 for the first) and its upper bound.
 * - A rank past the last finite bucket (in `+Inf`) gives the last finite bound:
 *   all that a histogram can say is "at least that".
 * - No requests (total 0), or no finite bucket: null, never 0 (no data is
 *   never healthy).
 */
export interface CumulativeBucket {
  /** Upper bound, in the histogram's unit (ms for ripcord's buckets). */
  le: number;
  /** Requests at or under `le`. */
  count: number;
}

export function histogramQuantile(
  q: number,
  buckets: readonly CumulativeBucket[],
  total: number,
): number | null {
  if (!(q >= 0 && q <= 1) || !(Number.isFinite(total) && total > 0)) return null;
  const sorted = buckets
    .filter((b) => Number.isFinite(b.le) && Number.isFinite(b.count))
    .slice()
    .sort((a, b) => a.le - b.le);
  if (sorted.length === 0) return null;
  // Monotonic, and never above the total: the total is the +Inf bucket.
  const counts: number[] = [];
  let running = 0;
  for (const bucket of sorted) {
    running = Math.min(total, Math.max(running, bucket.count));
    counts.push(running);
  }
  const rank = q * total;
  const index = counts.findIndex((count) => count >= rank);
  if (index < 0) return sorted[sorted.length - 1]?.le ?? null;
  const upper = sorted[index]?.le ?? 0;
  if (index === 0 && upper <= 0) return upper;
  const lower = index === 0 ? 0 : (sorted[index - 1]?.le ?? 0);
  const below = index === 0 ? 0 : (counts[index - 1] ?? 0);
  const inBucket = (counts[index] ?? 0) - below;
  if (inBucket <= 0) return upper;
  return lower + (upper - lower) * ((rank - below) / inBucket);
}

/**
 * The quantile of one group's histogram in an observation: buckets read from
 * `<buckets>_le_<ms>`, the total from `total`. Null when the group has no
 * usable data (a missing or failed series, no requests).
 */
export function observedQuantile(
  q: number,
  observation: Observation,
  histogram: { buckets: string; total: string },
  group: Group,
): number | null {
  const reading = observation[histogram.total];
  const total = reading?.error === undefined ? reading?.[group] : null;
  if (!usable(total)) return null;
  const buckets: CumulativeBucket[] = [];
  for (const le of bucketBounds(observation, histogram.buckets)) {
    const bucket = observation[bucketSeries(histogram.buckets, le)];
    const count = bucket?.error === undefined ? bucket?.[group] : null;
    if (!usable(count)) return null;
    buckets.push({ le, count });
  }
  return histogramQuantile(q, buckets, total);
}
