import type { Signal } from '../policy/schema/signals';
import {
  absoluteChanges,
  byStretch,
  median,
  quantile,
  relativeChanges,
  standardDeviation,
  sum,
  type Point,
} from './stats';

/**
 * What a service's history says about one signal: its normal level, how much
 * it drifts from one stretch of time to the next (hour to hour over days), and
 * how noisy a single interval is. Pure: the samples come from elsewhere.
 */

/** Range-query samples per series name; each point is one evaluation interval's reading. */
export type SeriesSamples = Readonly<Record<string, readonly Point[]>>;

/** The shared level at one moment, which generated scenarios replay for both groups. */
export interface LevelPoint {
  t: number;
  /** Requests per second of the whole service at this moment (NaN when unknown). */
  rps: number;
  /** The signal's smoothed level: the stretch's error rate, or the stretch's median value. */
  level: number;
}

interface ProfileCommon {
  signal: string;
  /** Samples that held a usable reading. */
  samples: number;
  stretchSeconds: number;
  /** Stretches compared (at least two are needed for any drift). */
  stretches: number;
  /** Requests per second of the whole service (median over the window; NaN without a traffic series). */
  requestsPerSecond: number;
  timeline: LevelPoint[];
}

export interface RatioProfile extends ProfileCommon {
  kind: 'ratio';
  /** 95th percentile of |next stretch / previous stretch - 1|. */
  relativeDrift: number;
  /** Events / trials over the whole window. */
  rate: number;
  /** 95th percentile of the stretch-to-stretch change of the rate, in its own unit. */
  absoluteDrift: number;
}

export interface ValueProfile extends ProfileCommon {
  kind: 'value';
  /** 95th percentile of |next stretch / previous stretch - 1|. */
  relativeDrift: number;
  /** Median of the per-interval values. */
  level: number;
  /** Standard deviation of log(value / its stretch's median): how much one interval wobbles. */
  intervalNoise: number;
}

/**
 * A histogram signal: only its traffic is learned (its `total`). Its test
 * compares the canary's share of slow requests with the baseline's at bounds
 * chosen from the baseline's own data during the deployment, so it has no
 * level or threshold that history could set, and its buckets are not read.
 * The timeline carries the traffic; its level is NaN.
 */
export interface HistogramProfile extends ProfileCommon {
  kind: 'histogram';
}

export type SignalProfile = RatioProfile | ValueProfile | HistogramProfile;

export class NotEnoughDataError extends Error {
  override readonly name = 'NotEnoughDataError';
}

const MIN_SAMPLES = 10;

function byTime(points: readonly Point[] | undefined): Map<number, number> {
  const map = new Map<number, number>();
  for (const p of points ?? []) if (Number.isFinite(p.value)) map.set(p.t, p.value);
  return map;
}

/** The traffic series of a signal: a ratio's denominator, a histogram's total, a value signal's weight. */
export function trafficSeriesOf(signal: Signal): string | undefined {
  if (signal.kind === 'ratio') return signal.denominator;
  if (signal.kind === 'histogram') return signal.total;
  return signal.weight;
}

function trafficLevel(
  traffic: Map<number, number>,
  intervalSeconds: number,
): { rps: number; at: (t: number) => number } {
  const rps = median([...traffic.values()].map((n) => n / intervalSeconds));
  return { rps, at: (t) => (traffic.get(t) ?? NaN) / intervalSeconds };
}

export function learnRatio(
  signal: Extract<Signal, { kind: 'ratio' }>,
  samples: SeriesSamples,
  opts: { intervalSeconds: number; stretchSeconds: number },
): RatioProfile {
  const events = byTime(samples[signal.numerator]);
  const trials = byTime(samples[signal.denominator]);
  // Only intervals where both counts arrived, and that had traffic: a rate of nothing is no reading.
  const aligned = [...trials.entries()]
    .filter(([t, n]) => n > 0 && events.has(t))
    .map(([t, n]) => ({ t, n, e: Math.min(events.get(t)!, n) }))
    .sort((a, b) => a.t - b.t);
  if (aligned.length < MIN_SAMPLES) {
    throw new NotEnoughDataError(
      `signal ${signal.name}: only ${aligned.length} intervals with both ${signal.numerator} and ${signal.denominator} ` +
        `(need ${MIN_SAMPLES}); is the window long enough and does the service get traffic?`,
    );
  }
  const stretches = byStretch(aligned, opts.stretchSeconds);
  const rateOf = (group: ReadonlyArray<{ n: number; e: number }>) =>
    sum(group.map((g) => g.e)) / sum(group.map((g) => g.n));
  const stretchRates = stretches.map(rateOf);
  const traffic = trafficLevel(trials, opts.intervalSeconds);
  const timeline: LevelPoint[] = stretches.flatMap((group, i) =>
    group.map((g) => ({ t: g.t, rps: g.n / opts.intervalSeconds, level: stretchRates[i]! })),
  );
  return {
    kind: 'ratio',
    signal: signal.name,
    samples: aligned.length,
    stretchSeconds: opts.stretchSeconds,
    stretches: stretches.length,
    rate: rateOf(aligned),
    relativeDrift: driftOf(relativeChanges(stretchRates)),
    absoluteDrift: driftOf(absoluteChanges(stretchRates)),
    requestsPerSecond: traffic.rps,
    timeline,
  };
}

export function learnValue(
  signal: Extract<Signal, { kind: 'latency' | 'gauge' | 'probe' }>,
  samples: SeriesSamples,
  opts: { intervalSeconds: number; stretchSeconds: number },
): ValueProfile {
  const values = byTime(samples[signal.series]);
  const weight = signal.weight === undefined ? undefined : byTime(samples[signal.weight]);
  // A value behind zero events (a p99 of no requests) is no reading, as in the decision core.
  const points = [...values.entries()]
    .filter(([t, v]) => v > 0 && (weight === undefined || (weight.get(t) ?? 0) > 0))
    .map(([t, value]) => ({ t, value }))
    .sort((a, b) => a.t - b.t);
  if (points.length < MIN_SAMPLES) {
    throw new NotEnoughDataError(
      `signal ${signal.name}: only ${points.length} intervals with a positive ${signal.series} ` +
        `(need ${MIN_SAMPLES}); is the window long enough and does the service get traffic?`,
    );
  }
  const stretches = byStretch(points, opts.stretchSeconds);
  const stretchLevels = stretches.map((group) => median(group.map((p) => p.value)));
  const residuals = stretches.flatMap((group, i) => group.map((p) => Math.log(p.value / stretchLevels[i]!)));
  const traffic = weight === undefined ? undefined : trafficLevel(weight, opts.intervalSeconds);
  const timeline: LevelPoint[] = stretches.flatMap((group, i) =>
    group.map((p) => ({ t: p.t, rps: traffic?.at(p.t) ?? NaN, level: stretchLevels[i]! })),
  );
  const noise = standardDeviation(residuals);
  return {
    kind: 'value',
    signal: signal.name,
    samples: points.length,
    stretchSeconds: opts.stretchSeconds,
    stretches: stretches.length,
    level: median(points.map((p) => p.value)),
    relativeDrift: driftOf(relativeChanges(stretchLevels)),
    intervalNoise: Number.isFinite(noise) ? noise : 0,
    requestsPerSecond: traffic?.rps ?? NaN,
    timeline,
  };
}

export function learnHistogram(
  signal: Extract<Signal, { kind: 'histogram' }>,
  samples: SeriesSamples,
  opts: { intervalSeconds: number; stretchSeconds: number },
): HistogramProfile {
  const points = [...byTime(samples[signal.total]).entries()]
    .filter(([, n]) => n > 0)
    .map(([t, n]) => ({ t, n }))
    .sort((a, b) => a.t - b.t);
  if (points.length < MIN_SAMPLES) {
    throw new NotEnoughDataError(
      `signal ${signal.name}: only ${points.length} intervals with requests in ${signal.total} ` +
        `(need ${MIN_SAMPLES}); is the window long enough and does the service get traffic?`,
    );
  }
  const stretches = byStretch(points, opts.stretchSeconds);
  return {
    kind: 'histogram',
    signal: signal.name,
    samples: points.length,
    stretchSeconds: opts.stretchSeconds,
    stretches: stretches.length,
    requestsPerSecond: median(points.map((p) => p.n / opts.intervalSeconds)),
    timeline: points.map((p) => ({ t: p.t, rps: p.n / opts.intervalSeconds, level: NaN })),
  };
}

/** The 95th percentile of the changes; 0 when there is only one stretch (nothing to compare). */
function driftOf(changes: number[]): number {
  return changes.length === 0 ? 0 : quantile(changes, 0.95);
}

export function learnSignal(
  signal: Signal,
  samples: SeriesSamples,
  opts: { intervalSeconds: number; stretchSeconds: number },
): SignalProfile {
  if (signal.kind === 'ratio') return learnRatio(signal, samples, opts);
  if (signal.kind === 'histogram') return learnHistogram(signal, samples, opts);
  return learnValue(signal, samples, opts);
}
