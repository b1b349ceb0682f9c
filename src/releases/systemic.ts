import type { RatioSignalConfig } from '../decision';
import { COUNT_ALTERNATIVES, oneSampleCountLogLR } from '../decision/stats/count-tests';
import { clampLog, LOG_ZERO, logSumExp } from '../decision/stats/log-space';
import { rateUpperBound } from './bounds';

/**
 * Whether one service's stable version degrades against its own past: the
 * test behind a systemic verdict (docs/architecture.md §4, releases).
 *
 * A release cannot make a stable version fail more: baseline-path requests
 * reach only stable versions. So when a member's baseline, or a service outside
 * the release that calls no member, fails more than it did, something outside
 * the release is failing. The test is the decision core's count test turned
 * on one group's past instead of on another group, started anew at every
 * interval s, each start against the intervals before it:
 *
 * - The past of a start at s: every interval before s. Its average rate Λ_s has
 *   a time-uniform upper bound U_s (bounds.ts): with probability at least
 *   1 − `delta`, U_s ≥ Λ_s for every s at once. U_s is fixed when the start
 *   begins, from data already seen, so it is predictable.
 * - No degradation: from s on, no interval's rate exceeds the policy's
 *   tolerance above that past, max((1 + relative)·Λ_s, Λ_s + absolute). Taking
 *   U_s for Λ_s only raises the line, so whenever the bounds hold each
 *   interval's one-sample count ratio against it (count-tests.ts) has
 *   expectation at most 1, and the product of a start is a test
 *   supermartingale.
 * - The evidence is a mixture over the starts (weights 1/((j+1)(j+2)) for the
 *   j-th, summing to 1) and the count test's alternatives, so by Ville's
 *   inequality it ever reaches 1/`alpha` with probability at most `alpha`.
 *
 * A start whose weighted evidence has fallen below e^-30 is dropped: dropping
 * part of a mixture only lowers it, so the bound holds, and on a healthy
 * service only the last few starts stay alive.
 *
 * A start's past ends where the start begins, so an incident is tested
 * against what came before it, not against its own first intervals (a single
 * growing past would take them in and raise its line as the incident goes
 * on). A healthy service is flagged with probability at most alpha + delta over
 * the whole watch. No raw threshold: the line comes from the service's own
 * data and the policy's tolerance, the level from the false-alarm budget.
 */
export interface DriftState {
  /** Events and trials of every earlier interval with data. */
  past: { events: number; trials: number };
  /** One product per start: its line, log weight, the past's rate when it began and log products per alternative. */
  starts: { at: number; line: number; logWeight: number; pastRate: number; logM: number[] }[];
  /** Starts made so far, dropped ones included (the next start's weight). */
  started: number;
  /** First interval at which the evidence reached its level, or null. */
  degradedAt: number | null;
  /** log of the evidence after the last interval. */
  logE: number;
  /** At that interval: the past's average rate (of the start with the most evidence) and the interval's own rate. */
  shown: { pastRate: number | null; rate: number | null };
}

export interface DriftParams {
  signal: RatioSignalConfig;
  /** False alarms from the starts' products. */
  alpha: number;
  /** False alarms from the pasts' upper bounds. */
  delta: number;
}

/** A start whose weighted evidence falls below this (log) is dropped. */
const PRUNE_LOG = -30;

export function initialDrift(): DriftState {
  return {
    past: { events: 0, trials: 0 },
    starts: [],
    started: 0,
    degradedAt: null,
    logE: LOG_ZERO,
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
  const { relative, absolute } = params.signal.tolerance;
  let starts = state.starts;
  let started = state.started;
  if (state.past.trials > 0) {
    const upper = rateUpperBound(state.past.events, state.past.trials, params.delta);
    const line = Math.max((1 + relative) * upper, upper + absolute);
    if (line < 1) {
      const j = started;
      started += 1;
      starts = [
        ...starts,
        {
          at: index,
          line,
          logWeight: -Math.log((j + 1) * (j + 2)),
          pastRate: state.past.events / state.past.trials,
          logM: COUNT_ALTERNATIVES.map(() => 0),
        },
      ];
    }
  }
  const logPrior = -Math.log(COUNT_ALTERNATIVES.length);
  // Each start's weighted evidence once: it both prunes the start and enters the mixture.
  const kept: DriftState['starts'] = [];
  const perStart: number[] = [];
  for (const start of starts) {
    const logLR = oneSampleCountLogLR(interval.events, interval.trials, start.line);
    const next =
      logLR === null ? start : { ...start, logM: start.logM.map((m, k) => clampLog(m + (logLR[k] ?? 0))) };
    const weighted = next.logWeight + logPrior + logSumExp(next.logM);
    if (weighted < PRUNE_LOG) continue;
    kept.push(next);
    perStart.push(weighted);
  }
  starts = kept;
  const logE = logSumExp(perStart);
  const degraded = state.degradedAt === null && logE >= Math.log(1 / params.alpha);
  const strongest = starts[perStart.indexOf(Math.max(...perStart))];
  return {
    past: { events: state.past.events + interval.events, trials: state.past.trials + interval.trials },
    starts,
    started,
    degradedAt: degraded ? index : state.degradedAt,
    logE,
    shown: degraded
      ? { pastRate: strongest?.pastRate ?? null, rate: interval.events / interval.trials }
      : state.shown,
  };
}

/** The e-value against "no degradation", for people. */
export function driftEValue(state: DriftState): number {
  return Number(Math.exp(Math.min(state.logE, 690)).toPrecision(3));
}
