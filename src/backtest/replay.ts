import { bucketBound } from '../decision';
import {
  type DecisionCause,
  type DecisionConfig,
  type DecisionKind,
  evaluateInterval,
  finishWatch,
  initialDecisionState,
  seriesUsedBy,
} from '../decision';
import type { Policy } from '../policy';
import type { RecordedDeployment } from './readings';

/**
 * A recorded watch replayed through the decision core under another policy:
 * the same readings, interval by interval, as `ripcord simulate` replays a
 * scenario (src/simulate/simulate.ts). Pure.
 */

/** What the new policy would have decided on the recorded readings. */
export interface BacktestDecision {
  /** `undecided`: the recorded readings end (the guardian acted or stopped) before the new policy decided. */
  decision: DecisionKind | 'undecided';
  /** The interval it would have acted after; null when its watch simply ended, or it had not decided. */
  decidedAtIndex: number | null;
  reason: string;
  cause?: DecisionCause;
  signal?: string;
  /** Intervals replayed. */
  intervals: number;
}

/**
 * How long a guardian of `policy` watches: the pipeline's --watch when it gave
 * one, else the canary's holds or the automatic rollback window (as
 * src/workflows/phases/watch.ts).
 */
export function watchSecondsFor(policy: Policy, intervalSeconds: number, explicit?: number): number {
  if (explicit !== undefined) return explicit;
  if (policy.deployment.pattern === 'canary') {
    const holds = policy.deployment.steps.reduce((sum, step) => sum + step.holdSeconds, 0);
    return Math.max(holds, intervalSeconds);
  }
  return policy.rollbackWindow.automaticSeconds;
}

/** Why a series the new policy reads cannot be backtested on one deployment. */
export interface Uncovered {
  series: string;
  why: 'not-read' | 'read-differently';
  /** The series the deployment's readings hold, for the message. */
  recorded: string[];
}

function recordedNames(recorded: RecordedDeployment): string[] {
  // A histogram's buckets are one series to a reader: latency, not latency_le_25, latency_le_50, ...
  const histograms = Object.entries(recorded.policy.series)
    .filter(([, series]) => series.histogram !== undefined)
    .map(([name]) => name);
  const names = new Set<string>();
  for (const observation of recorded.readings)
    for (const key of Object.keys(observation))
      names.add(histograms.find((h) => bucketBound(h, key) !== undefined) ?? key);
  return [...names].sort();
}

/** The definition that decides what a series' readings mean: where it is read, by which query, as what. */
function definition(policy: Policy, name: string): string | undefined {
  const series = policy.series[name];
  if (series === undefined) return undefined;
  const type = policy.sources[series.source]?.type ?? 'unknown';
  return JSON.stringify([type, series.query.replace(/\s+/g, ' ').trim(), series.histogram ?? null]);
}

/**
 * The series `policy` reads that this deployment's readings do not cover:
 * absent from them (a histogram needs its `<name>_le_<ms>` buckets), or read
 * there by another query than the new policy's, so that the numbers would not
 * mean what the new policy takes them to mean.
 */
export function uncoveredSeries(
  policy: Policy,
  config: DecisionConfig,
  recorded: RecordedDeployment,
): Uncovered[] {
  const keys = new Set(recorded.readings.flatMap((observation) => Object.keys(observation)));
  const needed = new Map<string, boolean>(); // name → read as a histogram's buckets
  for (const signal of config.signals) {
    seriesUsedBy(signal).forEach((name, i) =>
      needed.set(name, needed.get(name) === true || (signal.kind === 'histogram' && i === 0)),
    );
  }
  const problems: Uncovered[] = [];
  for (const [name, buckets] of [...needed].sort(([a], [b]) => a.localeCompare(b))) {
    const present = buckets ? [...keys].some((k) => bucketBound(name, k) !== undefined) : keys.has(name);
    if (!present) {
      problems.push({ series: name, why: 'not-read', recorded: recordedNames(recorded) });
      continue;
    }
    if (definition(policy, name) !== definition(recorded.policy, name)) {
      problems.push({ series: name, why: 'read-differently', recorded: recordedNames(recorded) });
    }
  }
  return problems;
}

/**
 * Replays the recorded watch under `config` (the new policy's decision
 * configuration) at the interval the readings were taken at: every duration in
 * the policy is in seconds and applies unchanged. The new watch is as long as
 * `policy` makes it (or the pipeline's --watch); when the readings end first
 * without a decision, the result is `undecided`, never a guess.
 */
export function replayUnderPolicy(
  policy: Policy,
  config: DecisionConfig,
  recorded: RecordedDeployment,
): BacktestDecision {
  const interval = recorded.intervalSeconds;
  const effective: DecisionConfig = { ...config, intervalSeconds: interval };
  const watchIntervals = Math.ceil(watchSecondsFor(policy, interval, recorded.watchSeconds) / interval);
  const available = Math.min(watchIntervals, recorded.readings.length);
  let state = initialDecisionState(effective);
  for (let i = 0; i < available; i++) {
    const step = evaluateInterval(effective, state, recorded.readings[i] ?? {});
    state = step.state;
    if (step.decision && step.decision.decision !== 'no-rollback') {
      return { ...outcome(step.decision), intervals: i + 1 };
    }
  }
  if (recorded.readings.length >= watchIntervals) {
    return { ...outcome(finishWatch(effective, state)), intervals: available };
  }
  const lastIndex = recorded.readings.length - 1;
  return {
    decision: 'undecided',
    decidedAtIndex: null,
    reason:
      recorded.readings.length === 0
        ? 'no readings were recorded'
        : `no decision by interval ${lastIndex}, where the recorded readings end; its watch would have gone on to interval ${watchIntervals - 1}`,
    intervals: available,
  };
}

function outcome(decided: {
  decision: DecisionKind;
  decidedAtIndex: number | null;
  reason: string;
  cause?: DecisionCause;
  signal?: string;
}): Omit<BacktestDecision, 'intervals'> {
  return {
    decision: decided.decision,
    decidedAtIndex: decided.decidedAtIndex,
    reason: decided.reason,
    ...(decided.cause ? { cause: decided.cause } : {}),
    ...(decided.signal ? { signal: decided.signal } : {}),
  };
}
