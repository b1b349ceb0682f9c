import { formatBacktest } from '../../../src/backtest/format';
import type { RecordedDecision, RecordedDeployment } from '../../../src/backtest/readings';
import type { BacktestDecision } from '../../../src/backtest/replay';
import {
  backtestRow,
  type BacktestResult,
  type BacktestRow,
  compareDecisions,
  summarize,
} from '../../../src/backtest/summary';
import { loaded } from '../report/fixture';

/**
 * The comparison: per deployment, how the new policy's decision differs from
 * the recorded one; over all, more or fewer rollbacks and escalations, sooner
 * or later.
 */

const rollback = (index: number) => ({ decision: 'rollback' as const, decidedAtIndex: index });
const escalate = (index: number) => ({ decision: 'escalate' as const, decidedAtIndex: index });
const clean = { decision: 'no-rollback' as const, decidedAtIndex: null };
const undecided = { decision: 'undecided' as const, decidedAtIndex: null };

test('each pair of decisions is one change', () => {
  expect(compareDecisions(rollback(7), rollback(7))).toBe('same');
  expect(compareDecisions(rollback(7), rollback(5))).toBe('sooner');
  expect(compareDecisions(rollback(7), rollback(9))).toBe('later');
  expect(compareDecisions(clean, clean)).toBe('same');
  expect(compareDecisions(clean, rollback(3))).toBe('rollback-added');
  expect(compareDecisions(escalate(4), rollback(3))).toBe('rollback-added');
  expect(compareDecisions(rollback(7), clean)).toBe('rollback-removed');
  expect(compareDecisions(rollback(7), escalate(7))).toBe('rollback-removed');
  expect(compareDecisions(clean, escalate(10))).toBe('escalation-added');
  expect(compareDecisions(escalate(10), clean)).toBe('escalation-removed');
  expect(compareDecisions(escalate(10), escalate(8))).toBe('sooner');
  expect(compareDecisions(rollback(7), undecided)).toBe('undecided');
  // Stopped before any decision (aborted, terminated): neither rolled back nor escalated.
  expect(compareDecisions({ decision: 'none', decidedAtIndex: null }, clean)).toBe('same');
});

let seq = 0;
function row(
  recorded: Pick<RecordedDecision, 'decision' | 'decidedAtIndex'>,
  backtested: Pick<BacktestDecision, 'decision' | 'decidedAtIndex'>,
  outcome = 'promoted',
): BacktestRow {
  seq += 1;
  const deployment = {
    workflowId: `ripcord/production/checkout/d-${seq}`,
    deployment: {
      deploymentId: `d-${seq}`,
      service: 'checkout',
      environment: 'production',
      version: '2.0.0',
      previousVersion: '1.9.0',
      deployedAt: '2026-03-01T12:00:00.000Z',
    },
    policy: loaded.policy,
    policyHash: loaded.hash,
    intervalSeconds: 30,
    startedAt: '2026-03-01T12:00:00.000Z',
    state: 'closed',
    outcome,
    decision: { ...recorded, reason: 'recorded', source: 'automatic' },
    readings: [],
    readAt: [],
    gaps: [],
  } as RecordedDeployment;
  return backtestRow(deployment, { ...backtested, reason: `new: ${backtested.decision}`, intervals: 20 });
}

test('a row says when each decision was made, in seconds of the watch, and by how much they differ', () => {
  const r = row(rollback(7), rollback(5), 'rolled-back');
  expect(r.recorded.atSeconds).toBe(240);
  expect(r.backtested.atSeconds).toBe(180);
  expect(r.change).toBe('sooner');
  expect(r.shiftSeconds).toBe(-60);
  expect(row(clean, clean).shiftSeconds).toBeUndefined();
});

test('the summary counts rollbacks and escalations both ways, timing where both acted, and the undecided', () => {
  const rows = [
    row(rollback(7), rollback(5), 'rolled-back'), // sooner by 60 s
    row(rollback(7), rollback(11), 'rolled-back'), // later by 120 s
    row(rollback(9), rollback(9), 'rolled-back'), // same
    row(clean, rollback(4)), // added
    row(rollback(6), clean, 'rolled-back'), // removed
    row(rollback(6), undecided, 'rolled-back'), // unknown: neither kept nor removed
    row(clean, escalate(19)), // escalation added
    row(clean, clean),
  ];
  const summary = summarize(rows);
  expect(summary.deployments).toBe(8);
  expect(summary.rollbacks).toEqual({ recorded: 5, backtested: 4, added: 1, removed: 1 });
  expect(summary.escalations).toEqual({ recorded: 0, backtested: 1, added: 1, removed: 0 });
  expect(summary.timing).toEqual({ sooner: 1, later: 1, same: 1, medianShiftSeconds: 0 });
  expect(summary.undecided).toBe(1);
  expect(summary.verdict).toBe(
    'fewer rollbacks (4, was 5); more escalations (1, was 0); as soon where both acted (1 sooner, 1 later, 1 same); ' +
      '1 undecided when the recorded readings end',
  );
});

test('a stricter policy that acts sooner says so with the median shift', () => {
  const summary = summarize([
    row(rollback(7), rollback(5), 'rolled-back'),
    row(rollback(8), rollback(5), 'rolled-back'),
    row(clean, rollback(6)),
  ]);
  expect(summary.rollbacks).toEqual({ recorded: 2, backtested: 3, added: 1, removed: 0 });
  expect(summary.timing).toEqual({ sooner: 2, later: 0, same: 0, medianShiftSeconds: -75 });
  expect(summary.verdict).toBe(
    'more rollbacks (3, was 2); as many escalations (0); sooner (median 1m 15s) where both acted (2 sooner, 0 later, 0 same)',
  );
});

test('no deployments: nothing counted', () => {
  const summary = summarize([]);
  expect(summary).toMatchObject({ deployments: 0, undecided: 0 });
  expect(summary.timing.medianShiftSeconds).toBeNull();
  expect(summary.verdict).toBe('as many rollbacks (0); as many escalations (0)');
});

test('the text: one line per deployment, why where it differs, the summary table', () => {
  const rows = [row(rollback(7), rollback(5), 'rolled-back'), row(clean, rollback(4)), row(clean, clean)];
  const result: BacktestResult = {
    policy: {
      file: 'strict.yaml',
      hash: loaded.hash,
      service: 'checkout',
      environment: 'production',
      version: '4',
    },
    query: {
      service: 'checkout',
      environment: 'production',
      since: '2026-02-01T00:00:00.000Z',
      includeRehearsals: false,
    },
    deployments: rows,
    skipped: [{ workflowId: 'ripcord/production/checkout/d-9', deploymentId: 'd-9', why: 'still running' }],
    notes: [],
    summary: summarize(rows),
  };
  const text = formatBacktest(result);
  const lines = text.split('\n');
  expect(lines[0]).toMatch(/^Backtest of strict\.yaml \(sha256:[0-9a-f]{12}…\) on checkout in production/);
  const [first, second, third] = rows.map((r) => lines.find((l) => l.startsWith(r.deploymentId))!);
  expect(first).toMatch(
    /1\.9\.0 -> 2\.0\.0 +2026-03-01T12:00:00Z +rolled-back: rollback after 4m \(interval 7\) +rollback after 3m \(interval 5\) +sooner by 1m$/,
  );
  expect(second).toMatch(/promoted: no rollback +rollback after 2m 30s \(interval 4\) +\+ rollback$/);
  expect(third).toMatch(/promoted: no rollback +no rollback +same$/);
  expect(text).toContain(`Where the new policy differs, why:\n  ${rows[0]!.deploymentId}: new: rollback`);
  expect(text).toContain('skipped d-9: still running');
  expect(text).toMatch(/^ {2}rollbacks +1 +2 +\+1 \(1 added, 0 removed\)$/m);
  expect(text).toMatch(/^ {2}timing +1 sooner, 0 later, 0 same \(median 1m sooner\)$/m);
  expect(text).toContain('In short: more rollbacks (2, was 1);');
});
