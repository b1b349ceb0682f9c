import type { RatioSignalConfig } from '../decision';
import { COUNT_ALTERNATIVES, oneSampleCountLogLR } from '../decision/stats/count-tests';
import { emptyEProcess, logEValue, stepEProcess, type EProcessState } from '../decision/stats/e-process';
import { rateUpperBound } from './bounds';

/**
 * Whether one service's stable version degrades against its own past: the
 * test behind a systemic verdict (docs/architecture.md §4, releases).
 *
 * A release cannot make a stable version fail more: baseline-path requests
 * reach only stable versions. So when a member's baseline, or a service outside
 * the release that calls no member, fails more than it did, something outside
 * the release is failing. The test is the decision core's count test turned
 * on one group's past instead of on another group:
 *
 * - The past: every earlier interval of the same series. Its average rate has
 *   a time-uniform upper bound U (bounds.ts), wrong with probability at most
 *   `delta` over the whole watch.
 * - No degradation: this interval's rate is at most the policy's tolerance
 *   above the past, max((1 + relative)·Λ, Λ + absolute), where Λ is the past's
 *   true average. Taking U for Λ can only raise that line, so each
 *   interval's one-sample count ratio against it (count-tests.ts) has
 *   expectation at most 1 whenever U holds, whatever the past's rate was.
 * - The ratios feed the core's e-process (start-time mixture, so an incident
 *   late in the watch pays little for its start), which by Ville's inequality
 *   ever reaches 1/`alpha` with probability at most `alpha`.
 *
 * So a healthy service is flagged with probability at most alpha + delta over
 * the whole watch. No raw threshold: the line comes from the service's own
 * data and the policy's tolerance, the level from the false-alarm budget.
 */
export interface DriftState {
  /** Events and trials of every earlier interval with data. */
  past: { events: number; trials: number };
  evidence: EProcessState;
  /** First interval at which the evidence reached its level, or null. */
  degradedAt: number | null;
  /** At that interval: the past's average rate and the interval's own rate, what people see. */
  shown: { pastRate: number | null; rate: number | null };
}

export interface DriftParams {
  signal: RatioSignalConfig;
  /** False alarms from the e-process. */
  alpha: number;
  /** False alarms from the past's upper bound. */
  delta: number;
}

/** The level at which the data since the last arming arm a start: as the core's count signals (readings.ts). */
const ARM_AT = Math.log(4);

export function initialDrift(): DriftState {
  return {
    past: { events: 0, trials: 0 },
    evidence: emptyEProcess(COUNT_ALTERNATIVES.length),
    degradedAt: null,
    shown: { pastRate: null, rate: null },
  };
}

/** Events (failures) and trials of one interval, or null when the series has no usable value. */
export function eventsOf(
  signal: RatioSignalConfig,
  numerator: number | null | undefined,
  denominator: number | null | undefined,
): { events: number; trials: number } | null {
  if (typeof numerator !== 'number' || typeof denominator !== 'number') return null;
  if (!(numerator >= 0 && denominator >= numerator && Number.isFinite(denominator))) return null;
  const events = signal.direction === 'higher-is-worse' ? numerator : denominator - numerator;
  return { events, trials: denominator };
}

export function stepDrift(
  params: DriftParams,
  state: DriftState,
  interval: { events: number; trials: number } | null,
  index: number,
): DriftState {
  if (interval === null || interval.trials <= 0) return state;
  let evidence = state.evidence;
  const upper = rateUpperBound(state.past.events, state.past.trials, params.delta);
  const { relative, absolute } = params.signal.tolerance;
  const line = Math.max((1 + relative) * upper, upper + absolute);
  if (line < 1) {
    const logLR = oneSampleCountLogLR(interval.events, interval.trials, line);
    if (logLR !== null) evidence = stepEProcess(evidence, logLR, ARM_AT);
  }
  const past = { events: state.past.events + interval.events, trials: state.past.trials + interval.trials };
  const degraded = state.degradedAt === null && logEValue(evidence) >= Math.log(1 / params.alpha);
  return {
    past,
    evidence,
    degradedAt: degraded ? index : state.degradedAt,
    shown: degraded
      ? {
          pastRate: state.past.trials > 0 ? state.past.events / state.past.trials : null,
          rate: interval.events / interval.trials,
        }
      : state.shown,
  };
}

/** The e-value against "no degradation", for people. */
export function driftEValue(state: DriftState): number {
  return Number(Math.exp(Math.min(logEValue(state.evidence), 690)).toPrecision(3));
}
