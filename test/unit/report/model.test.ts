import { chainRecord, serializeChained, type StoredEntry } from '../../../src/security/audit-chain';
import type { AuditRecord } from '../../../src/model/audit';
import { auditTrailView } from '../../../src/report/audit-trail';
import { buildReport } from '../../../src/report/model';
import { auditRecord, decidedAtIndex, rolledBackHistory, t, WORKFLOW_ID } from './fixture';

/** The records as a JSONL trail stores them, hash-chained, with another guardian's record in between. */
function trailOf(records: AuditRecord[]): StoredEntry[] {
  const other = auditRecord(
    0,
    t(1),
    'admitted',
    'guarding payments 3.1.0',
    { version: '3.1.0', mode: 'auto', superseded: [] },
    { id: 'ripcord/production/payments/p-9#0', workflowId: 'ripcord/production/payments/p-9' },
  );
  const all = [records[0]!, other, ...records.slice(1)];
  const entries: StoredEntry[] = [];
  let previous: { seq: number; hash: string } | undefined;
  for (const record of all) {
    const chained = chainRecord(record, previous);
    previous = chained;
    entries.push({ where: `line ${entries.length + 1}`, text: serializeChained(chained) });
  }
  return entries;
}

test('a rolled-back deployment: outcome, decision, breach, plan and steps, each with its time', async () => {
  const { history } = await rolledBackHistory();
  const report = buildReport({ history });

  expect(report).toMatchObject({
    workflowId: WORKFLOW_ID,
    state: 'closed',
    outcome: 'rolled-back',
    closedAt: t(decidedAtIndex + 6.5),
    decision: { decision: 'rollback', source: 'automatic', decidedAtIndex, at: t(decidedAtIndex + 1.2) },
    recomputed: { decision: 'rollback', decidedAtIndex, agrees: true },
  });
  // The same core on the same readings: one verdict per watched interval, the last one the decision's.
  expect(report.verdicts).toHaveLength(decidedAtIndex + 1);
  expect(report.decision!.evidence.map((s) => s.signal)).toEqual(['error-rate', 'latency-p99']);
  const breach = report.firstBreach!;
  expect(breach.signals).toEqual(['error-rate']);
  expect(report.verdicts[breach.index]!.verdict).toBe('regressed');
  expect(report.verdicts.slice(0, breach.index).every((v) => v.verdict !== 'regressed')).toBe(true);
  expect(breach.at).toBe(t(breach.index + 1));

  expect(report.readings.filter((r) => r.phase === 'after-decision').map((r) => r.index)).toEqual([
    decidedAtIndex + 1,
  ]);
  expect(report.plan!.steps).toEqual([
    expect.objectContaining({
      index: 0,
      name: 'drain-canary',
      type: 'shift-traffic',
      state: 'done',
      startedAt: t(decidedAtIndex + 2),
      finishedAt: t(decidedAtIndex + 3),
      attempts: 2,
      applied: true,
      detail: 'canary weight 0%',
    }),
    expect.objectContaining({ index: 1, name: 'announce', state: 'done', detail: 'POST recorded' }),
  ]);

  const kinds = report.timeline.map((e) => e.kind);
  expect(kinds[0]).toBe('deploy');
  expect(kinds.at(-1)).toBe('outcome');
  expect(kinds).toEqual(expect.arrayContaining(['first-breach', 'decision', 'step-started']));
  const times = report.timeline.map((e) => e.at);
  expect([...times].sort()).toEqual(times);
  expect(report.timeline[0]).toMatchObject({
    sinceDeploySeconds: 0,
    text: 'checkout 2.0.0 deployed to production (replacing 1.9.0) by ci-bot',
  });
  // No trail read: said so, and no onset is invented.
  expect(report.onset).toBeUndefined();
  expect(report.notes.join(' ')).toContain('No audit trail was read');
});

test('the onset, when known, is placed on the interval read at or after it', async () => {
  const { history } = await rolledBackHistory();
  const byTime = buildReport({ history, onset: { at: t(12.5), source: 'as given by --onset' } });
  expect(byTime.onset).toEqual({ index: 12, at: t(12.5), source: 'as given by --onset' });
  const byIndex = buildReport({ history, onset: { index: 13, source: 'scenario' } });
  expect(byIndex.onset).toEqual({ index: 13, at: t(14), source: 'scenario' });
  expect(byIndex.timeline.find((e) => e.kind === 'onset')?.text).toBe(
    'the regression began (interval 13; scenario)',
  );
});

test("the audit trail: each record's seq and hash, the chain verified, records it lacks named", async () => {
  const { history, records } = await rolledBackHistory();
  const trail = auditTrailView('audit.jsonl', trailOf(records), WORKFLOW_ID);
  expect(trail).toMatchObject({ verified: true, count: records.length + 1 });
  const report = buildReport({ history, trail });
  expect(report.audit.records.map((r) => r.seq)).toEqual([0, ...records.slice(1).map((_, i) => i + 2)]);
  expect(report.audit.records.every((r) => /^sha256:[0-9a-f]{64}$/.test(r.hash ?? ''))).toBe(true);
  expect(report.audit.missingFromTrail).toEqual([]);

  const short = auditTrailView('audit.jsonl', trailOf(records.slice(0, -1)), WORKFLOW_ID);
  const cut = buildReport({ history, trail: short });
  expect(cut.audit.missingFromTrail).toEqual([records.at(-1)!.id]);
  expect(cut.notes.join(' ')).toContain(
    "1 audit record(s) in the guardian's history are not in the audit trail",
  );

  const entries = trailOf(records);
  entries[3] = { ...entries[3]!, text: entries[3]!.text.replace('risk normal', 'risk low') };
  const edited = auditTrailView('audit.jsonl', entries, WORKFLOW_ID);
  expect(edited.verified).toBe(false);
  expect(edited.problem).toContain('line 4');
});

test('a recorded decision the core no longer reaches is kept, and the difference is said', async () => {
  const { history } = await rolledBackHistory();
  const end = history.runs[0]!.end!;
  if (end.kind !== 'completed') throw new Error('fixture');
  end.result.decision = { ...end.result.decision!, decidedAtIndex: decidedAtIndex - 3 };
  const report = buildReport({ history });
  expect(report.decision!.decidedAtIndex).toBe(decidedAtIndex - 3);
  expect(report.recomputed).toEqual({ decision: 'rollback', decidedAtIndex, agrees: false });
  expect(report.notes.join(' ')).toContain('the recorded decision is what happened');
});

test('a failed step that was undone, and approvals from the records', async () => {
  const { history } = await rolledBackHistory();
  const calls = history.runs[0]!.calls;
  const second = calls.filter((c) => c.type === 'executeStep')[1]!;
  Object.assign(second, { state: 'failed', failure: 'PermanentStepError: 503 from the deploy system' });
  delete second.result;
  calls.push({
    type: 'compensateStep',
    scheduledAt: t(40),
    closedAt: t(41),
    state: 'completed',
    input: second.input,
    result: { compensated: true, detail: 'nothing to undo' },
  });
  calls.push({
    type: 'recordAudit',
    scheduledAt: t(22),
    state: 'completed',
    input: auditRecord(
      20,
      t(22),
      'approval',
      'approved plan sha256:p',
      {
        verdict: 'approved',
        subject: 'alice',
        role: 'sre',
        planHash: 'sha256:p',
        reason: 'error budget burning',
      },
      { actor: 'alice' },
    ),
  });
  history.runs[0]!.end = undefined;
  const report = buildReport({ history });
  expect(report.state).toBe('running');
  expect(report.plan!.steps[1]).toMatchObject({
    state: 'failed',
    detail: 'PermanentStepError: 503 from the deploy system; undone: nothing to undo',
    compensatedAt: t(41),
  });
  expect(report.approvals).toEqual([
    { subject: 'alice', role: 'sre', at: t(22), verdict: 'approved', reason: 'error budget burning' },
  ]);
  expect(report.timeline.find((e) => e.text.startsWith('approved plan'))?.text).toBe(
    'approved plan sha256:p (alice)',
  );
});

test('a healthy guardian still watching: no decision, no plan, the live phase shown', async () => {
  const { history } = await rolledBackHistory();
  const run = history.runs[0]!;
  run.calls = run.calls.filter(
    (c) => c.type === 'evaluateHealth' && (c.input as { index: number }).index < 10,
  );
  delete run.end;
  const report = buildReport({
    history,
    live: {
      workflowId: WORKFLOW_ID,
      deploymentId: 'build-481',
      service: 'checkout',
      environment: 'production',
      version: '2.0.0',
      policyHash: 'sha256:x',
      mode: 'auto',
      phase: 'watch',
      paused: false,
      evaluations: 10,
      signals: [],
      approvals: [],
      waiting: { for: 'the next evaluation (every 30 s)' },
      continuedAsNew: 0,
    },
  });
  expect(report).toMatchObject({
    state: 'running',
    phase: 'watch',
    waiting: 'the next evaluation (every 30 s)',
  });
  expect(report.decision).toBeUndefined();
  expect(report.plan).toBeUndefined();
  expect(report.recomputed).toEqual({ decision: 'none', decidedAtIndex: null, agrees: true });
  expect(report.verdicts).toHaveLength(10);
});
