import { countsEvents, type RatioSignalConfig, type SignalConfig, type ValueSignalConfig } from './config';
import { type BaselineTail, bucketBound, HISTOGRAM_ALTERNATIVES, readHistogram } from './histogram';
import type { Group, Observation } from './observation';
import { usable } from './observation';
import { COUNT_ALTERNATIVES, oneSampleCountLogLR, twoSampleCountLogLR } from './stats/count-tests';
import { SIGN_ALTERNATIVES, signLogLR } from './stats/sign-test';

/**
 * Turns one interval's observation into what a signal's test consumes: the
 * per-alternative log likelihood ratios, plus the counts that feed the
 * minimum-traffic rule and the evidence shown to people.
 *
 * `missing` means the interval is aligned out: the signal only counts intervals
 * where every group it compares reported.
 */
export type SignalReading =
  | { status: 'missing'; detail: string; traffic: Traffic }
  | { status: 'error'; detail: string; traffic: Traffic }
  | {
      status: 'aligned';
      /** Per-alternative log likelihood ratios, or null when the interval carries no information (no events). */
      logLR: number[] | null;
      traffic: Traffic;
      counts: IntervalCounts;
      /** Histogram signals: the baseline's tail so far, to choose the next interval's bounds. */
      baselineTail?: BaselineTail;
    };

/**
 * Events each group served in the interval (requests behind a ratio, the
 * weight behind a value), counted whenever the group reported them, even if
 * the other group did not: the minimum-traffic rule is about how much traffic
 * the canary has seen, not about alignment. Null: the signal has no such count.
 */
export type Traffic = { canary: number; reference: number } | null;

function trafficOf(observation: Observation, series: string | undefined, groups: Group[]): Traffic {
  if (series === undefined) return null;
  const count = (group: Group) => {
    const value = groups.includes(group) ? observation[series]?.[group] : null;
    return usable(value) ? value : 0;
  };
  return { canary: count('canary'), reference: count('baseline') };
}

/** Additive summaries of an interval, kept as running totals for the evidence. */
export interface IntervalCounts {
  canaryEvents: number;
  canaryTrials: number;
  referenceEvents: number;
  referenceTrials: number;
  /** Value signals: aligned intervals and how many of them were bad. */
  intervals: number;
  bad: number;
}

export const ZERO_COUNTS: IntervalCounts = {
  canaryEvents: 0,
  canaryTrials: 0,
  referenceEvents: 0,
  referenceTrials: 0,
  intervals: 0,
  bad: 0,
};

export function addCounts(a: IntervalCounts, b: IntervalCounts): IntervalCounts {
  return {
    canaryEvents: a.canaryEvents + b.canaryEvents,
    canaryTrials: a.canaryTrials + b.canaryTrials,
    referenceEvents: a.referenceEvents + b.referenceEvents,
    referenceTrials: a.referenceTrials + b.referenceTrials,
    intervals: a.intervals + b.intervals,
    bad: a.bad + b.bad,
  };
}

/** Number of alternatives in the signal's mixture. */
export function alternativesOf(signal: SignalConfig): number {
  if (signal.kind === 'histogram') return HISTOGRAM_ALTERNATIVES;
  return signal.kind === 'ratio' ? COUNT_ALTERNATIVES.length : SIGN_ALTERNATIVES.length;
}

/** `tail`: what a histogram signal's baseline has shown in the intervals before this one. */
export function readSignal(
  signal: SignalConfig,
  observation: Observation,
  tail?: BaselineTail,
): SignalReading {
  if (signal.kind === 'histogram') {
    const traffic = trafficOf(observation, signal.total, groupsCompared(signal));
    const error = observation[signal.total]?.error ?? bucketError(observation, signal.buckets);
    if (error !== undefined) return { status: 'error', detail: error, traffic };
    const reading = readHistogram(signal, observation, tail);
    if (reading.status !== 'aligned') return { ...reading, traffic };
    const shown = reading.shown;
    return {
      status: 'aligned',
      logLR: reading.logLR,
      traffic,
      counts: {
        ...ZERO_COUNTS,
        intervals: 1,
        ...(shown
          ? {
              canaryEvents: shown.canarySlow,
              canaryTrials: shown.canaryTotal,
              referenceEvents: shown.baselineSlow,
              referenceTrials: shown.baselineTotal,
            }
          : {}),
      },
      baselineTail: reading.baselineTail,
    };
  }
  const names = signal.kind === 'ratio' ? [signal.numerator, signal.denominator] : [signal.series];
  if (signal.kind !== 'ratio' && signal.weight !== undefined) names.push(signal.weight);
  const traffic = trafficOf(
    observation,
    signal.kind === 'ratio' ? signal.denominator : signal.weight,
    groupsCompared(signal),
  );
  for (const name of names) {
    const error = observation[name]?.error;
    if (error !== undefined) return { status: 'error', detail: `series ${name}: ${error}`, traffic };
  }
  return signal.kind === 'ratio'
    ? readRatio(signal, observation, traffic)
    : readValue(signal, observation, traffic);
}

/** The first failed bucket series of a histogram, in words. */
function bucketError(observation: Observation, buckets: string): string | undefined {
  for (const [name, reading] of Object.entries(observation)) {
    if ((name === buckets || bucketBound(buckets, name) !== undefined) && reading?.error !== undefined)
      return `series ${name}: ${reading.error}`;
  }
  return undefined;
}

function groupsCompared(signal: SignalConfig): Group[] {
  return signal.comparison === 'absolute' ? ['canary'] : ['canary', 'baseline'];
}

function readRatio(signal: RatioSignalConfig, observation: Observation, traffic: Traffic): SignalReading {
  const counts: Partial<Record<Group, { events: number; trials: number }>> = {};
  for (const group of groupsCompared(signal)) {
    const numerator = observation[signal.numerator]?.[group];
    const denominator = observation[signal.denominator]?.[group];
    if (numerator === null || numerator === undefined || denominator === null || denominator === undefined) {
      return { status: 'missing', detail: `no ${group} data`, traffic };
    }
    if (!usable(numerator) || !usable(denominator) || numerator > denominator) {
      return {
        status: 'error',
        detail: `${group} ${signal.numerator}=${numerator} of ${signal.denominator}=${denominator} is not a valid count`,
        traffic,
      };
    }
    // A ratio where lower is worse (a success rate) is tested on its complement
    // (the failures), which are the rare events the count test models.
    const events = signal.direction === 'higher-is-worse' ? numerator : denominator - numerator;
    counts[group] = { events, trials: denominator };
  }
  const canary = counts.canary ?? { events: 0, trials: 0 };
  const reference = counts.baseline ?? { events: 0, trials: 0 };
  const intervalCounts: IntervalCounts = {
    canaryEvents: canary.events,
    canaryTrials: canary.trials,
    referenceEvents: reference.events,
    referenceTrials: reference.trials,
    intervals: 1,
    bad: 0,
  };
  let logLR: number[] | null;
  if (signal.comparison === 'absolute') {
    const theta0 = absoluteNullRate(signal);
    logLR = theta0 >= 1 ? null : oneSampleCountLogLR(canary.events, canary.trials, theta0);
  } else {
    logLR = twoSampleCountLogLR(
      {
        canaryEvents: canary.events,
        canaryTrials: canary.trials,
        referenceEvents: reference.events,
        referenceTrials: reference.trials,
      },
      1 + signal.tolerance.relative,
    );
  }
  return {
    status: 'aligned',
    logLR,
    traffic,
    counts: intervalCounts,
  };
}

/**
 * The worst acceptable event rate of an absolute ratio signal. The threshold is
 * the line the author drew; only the absolute tolerance moves it (a relative
 * tolerance is about comparing two groups). For lower-is-worse ratios it is the
 * failure rate implied by the lowest acceptable success rate.
 */
export function absoluteNullRate(signal: RatioSignalConfig): number {
  const threshold = signal.threshold ?? NaN;
  const allowed =
    signal.direction === 'higher-is-worse'
      ? threshold + signal.tolerance.absolute
      : 1 - (threshold - signal.tolerance.absolute);
  return Math.min(Math.max(allowed, 1e-9), 1);
}

/** Whether a value signal's canary reading is worse than its reference by more than the tolerance. */
export function isBadInterval(signal: ValueSignalConfig, canary: number, reference: number | null): boolean {
  const { relative, absolute } = signal.tolerance;
  if (signal.comparison === 'absolute') {
    const threshold = signal.threshold ?? NaN;
    return signal.direction === 'higher-is-worse'
      ? canary > threshold + absolute
      : canary < threshold - absolute;
  }
  if (reference === null) return false;
  return signal.direction === 'higher-is-worse'
    ? canary > (1 + relative) * reference + absolute
    : canary * (1 + relative) + absolute < reference;
}

function readValue(signal: ValueSignalConfig, observation: Observation, traffic: Traffic): SignalReading {
  const values: Partial<Record<Group, number>> = {};
  for (const group of groupsCompared(signal)) {
    const value = observation[signal.series]?.[group];
    if (value === null || value === undefined)
      return { status: 'missing', detail: `no ${group} data`, traffic };
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return { status: 'error', detail: `${group} ${signal.series}=${value} is not a number`, traffic };
    }
    values[group] = value;
    if (signal.weight !== undefined) {
      const weight = observation[signal.weight]?.[group];
      if (weight === null || weight === undefined)
        return { status: 'missing', detail: `no ${group} data`, traffic };
      if (!usable(weight))
        return { status: 'error', detail: `${group} ${signal.weight}=${weight} is not a count`, traffic };
      // A summary of zero events (a p99 of no requests) says nothing.
      if (weight === 0)
        return { status: 'missing', detail: `no ${group} events behind ${signal.series}`, traffic };
    }
  }
  const canary = values.canary ?? 0;
  const bad = isBadInterval(signal, canary, values.baseline ?? null);
  return {
    status: 'aligned',
    logLR: signLogLR(bad),
    traffic,
    counts: { ...ZERO_COUNTS, intervals: 1, bad: bad ? 1 : 0 },
  };
}

/**
 * The log level at which the data since the last armed start arm another one
 * (see stepEProcess in stats/e-process.ts): counts once they favour a
 * regression 4 to 1, however many intervals that took; latency after one bad
 * interval (whose mixture ratio is 1.65), since each interval is one bit.
 */
export function armingLevel(signal: SignalConfig): number {
  return countsEvents(signal) ? COUNT_ARM_LOG_LR : SIGN_ARM_LOG_LR;
}

const COUNT_ARM_LOG_LR = Math.log(4);
const SIGN_ARM_LOG_LR = Math.log(1.6);

/**
 * The main test's e-value at which a breach opens the grace period. It only
 * says when the grace clock starts (the rollback level is 1/alpha share, see
 * engine.ts), so it trades an early start against opening graces on noise.
 * Counts can jump on a handful of events at low traffic, so they breach at 10;
 * a bad interval is worth at most a factor 2, so the latency test rises
 * steadily and breaches at 2, which starts the grace about four intervals
 * earlier. A breach whose evidence falls back below its level during the grace
 * is dropped (signal-monitor.ts), so a breach on noise costs nothing.
 */
export function breachEValue(signal: SignalConfig): number {
  return countsEvents(signal) ? 10 : 2;
}
