import { formatDuration } from '../text/duration';
import { formatTable } from '../text/table';
import type { BacktestResult, BacktestRow, Change, DecisionCounts } from './summary';

/** `ripcord backtest` as text: one line per deployment, why where the new policy differs, the summary table. */

function when(index: number | null, seconds: number | null): string {
  return index === null || seconds === null ? '' : ` after ${formatDuration(seconds)} (interval ${index})`;
}

function happened(row: BacktestRow): string {
  const { decision, outcome } = row.recorded;
  const what =
    decision.decision === 'none'
      ? 'no decision'
      : decision.decision === 'no-rollback'
        ? 'no rollback'
        : `${decision.decision}${decision.source === 'manual' ? ' (manual)' : ''}${when(decision.decidedAtIndex, row.recorded.atSeconds)}`;
  return `${outcome ?? 'unknown'}: ${what}`;
}

function wouldDecide(row: BacktestRow): string {
  const b = row.backtested;
  if (b.decision === 'undecided') {
    return b.intervals === 0
      ? 'undecided: no readings'
      : `undecided by ${formatDuration(b.intervals * row.intervalSeconds)} (readings end)`;
  }
  if (b.decision === 'no-rollback') return 'no rollback';
  return `${b.decision}${when(b.decidedAtIndex, b.atSeconds)}`;
}

const CHANGE_WORDS: Record<Change, string> = {
  same: 'same',
  sooner: 'sooner',
  later: 'later',
  'rollback-added': '+ rollback',
  'rollback-removed': '- rollback',
  'escalation-added': '+ escalation',
  'escalation-removed': '- escalation',
  undecided: 'unknown',
};

function changeWords(row: BacktestRow): string {
  const words = CHANGE_WORDS[row.change];
  return row.shiftSeconds === undefined ? words : `${words} by ${formatDuration(Math.abs(row.shiftSeconds))}`;
}

function difference(c: DecisionCounts): string {
  const delta = c.backtested - c.recorded;
  const sign = delta > 0 ? `+${delta}` : `${delta}`;
  return `${sign} (${c.added} added, ${c.removed} removed)`;
}

export function formatBacktest(result: BacktestResult): string {
  const out: string[] = [];
  const { policy, query, summary } = result;
  out.push(
    `Backtest of ${result.policy.file} (${policy.hash.slice(0, 19)}…) on ${query.service} in ${query.environment}, ` +
      `guardians started since ${query.since}${query.includeRehearsals ? ', rehearsals included' : ''}`,
  );
  out.push('');
  if (result.deployments.length === 0) {
    out.push('No deployment to backtest.');
  } else {
    out.push(
      ...formatTable(
        ['DEPLOYMENT', 'VERSION', 'DEPLOYED', 'WHAT HAPPENED', 'NEW POLICY WOULD', 'CHANGE'],
        result.deployments.map((row) => [
          `${row.deploymentId}${row.rehearsal ? ' (rehearsal)' : ''}`,
          `${row.previousVersion} -> ${row.version}`,
          row.deployedAt.replace(/\.\d+Z$/, 'Z'),
          happened(row),
          wouldDecide(row),
          changeWords(row),
        ]),
      ),
    );
    const differing = result.deployments.filter((row) => row.change !== 'same');
    if (differing.length > 0) {
      out.push('', 'Where the new policy differs, why:');
      for (const row of differing) out.push(`  ${row.deploymentId}: ${row.backtested.reason}`);
    }
  }
  for (const skipped of result.skipped) out.push(`skipped ${skipped.deploymentId}: ${skipped.why}`);
  out.push('', 'Summary');
  out.push(
    ...formatTable(
      ['', 'RECORDED', 'NEW POLICY', 'DIFFERENCE'],
      [
        ['deployments', `${summary.deployments}`, `${summary.deployments}`, ''],
        [
          'rollbacks',
          `${summary.rollbacks.recorded}`,
          `${summary.rollbacks.backtested}`,
          difference(summary.rollbacks),
        ],
        [
          'escalations',
          `${summary.escalations.recorded}`,
          `${summary.escalations.backtested}`,
          difference(summary.escalations),
        ],
        [
          'timing',
          '',
          '',
          `${summary.timing.sooner} sooner, ${summary.timing.later} later, ${summary.timing.same} same` +
            (summary.timing.medianShiftSeconds
              ? ` (median ${formatDuration(Math.abs(summary.timing.medianShiftSeconds))} ${summary.timing.medianShiftSeconds < 0 ? 'sooner' : 'later'})`
              : ''),
        ],
        ['undecided', '', `${summary.undecided}`, summary.undecided > 0 ? 'the readings end first' : ''],
      ],
    ).map((line) => `  ${line}`),
  );
  out.push('', `In short: ${summary.verdict}.`);
  for (const note of result.notes) out.push(`note: ${note}`);
  return `${out.join('\n')}\n`;
}
