import type { DecisionCause, DecisionKind, Observation } from '../decision';
import type { DeploymentInfo, GuardianOutcome } from '../model/guardian';
import type { Policy } from '../policy';
import type { GuardianHistory } from '../report/history';
import { readingsOf } from '../report/model';

/**
 * What one past guardian recorded, as a backtest needs it: the deployment, the
 * policy it ran under, what it decided and how it ended, and the readings of
 * its watch. The readings are the results of its `readHealthInterval` local
 * activity, one per interval (src/report/history.ts decodes them, as for
 * `ripcord report`). Pure: the history has already been fetched and decoded.
 */

/** What the guardian's decision core (or a person) decided; `none` when it stopped before either did. */
export interface RecordedDecision {
  decision: DecisionKind | 'none';
  source?: 'automatic' | 'manual';
  /** The interval it acted after; null when the watch simply ended. */
  decidedAtIndex: number | null;
  reason: string;
  cause?: DecisionCause;
  signal?: string;
}

export interface RecordedDeployment {
  workflowId: string;
  deployment: DeploymentInfo;
  /** The policy the guardian ran under, as pinned in its input. */
  policy: Policy;
  policyHash: string;
  /** The pipeline's --watch, when it gave one; else the policy says how long a watch is. */
  watchSeconds?: number;
  /** Health came from a scenario file (a rehearsal, `guard --replay`), not from production. */
  replayedScenario?: string;
  /** The interval its readings were taken at (its policy's). */
  intervalSeconds: number;
  startedAt: string;
  state: 'running' | 'closed';
  /** How it ended: its outcome, or how it was stopped from outside (terminated, cancelled, ...). */
  outcome?: GuardianOutcome | 'terminated' | 'cancelled' | 'failed' | 'timed-out';
  outcomeReason?: string;
  decision: RecordedDecision;
  /**
   * The watch's readings by interval, from 0: what the decision core was fed.
   * An interval whose read left no result is an empty observation (no data),
   * as the core would have seen it.
   */
  readings: Observation[];
  /** When each of those readings was taken (undefined where none was recorded). */
  readAt: Array<string | undefined>;
  /** Intervals with no recorded reading (filled with no data). */
  gaps: number[];
}

function recordedDecisionOf(history: GuardianHistory): RecordedDecision {
  const last = history.runs[history.runs.length - 1];
  const end = last?.end;
  if (end?.kind !== 'completed') {
    return { decision: 'none', decidedAtIndex: null, reason: end ? `the guardian was ${end.kind}` : '' };
  }
  const { result } = end;
  if (result.decision) {
    return {
      decision: result.decision.decision,
      source: result.decision.source,
      decidedAtIndex: result.decision.decidedAtIndex,
      reason: result.decision.reason,
      ...(result.decision.cause ? { cause: result.decision.cause } : {}),
      ...(result.decision.signal ? { signal: result.decision.signal } : {}),
    };
  }
  // A promotion records no decision: the watch ended without one, which is the core's no-rollback.
  if (result.outcome === 'promoted') {
    return { decision: 'no-rollback', decidedAtIndex: null, reason: result.reason, cause: 'healthy' };
  }
  return { decision: 'none', decidedAtIndex: null, reason: result.reason };
}

/**
 * The guardian's past as plain data. Watch readings are those up to the
 * interval the guardian decided at; without a decision, those read before any
 * rollback plan (later reads check the steps and the recovery, and are not
 * part of the watch).
 */
export function recordedDeployment(history: GuardianHistory): RecordedDeployment {
  const first = history.runs[0];
  const last = history.runs[history.runs.length - 1];
  if (!first || !last) throw new Error(`guardian ${history.workflowId} has no runs`);
  const { deployment, policy, policyHash } = first.input;
  const decision = recordedDecisionOf(history);
  const decidedAt = decision.decidedAtIndex;
  const watch = readingsOf(history).filter((r) =>
    decidedAt !== null ? r.index <= decidedAt : r.phase === 'watch',
  );

  const byIndex = new Map<number, { observation: Observation; at: string }>();
  for (const reading of watch) {
    if (reading.observation !== undefined && Number.isInteger(reading.index) && reading.index >= 0)
      byIndex.set(reading.index, { observation: reading.observation, at: reading.at });
  }
  const count = byIndex.size === 0 ? 0 : Math.max(...byIndex.keys()) + 1;
  const readings: Observation[] = [];
  const readAt: Array<string | undefined> = [];
  const gaps: number[] = [];
  for (let i = 0; i < count; i++) {
    const found = byIndex.get(i);
    if (!found) gaps.push(i);
    readings.push(found?.observation ?? {});
    readAt.push(found?.at);
  }

  const end = last.end;
  const closed = end !== undefined && end.kind !== 'continued-as-new';
  const outcome = end?.kind === 'completed' ? end.result.outcome : closed ? end.kind : undefined;
  const outcomeReason =
    end?.kind === 'completed' ? end.result.reason : closed && 'message' in end ? end.message : undefined;
  const { input } = first;
  return {
    workflowId: history.workflowId,
    deployment,
    policy,
    policyHash,
    ...(input.watchSeconds !== undefined ? { watchSeconds: input.watchSeconds } : {}),
    ...(input.replay ? { replayedScenario: input.replay.scenarioFile } : {}),
    intervalSeconds: policy.evaluation.intervalSeconds,
    startedAt: first.startedAt,
    state: closed ? 'closed' : 'running',
    ...(outcome ? { outcome } : {}),
    ...(outcomeReason ? { outcomeReason } : {}),
    decision,
    readings,
    readAt,
    gaps,
  };
}
