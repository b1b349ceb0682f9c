import type { AuditRecord } from '../../../src/model/audit';
import type { GuardianHistory } from '../../../src/report/history';
import { buildReport, type DeploymentReport } from '../../../src/report/model';
import { auditRecord, decidedAtIndex, rolledBackHistory, t } from './fixture';

/**
 * The report reads what happened from each audit record's kind and typed
 * details, never from its summary: the summary is a sentence for people and
 * may be reworded at any time. Every record's summary reworded, the report
 * says the same (only the sentences it shows differ).
 */

/** The same history with every audit record's summary replaced by other words. */
function reworded(history: GuardianHistory): GuardianHistory {
  const copy = structuredClone(history);
  for (const run of copy.runs)
    for (const call of run.calls)
      if (call.type === 'recordAudit') {
        const record = call.input as AuditRecord;
        record.summary = `Reworded for people: record ${record.id.split('#')[1]}.`;
      }
  return copy;
}

/** What the report says happened, without the sentences it shows. */
function facts(report: DeploymentReport) {
  return {
    state: report.state,
    outcome: report.outcome,
    decision: report.decision,
    recomputed: report.recomputed,
    plan: report.plan,
    approvals: report.approvals,
    timelineKinds: report.timeline.map((e) => [e.at, e.kind]),
    audit: report.audit.records.map(({ id, at, kind, actor }) => ({ id, at, kind, actor })),
  };
}

const recordAt = (history: GuardianHistory, record: AuditRecord) =>
  history.runs[0]!.calls.push({
    type: 'recordAudit',
    scheduledAt: record.at,
    closedAt: record.at,
    state: 'completed',
    input: record,
  });

/** A guardian still at work, without a live status: the report has only its history and records. */
async function frozenAtTheGateHistory(): Promise<GuardianHistory> {
  const { history } = await rolledBackHistory();
  const run = history.runs[0]!;
  const planHash = 'sha256:p';
  // Step 1 never ran: the guardian froze before it.
  const second = run.calls.filter((c) => c.type === 'executeStep')[1]!;
  run.calls = run.calls.filter((c) => c !== second);
  recordAt(
    history,
    auditRecord(
      20,
      t(decidedAtIndex + 1.6),
      'approval',
      'approved plan sha256:p',
      { verdict: 'approved', subject: 'alice', role: 'sre', planHash, reason: 'error budget burning' },
      { actor: 'alice' },
    ),
  );
  recordAt(
    history,
    auditRecord(
      21,
      t(decidedAtIndex + 1.7),
      'approval',
      'rejected plan sha256:p',
      { verdict: 'rejected', subject: 'bob', role: 'dba', planHash },
      { actor: 'bob' },
    ),
  );
  // What the gate did by itself is not a person's approval.
  recordAt(
    history,
    auditRecord(22, t(decidedAtIndex + 1.8), 'approval', 'approval timed out: holding for a person', {
      verdict: 'timed-out',
      onTimeout: 'hold',
      planHash,
    }),
  );
  recordAt(
    history,
    auditRecord(23, t(decidedAtIndex + 5), 'step', 'froze before irreversible step 1 (announce)', {
      index: 1,
      name: 'announce',
      type: 'webhook',
      state: 'frozen',
      because: 'irreversible',
    }),
  );
  // Not closed, and no live status: the decision is the decision record's.
  run.calls = run.calls.filter((c) => {
    const record = c.input as AuditRecord | undefined;
    return !(c.type === 'recordAudit' && (record?.kind === 'outcome' || record?.kind === 'recovery'));
  });
  delete run.end;
  return history;
}

test('a rolled-back deployment: the same report whatever the summaries say', async () => {
  const { history } = await rolledBackHistory();
  const report = buildReport({ history });
  expect(facts(buildReport({ history: reworded(history) }))).toEqual(facts(report));
  expect(report.audit.records.map((r) => r.summary)).not.toEqual(
    buildReport({ history: reworded(history) }).audit.records.map((r) => r.summary),
  );
});

test("approvals, a frozen step and the decision come from the records' details, not their words", async () => {
  const history = await frozenAtTheGateHistory();
  const report = buildReport({ history: reworded(history) });

  expect(report.state).toBe('running');
  expect(report.decision).toMatchObject({
    decision: 'rollback',
    source: 'automatic',
    reason: 'error-rate regressed: regression confirmed on data after the breach',
    decidedAtIndex,
    signal: 'error-rate',
    at: t(decidedAtIndex + 1.2),
  });
  expect(report.decision!.evidence.map((s) => s.signal)).toEqual(['error-rate', 'latency-p99']);
  expect(report.approvals).toEqual([
    {
      subject: 'alice',
      role: 'sre',
      at: t(decidedAtIndex + 1.6),
      verdict: 'approved',
      reason: 'error budget burning',
    },
    { subject: 'bob', role: 'dba', at: t(decidedAtIndex + 1.7), verdict: 'rejected' },
  ]);
  expect(report.plan!.steps.map((s) => [s.index, s.state])).toEqual([
    [0, 'done'],
    [1, 'frozen'],
  ]);
  expect(facts(report)).toEqual(facts(buildReport({ history })));
});

test('a manual rollback is dated by the request that asked for it, whatever it was called', async () => {
  const { history } = await rolledBackHistory();
  const run = history.runs[0]!;
  run.calls = run.calls.filter((c) => (c.input as AuditRecord | undefined)?.kind !== 'decision');
  const end = run.end!;
  if (end.kind !== 'completed') throw new Error('fixture');
  end.result.decision = {
    decision: 'rollback',
    decidedAtIndex: 3,
    reason: 'manual rollback by alice: checkout errors',
    source: 'manual',
  };
  recordAt(
    history,
    auditRecord(
      20,
      t(4.5),
      'action',
      'manual rollback requested',
      { action: 'rollbackNow', manual: true, role: 'sre', reason: 'checkout errors' },
      { actor: 'alice' },
    ),
  );
  const report = buildReport({ history: reworded(history) });
  expect(report.decision).toMatchObject({ decision: 'rollback', source: 'manual', at: t(4.5) });
  expect(facts(report)).toEqual(facts(buildReport({ history })));
});
