import type { AuditDetailsByKind, AuditKind, AuditRecord, DecisionDetails } from '../../../src/model/audit';
import type { NotifyInput } from '../../../src/model/activity-contract';
import type { StepInput } from '../../../src/model/plan';
import type { GuardianActivities } from '../../../src/activities';
import { instrumentActivities, RipcordMetrics, serveMetrics } from '../../../src/worker/metrics';
import type { DeploymentInfo } from '../../../src/model/guardian';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const deployment: DeploymentInfo = {
  deploymentId: 'd-1',
  service: 'checkout',
  environment: 'production',
  version: '2.0.0',
  previousVersion: '1.9.0',
  deployedAt: '2026-01-01T11:58:00Z', // 120 s before NOW
};
const where = { service: 'checkout', environment: 'production' };

function audit<K extends AuditKind>(kind: K, summary: string, details: AuditDetailsByKind[K]): AuditRecord {
  return {
    id: `ripcord/production/checkout/d-1#${summary.length}`,
    at: '2026-01-01T12:00:00Z',
    workflowId: 'ripcord/production/checkout/d-1',
    deploymentId: 'd-1',
    ...where,
    policyHash: 'sha256:p',
    kind,
    actor: 'ripcord',
    summary,
    details,
  } as AuditRecord;
}

const decided = (decision: 'rollback' | 'escalate', reason: string): DecisionDetails => ({
  decision,
  source: 'automatic',
  cause: decision === 'rollback' ? 'regression' : 'no-data',
  reason,
  decidedAtIndex: 4,
  evidence: [],
});
const rolledBack = { outcome: 'rolled-back', reason: 'recovered' } as const;

/** One record of every kind metrics count, as the guardian writes them. */
function storyRecords(): AuditRecord[] {
  return [
    audit('decision', 'rollback: errors regressed', decided('rollback', 'errors regressed')),
    audit('decision', 'escalate: too much data missing', decided('escalate', 'too much data missing')),
    audit('action', 'manual rollback requested', { action: 'rollbackNow', manual: true, role: 'sre' }),
    audit('action', 'watch paused', { action: 'pause', manual: true, role: 'sre' }),
    audit('recovery', 'errors still above 1%', { recovered: false, detail: 'errors still above 1%' }),
    audit('outcome', 'rolled-back: rolled back to 1.9.0; recovered', rolledBack),
    audit('outcome', 'promoted: the watch ended without a regression', {
      outcome: 'promoted',
      reason: 'watch-ended-healthy',
    }),
    audit('outcome', 'promoted: observe mode: would have rolled back (x); no action taken', {
      outcome: 'promoted',
      reason: 'would-have-rolled-back',
      mode: 'observe',
    }),
  ];
}

function notifyInput(event: NotifyInput['event']): NotifyInput {
  return {
    event,
    workflowId: 'ripcord/production/checkout/d-1',
    deployment,
    notifications: [],
    message: 'm',
  };
}

/** The value of one series, or undefined when the registry does not have it. */
async function valueOf(
  metrics: RipcordMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const found = values.find(
    (v) =>
      Object.keys(labels).length === Object.keys(v.labels).length &&
      Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return found?.value;
}

describe('RipcordMetrics', () => {
  const quiet = { processMetrics: false, now: () => NOW };

  test('decisions by verdict, outcomes, rollbacks that succeeded or did not recover, from audit records', async () => {
    const metrics = new RipcordMetrics(quiet);
    for (const record of storyRecords()) metrics.observeAudit(record);

    expect(
      await valueOf(metrics, 'ripcord_decisions_total', {
        decision: 'rollback',
        source: 'automatic',
        ...where,
      }),
    ).toBe(1);
    expect(
      await valueOf(metrics, 'ripcord_decisions_total', {
        decision: 'escalate',
        source: 'automatic',
        ...where,
      }),
    ).toBe(1);
    expect(
      await valueOf(metrics, 'ripcord_decisions_total', { decision: 'rollback', source: 'manual', ...where }),
    ).toBe(1);
    expect(
      await valueOf(metrics, 'ripcord_decisions_total', {
        decision: 'no-rollback',
        source: 'automatic',
        ...where,
      }),
    ).toBe(1);
    expect(await valueOf(metrics, 'ripcord_guardian_outcomes_total', { outcome: 'promoted', ...where })).toBe(
      2,
    );
    expect(
      await valueOf(metrics, 'ripcord_guardian_outcomes_total', { outcome: 'rolled-back', ...where }),
    ).toBe(1);
    expect(await valueOf(metrics, 'ripcord_rollbacks_succeeded_total', where)).toBe(1);
    expect(
      await valueOf(metrics, 'ripcord_rollbacks_failed_total', { reason: 'not-recovered', ...where }),
    ).toBe(1);
  });

  test('the counts come from kinds and details: every summary reworded, the same metrics', async () => {
    const asWritten = new RipcordMetrics(quiet);
    for (const record of storyRecords()) asWritten.observeAudit(record);
    const reworded = new RipcordMetrics(quiet);
    for (const record of storyRecords())
      reworded.observeAudit({ ...record, summary: `Something else entirely, for people (${record.kind})` });

    expect(await reworded.metrics()).toBe(await asWritten.metrics());
    for (const [decision, source] of [
      ['rollback', 'automatic'],
      ['escalate', 'automatic'],
      ['rollback', 'manual'],
      ['no-rollback', 'automatic'],
    ] as const)
      expect(await valueOf(reworded, 'ripcord_decisions_total', { decision, source, ...where })).toBe(1);
    expect(
      await valueOf(reworded, 'ripcord_guardian_outcomes_total', { outcome: 'promoted', ...where }),
    ).toBe(2);
    expect(await valueOf(reworded, 'ripcord_rollbacks_succeeded_total', where)).toBe(1);
  });

  test('a promotion counts as a no-rollback decision only when the watch ended healthy', async () => {
    const metrics = new RipcordMetrics(quiet);
    // Words that once meant "the watch ended clean", on a promotion that did not come from it.
    metrics.observeAudit(
      audit('outcome', 'promoted: the watch ended without a regression (observe mode)', {
        outcome: 'promoted',
        reason: 'would-have-rolled-back',
        mode: 'observe',
      }),
    );
    expect(
      await valueOf(metrics, 'ripcord_decisions_total', {
        decision: 'no-rollback',
        source: 'automatic',
        ...where,
      }),
    ).toBeUndefined();
    expect(await valueOf(metrics, 'ripcord_guardian_outcomes_total', { outcome: 'promoted', ...where })).toBe(
      1,
    );
  });

  test('rollbacks started and failed, detection delay and time to recovery, from the events the guardian announces', async () => {
    const metrics = new RipcordMetrics(quiet);
    metrics.observeNotify(notifyInput('rollback-decided'));
    metrics.observeNotify(notifyInput('rollback-started'));
    metrics.observeNotify(notifyInput('rollback-failed'));
    metrics.observeNotify(notifyInput('rollback-completed'));
    metrics.observeNotify(notifyInput('promoted'));

    expect(await valueOf(metrics, 'ripcord_rollbacks_started_total', where)).toBe(1);
    expect(
      await valueOf(metrics, 'ripcord_rollbacks_failed_total', { reason: 'step-failed', ...where }),
    ).toBe(1);
    // Deployed 120 s before the decision: in the le=120 bucket, not in le=60.
    expect(await valueOf(metrics, 'ripcord_detection_delay_seconds', { le: '120', ...where })).toBe(1);
    expect(await valueOf(metrics, 'ripcord_detection_delay_seconds', { le: '60', ...where })).toBe(0);
    const text = await metrics.metrics();
    expect(text).toContain(
      'ripcord_detection_delay_seconds_sum{service="checkout",environment="production"} 120',
    );
    expect(text).toContain(
      'ripcord_time_to_recovery_seconds_count{service="checkout",environment="production"} 1',
    );
  });

  test('a guardian admitted puts the series of its service at 0, so the first rollback shows in increase()', async () => {
    const metrics = new RipcordMetrics(quiet);
    metrics.observeAudit(
      audit('admitted', 'guarding checkout 2.0.0 (mode auto)', {
        version: '2.0.0',
        mode: 'auto',
        superseded: [],
      }),
    );
    expect(await valueOf(metrics, 'ripcord_rollbacks_started_total', where)).toBe(0);
    expect(
      await valueOf(metrics, 'ripcord_rollbacks_failed_total', { reason: 'not-recovered', ...where }),
    ).toBe(0);
    expect(
      await valueOf(metrics, 'ripcord_decisions_total', {
        decision: 'no-rollback',
        source: 'automatic',
        ...where,
      }),
    ).toBe(0);
    expect(await metrics.metrics()).toContain(
      'ripcord_time_to_recovery_seconds_count{service="checkout",environment="production"} 0',
    );
  });

  test('a retried activity (same run, same activity id) counts once', async () => {
    const metrics = new RipcordMetrics(quiet);
    metrics.observeNotify(notifyInput('rollback-started'), 'run-1/7');
    metrics.observeNotify(notifyInput('rollback-started'), 'run-1/7');
    metrics.observeAudit(audit('outcome', 'rolled-back: ok', rolledBack), 'run-1/9');
    metrics.observeAudit(audit('outcome', 'rolled-back: ok', rolledBack), 'run-1/9');
    metrics.observeNotify(notifyInput('rollback-started'), 'run-2/7');
    expect(await valueOf(metrics, 'ripcord_rollbacks_started_total', where)).toBe(2);
    expect(await valueOf(metrics, 'ripcord_rollbacks_succeeded_total', where)).toBe(1);
  });

  test('notification deliveries by receiver type, event and result', async () => {
    const metrics = new RipcordMetrics(quiet);
    metrics.observeDelivery({ receiverType: 'slack', event: 'escalated', delivered: true, attempts: 1 });
    metrics.observeDelivery({ receiverType: 'webhook', event: 'escalated', delivered: false, attempts: 3 });
    expect(
      await valueOf(metrics, 'ripcord_notifications_total', {
        receiver_type: 'webhook',
        event: 'escalated',
        result: 'failed',
      }),
    ).toBe(1);
    expect(
      await valueOf(metrics, 'ripcord_notifications_total', {
        receiver_type: 'slack',
        event: 'escalated',
        result: 'delivered',
      }),
    ).toBe(1);
  });

  test('running guardians by phase and approvals waiting come from visibility, for this task queue', async () => {
    const queries: string[] = [];
    const metrics = new RipcordMetrics({
      ...quiet,
      taskQueue: 'ripcord',
      countGuardians: async (query) => {
        queries.push(query);
        if (query.includes('RipcordPhase = "watch"')) return 4;
        if (query.includes('RipcordPhase = "gate"')) return 2;
        return 0;
      },
    });
    expect(await valueOf(metrics, 'ripcord_guardians', { phase: 'watch' })).toBe(4);
    expect(await valueOf(metrics, 'ripcord_guardians', { phase: 'execute' })).toBe(0);
    expect(await valueOf(metrics, 'ripcord_approvals_waiting')).toBe(2);
    expect(await valueOf(metrics, 'ripcord_visibility_up')).toBe(1);
    expect(queries).toContain(
      'WorkflowType = "guardian" AND ExecutionStatus = "Running" AND TaskQueue = "ripcord" AND RipcordPhase = "gate"',
    );
    // One visibility read serves the scrapes close together (nine queries, one per phase).
    expect(queries).toHaveLength(9);
  });

  test('visibility down or hanging: the gauges go empty, visibility_up says 0, the scrape still answers', async () => {
    for (const countGuardians of [
      async () => {
        throw new Error('UNAVAILABLE');
      },
      () => new Promise<number>(() => undefined),
    ]) {
      const metrics = new RipcordMetrics({ ...quiet, countGuardians, visibilityTimeoutMs: 50 });
      const text = await metrics.metrics();
      expect(text).toContain('ripcord_visibility_up 0');
      expect(text).not.toMatch(/^ripcord_guardians\{/m);
      // Unknown, not 0 (prom-client writes NaN as "Nan"; Prometheus reads either).
      expect(text).toMatch(/^ripcord_approvals_waiting nan$/im);
    }
  });
});

describe('instrumentActivities', () => {
  const step: StepInput = {
    deployment,
    planHash: 'sha256:p',
    step: {
      index: 0,
      name: 'drain-canary',
      idempotencyKey: 'k',
      action: { type: 'shift-traffic', weights: [0], pauseSeconds: 0 },
      timeoutSeconds: 60,
      retries: { maxAttempts: 3, initialSeconds: 1, multiplier: 2, maxSeconds: 10 },
      verify: { targetState: true, signals: [], settleSeconds: 0, timeoutSeconds: 60 },
      irreversible: false,
    },
  };

  test('counts failed step attempts, passes everything through unchanged', async () => {
    const metrics = new RipcordMetrics({ processMetrics: false, now: () => NOW });
    const calls: string[] = [];
    let failures = 2;
    const activities = {
      recordAudit: async () => void calls.push('audit'),
      notify: async () => void calls.push('notify'),
      executeStep: async () => {
        if (failures-- > 0) throw new Error('nginx -t failed');
        return { applied: true, verified: 'canary weight 0%' };
      },
    } as unknown as GuardianActivities;
    const wrapped = instrumentActivities(activities, metrics);

    await expect(wrapped.executeStep(step)).rejects.toThrow('nginx -t failed');
    await expect(wrapped.executeStep(step)).rejects.toThrow('nginx -t failed');
    await expect(wrapped.executeStep(step)).resolves.toEqual({ applied: true, verified: 'canary weight 0%' });
    await wrapped.notify(notifyInput('rollback-started'));
    await wrapped.recordAudit(audit('outcome', 'rolled-back: ok', rolledBack));

    expect(calls).toEqual(['notify', 'audit']);
    expect(
      await valueOf(metrics, 'ripcord_rollback_step_attempts_failed_total', {
        step_type: 'shift-traffic',
        ...where,
      }),
    ).toBe(2);
    expect(await valueOf(metrics, 'ripcord_rollbacks_started_total', where)).toBe(1);
    expect(await valueOf(metrics, 'ripcord_rollbacks_succeeded_total', where)).toBe(1);
  });

  test('an audit record that failed to store is not counted', async () => {
    const metrics = new RipcordMetrics({ processMetrics: false });
    const activities = {
      recordAudit: async () => {
        throw new Error('database down');
      },
    } as unknown as GuardianActivities;
    await expect(
      instrumentActivities(activities, metrics).recordAudit(audit('outcome', 'rolled-back: ok', rolledBack)),
    ).rejects.toThrow('database down');
    expect(await valueOf(metrics, 'ripcord_rollbacks_succeeded_total', where)).toBeUndefined();
  });
});

test('serveMetrics answers GET /metrics in the Prometheus text format, and nothing else', async () => {
  const metrics = new RipcordMetrics();
  metrics.observeNotify(notifyInput('rollback-started'));
  const server = await serveMetrics(metrics, { port: 0, host: '127.0.0.1' });
  try {
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('ripcord_rollbacks_started_total{service="checkout",environment="production"} 1');
    expect(text).toContain('ripcord_process_cpu_seconds_total');
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  } finally {
    await server.close();
  }
});
