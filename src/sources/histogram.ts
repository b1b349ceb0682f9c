import { bucketBound } from '../decision';
import type { Series } from '../policy';

/**
 * A histogram series (`histogram: { leUnit }` in the policy) is read as one
 * reading per finite bucket bound, `<series>_le_<ms>`: the requests of the
 * interval at or under that many milliseconds, cumulative like Prometheus's
 * `le` (decision/histogram.ts reads them). The series' own name carries no
 * value (null), only an error when the histogram could not be read, so a
 * failure reaches the decision core even when no bucket is known.
 */
export type LeUnit = 'seconds' | 'milliseconds';
export interface HistogramOptions {
  leUnit: LeUnit;
}

/** The series' histogram options, or undefined for a series of one number per group. */
export function histogramOf(series: Series): HistogramOptions | undefined {
  return series.histogram;
}

/** Is `key` one of the bucket readings of histogram `series`? The decision core's own rule. */
export function isBucketOf(series: string, key: string): boolean {
  return bucketBound(series, key) !== undefined;
}

/**
 * A bucket bound as Prometheus writes `le`, in milliseconds, rounded to twelve
 * significant digits so 0.3 s is 300 ms and not 300.00000000000006. Null for
 * `+Inf` (every request: the series' total says it) and for what is not a
 * finite number.
 */
export function boundMs(le: string, unit: LeUnit): number | null {
  const text = le.trim();
  if (text === '' || /^[+-]?inf$/i.test(text)) return null;
  const value = Number(text);
  if (!Number.isFinite(value)) return null;
  const ms = unit === 'seconds' ? value * 1000 : value;
  return Number(ms.toPrecision(12));
}
