import type { DecisionKind } from '../decision';
import { formatDuration } from '../text/duration';
import type { RecordedDecision, RecordedDeployment } from './readings';
import type { BacktestDecision } from './replay';

/**
 * What the new policy would have done differently, deployment by deployment
 * and over all of them: more or fewer rollbacks and escalations, sooner or
 * later. Pure: it compares what was recorded with what was replayed.
 */

/**
 * How the new policy's decision differs from the recorded one:
 * - same: the same decision at the same interval (or neither acted);
 * - sooner, later: the same decision (a rollback or an escalation) at another interval;
 * - rollback-added, rollback-removed: it would have rolled back where the guardian did not, or not where it did;
 * - escalation-added, escalation-removed: the same for escalations;
 * - undecided: the recorded readings end (the guardian acted or stopped) before the new policy decided.
 */
export type Change =
  | 'same'
  | 'sooner'
  | 'later'
  | 'rollback-added'
  | 'rollback-removed'
  | 'escalation-added'
  | 'escalation-removed'
  | 'undecided';

export interface BacktestRow {
  workflowId: string;
  deploymentId: string;
  service: string;
  environment: string;
  version: string;
  previousVersion: string;
  deployedAt: string;
  /** Health came from a scenario (a rehearsal), not from production. */
  rehearsal: boolean;
  /** The interval the readings were taken at; the new policy was replayed at it. */
  intervalSeconds: number;
  recorded: {
    outcome?: string;
    outcomeReason?: string;
    policyHash: string;
    policyVersion: string;
    decision: RecordedDecision;
    /** Seconds of the watch when it acted: (decidedAtIndex + 1) intervals. */
    atSeconds: number | null;
  };
  backtested: BacktestDecision & { atSeconds: number | null };
  change: Change;
  /** Seconds later (positive) or sooner (negative) than the recorded decision, for sooner and later. */
  shiftSeconds?: number;
}

/** What both decisions mean for comparison: a guardian stopped before deciding neither rolled back nor escalated. */
type Compared = DecisionKind;

function comparedKind(decision: RecordedDecision['decision']): Compared {
  return decision === 'none' ? 'no-rollback' : decision;
}

const secondsAt = (index: number | null, intervalSeconds: number): number | null =>
  index === null ? null : (index + 1) * intervalSeconds;

export function compareDecisions(
  recorded: Pick<RecordedDecision, 'decision' | 'decidedAtIndex'>,
  backtested: Pick<BacktestDecision, 'decision' | 'decidedAtIndex'>,
): Change {
  if (backtested.decision === 'undecided') return 'undecided';
  const was = comparedKind(recorded.decision);
  const now = backtested.decision;
  if (was === now) {
    if (now === 'no-rollback' || recorded.decidedAtIndex === null || backtested.decidedAtIndex === null)
      return 'same';
    if (backtested.decidedAtIndex < recorded.decidedAtIndex) return 'sooner';
    if (backtested.decidedAtIndex > recorded.decidedAtIndex) return 'later';
    return 'same';
  }
  if (now === 'rollback') return 'rollback-added';
  if (was === 'rollback') return 'rollback-removed';
  return now === 'escalate' ? 'escalation-added' : 'escalation-removed';
}

/** One deployment's line of the backtest. */
export function backtestRow(recorded: RecordedDeployment, backtested: BacktestDecision): BacktestRow {
  const { deployment, intervalSeconds } = recorded;
  const change = compareDecisions(recorded.decision, backtested);
  const recordedAt = secondsAt(recorded.decision.decidedAtIndex, intervalSeconds);
  const newAt = secondsAt(backtested.decidedAtIndex, intervalSeconds);
  return {
    workflowId: recorded.workflowId,
    deploymentId: deployment.deploymentId,
    service: deployment.service,
    environment: deployment.environment,
    version: deployment.version,
    previousVersion: deployment.previousVersion,
    deployedAt: deployment.deployedAt,
    rehearsal: recorded.replayedScenario !== undefined,
    intervalSeconds,
    recorded: {
      ...(recorded.outcome ? { outcome: recorded.outcome } : {}),
      ...(recorded.outcomeReason ? { outcomeReason: recorded.outcomeReason } : {}),
      policyHash: recorded.policyHash,
      policyVersion: recorded.policy.metadata.version,
      decision: recorded.decision,
      atSeconds: recordedAt,
    },
    backtested: { ...backtested, atSeconds: newAt },
    change,
    ...((change === 'sooner' || change === 'later') && recordedAt !== null && newAt !== null
      ? { shiftSeconds: newAt - recordedAt }
      : {}),
  };
}

export interface DecisionCounts {
  /** Deployments where the guardian made this decision. */
  recorded: number;
  /** Deployments where the new policy would have made it. */
  backtested: number;
  /** ...where the guardian did not. */
  added: number;
  /** ...where the guardian did and the new policy decided otherwise (undecided ones are not counted). */
  removed: number;
}

export interface BacktestSummary {
  deployments: number;
  rollbacks: DecisionCounts;
  escalations: DecisionCounts;
  /** Where both made the same rollback or escalation: how much sooner or later the new policy acted. */
  timing: { sooner: number; later: number; same: number; medianShiftSeconds: number | null };
  /** The recorded readings ended before the new policy decided: unknown, never counted as a rollback or not. */
  undecided: number;
  /** The summary in words: "more rollbacks (2, was 1); as many escalations (0); sooner (median 1m) where both acted (...)". */
  verdict: string;
}

function counts(rows: readonly BacktestRow[], kind: 'rollback' | 'escalate'): DecisionCounts {
  let recorded = 0;
  let backtested = 0;
  let added = 0;
  let removed = 0;
  for (const row of rows) {
    const was = comparedKind(row.recorded.decision.decision) === kind;
    const now = row.backtested.decision === kind;
    if (was) recorded += 1;
    if (now) backtested += 1;
    if (now && !was) added += 1;
    if (was && !now && row.backtested.decision !== 'undecided') removed += 1;
  }
  return { recorded, backtested, added, removed };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function moreOrFewer(name: string, c: DecisionCounts): string {
  if (c.backtested === c.recorded) return `as many ${name} (${c.recorded})`;
  return `${c.backtested > c.recorded ? 'more' : 'fewer'} ${name} (${c.backtested}, was ${c.recorded})`;
}

export function summarize(rows: readonly BacktestRow[]): BacktestSummary {
  const rollbacks = counts(rows, 'rollback');
  const escalations = counts(rows, 'escalate');
  const timed = rows.filter(
    (row) =>
      (row.change === 'sooner' || row.change === 'later' || row.change === 'same') &&
      row.backtested.decision !== 'no-rollback' &&
      row.backtested.decidedAtIndex !== null &&
      row.recorded.decision.decidedAtIndex !== null,
  );
  const shifts = timed.map((row) => row.shiftSeconds ?? 0);
  const timing = {
    sooner: timed.filter((row) => row.change === 'sooner').length,
    later: timed.filter((row) => row.change === 'later').length,
    same: timed.filter((row) => row.change === 'same').length,
    medianShiftSeconds: median(shifts),
  };
  const undecided = rows.filter((row) => row.change === 'undecided').length;
  const words = [moreOrFewer('rollbacks', rollbacks), moreOrFewer('escalations', escalations)];
  if (timed.length > 0) {
    const shift = timing.medianShiftSeconds ?? 0;
    const when =
      shift < 0
        ? `sooner (median ${formatDuration(-shift)})`
        : shift > 0
          ? `later (median ${formatDuration(shift)})`
          : 'as soon';
    words.push(
      `${when} where both acted (${timing.sooner} sooner, ${timing.later} later, ${timing.same} same)`,
    );
  }
  if (undecided > 0) words.push(`${undecided} undecided when the recorded readings end`);
  return { deployments: rows.length, rollbacks, escalations, timing, undecided, verdict: words.join('; ') };
}

/** A whole backtest: `ripcord backtest --json` prints it as it is. */
export interface BacktestResult {
  policy: { file: string; hash: string; service: string; environment: string; version: string };
  /** Which guardians were read. */
  query: { service: string; environment: string; since: string; includeRehearsals: boolean };
  /** Oldest first. */
  deployments: BacktestRow[];
  /** Guardians found but not backtested, and why (still running, no readings). */
  skipped: Array<{ workflowId: string; deploymentId: string; why: string }>;
  notes: string[];
  summary: BacktestSummary;
}
