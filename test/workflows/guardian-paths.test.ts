import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import {
  abortUpdate,
  approveUpdate,
  rejectUpdate,
  rollbackNowUpdate,
  statusQuery,
  supersedeSignal,
} from '../../src/workflows/messages';
import { bundleWorkflows, createTimeSkippingEnv } from '../harness/temporal';
import { FakeWorld, healthy, regression, transient } from './support/fake-activities';
import { advanceUntil, canaryPolicy, guardianInput, startGuardian, withWorld } from './support/guardian-env';
import { resultAndRecord } from './support/histories';

/**
 * Every path of the guardian on the time-skipping server, with in-memory
 * activities that record their effects (docs/architecture.md §7). Each test asserts what an
 * operator would check: the outcome, the steps applied or undone, the audit trail.
 */
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

// Paths used to hang now and then on the time-skipping test server, a different one each
// time: a message that ends a timed wait landed about a second before the timer fired, and
// the test server refuses the resulting CancelTimer and stalls the run (see advanceUntil in
// support/guardian-env.ts, which now leaves a wide margin). The retries stay as a guard
// against a cause not yet seen; every retry is logged, so one that happens is not hidden.
jest.setTimeout(60_000);
jest.retryTimes(2, { logErrorsBeforeRetry: true });

// The bundle is built once per file; each test gets its own time-skipping server, so
// that nothing one test leaves behind (a timer, an activity, a skipping lock) can
// stall the clock of the next.
beforeAll(async () => {
  bundle = await bundleWorkflows();
});
beforeEach(async () => {
  env = await createTimeSkippingEnv();
});
afterEach(async () => {
  await env?.teardown();
});

const highRiskPolicy = (onTimeout: 'rollback' | 'hold' | 'escalate' = 'escalate') =>
  canaryPolicy((raw) => {
    raw.risk = { highRiskWhen: [{ when: 'always' }] };
    raw.approval = { roles: ['sre'], quorum: 1, timeoutSeconds: 1800, onTimeout };
    raw.trustedKeys = { ...(raw.trustedKeys as object), approvals: ['oncall-2026'] };
  });

test('healthy canary: watched for over an hour of skipped time and promoted, nothing rolled back', async () => {
  const world = new FakeWorld({ health: healthy });
  const policy = canaryPolicy();
  const input = guardianInput(policy, { watchSeconds: 130 * policy.evaluation.intervalSeconds });
  const before = await env.currentTimeMs();
  const result = await withWorld(env, bundle, world, async () =>
    resultAndRecord(await startGuardian(env, input)),
  );
  expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(3600 * 1000);
  expect(result.outcome).toBe('promoted');
  expect(result.evaluations).toBe(130);
  expect(world.plans).toBe(0);
  expect(world.applied).toEqual([]);
  expect(world.audit.map((r) => r.kind)).toEqual(['admitted', 'outcome']);
});

test('a transient spike of two intervals does not roll back', async () => {
  const world = new FakeWorld({ health: transient(12, 2) });
  const result = await withWorld(env, bundle, world, async () =>
    resultAndRecord(await startGuardian(env, guardianInput(canaryPolicy()))),
  );
  expect(result.outcome).toBe('promoted');
  expect(world.applied).toEqual([]);
});

test('a confirmed regression rolls back, step by step, and recovery is verified', async () => {
  // Slow audit records: the guardian overlaps them with the plan and the lock, never with a step.
  const world = new FakeWorld({ health: regression(10), slowAudit: { kind: 'plan', ms: 500 } });
  const input = guardianInput(canaryPolicy());
  const result = await withWorld(env, bundle, world, async () =>
    resultAndRecord(await startGuardian(env, input)),
  );
  expect(result.outcome).toBe('rolled-back');
  expect(result.decision).toMatchObject({ decision: 'rollback', source: 'automatic', signal: 'error-rate' });
  expect(result.decision!.decidedAtIndex).toBeGreaterThanOrEqual(10);
  expect(world.applied).toEqual([`${input.deployment.deploymentId}/0`, `${input.deployment.deploymentId}/1`]);
  expect(world.compensated).toEqual([]);
  expect(world.audit.map((r) => r.kind)).toEqual([
    'admitted',
    'decision',
    'plan',
    'step',
    'step',
    'recovery',
    'outcome',
  ]);
  // The decision and the plan are written while the plan is built and the lock taken, but in before any step.
  expect(world.auditBeforeFirstStep).toEqual(['admitted', 'decision', 'plan']);
  // Every record after the plan names the plan it belongs to.
  expect(new Set(world.audit.slice(2).map((r) => r.planHash))).toEqual(new Set([result.planHash]));
  expect(world.notifications.map((n) => n.event)).toEqual(
    expect.arrayContaining(['rollback-decided', 'rollback-started', 'rollback-completed']),
  );
});

test('high risk: a signed-off approval lets the rollback proceed; the deployer cannot approve', async () => {
  const world = new FakeWorld({ health: regression(5), risk: 'high' });
  const input = guardianInput(highRiskPolicy());
  const result = await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, input);
    const status = await advanceUntil(env, handle, (s) => s.phase === 'gate');
    const planHash = status.plan!.planHash;
    const self = await handle.executeUpdate(approveUpdate, {
      args: [{ actor: 'dana', role: 'sre', planHash }],
    });
    expect(self).toMatchObject({ accepted: false, message: 'the deployer may not approve' });
    const wrongPlan = await handle.executeUpdate(approveUpdate, {
      args: [{ actor: 'sam', role: 'sre', planHash: `sha256:${'f'.repeat(64)}` }],
    });
    expect(wrongPlan.accepted).toBe(false);
    const ok = await handle.executeUpdate(approveUpdate, { args: [{ actor: 'sam', role: 'sre', planHash }] });
    expect(ok.accepted).toBe(true);
    return resultAndRecord(handle);
  });
  expect(result.outcome).toBe('rolled-back');
  expect(world.audit.filter((r) => r.kind === 'action-denied')).toHaveLength(2);
  expect(world.audit.find((r) => r.kind === 'approval')).toMatchObject({ actor: 'sam' });
});

test('high risk: a rejection stops the rollback before any step', async () => {
  const world = new FakeWorld({ health: regression(5), risk: 'high' });
  const result = await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, guardianInput(highRiskPolicy()));
    const status = await advanceUntil(env, handle, (s) => s.phase === 'gate');
    await handle.executeUpdate(rejectUpdate, {
      args: [{ actor: 'sam', role: 'sre', planHash: status.plan!.planHash }],
    });
    return resultAndRecord(handle);
  });
  expect(result.outcome).toBe('aborted');
  expect(result.reason).toMatch(/rejected by sam/);
  expect(world.applied).toEqual([]);
});

test.each([
  ['escalate', 'escalated', 0],
  ['rollback', 'rolled-back', 2],
] as const)('high risk: approval timeout with onTimeout=%s ends %s', async (onTimeout, outcome, steps) => {
  const world = new FakeWorld({ health: regression(5), risk: 'high' });
  const result = await withWorld(env, bundle, world, async () =>
    resultAndRecord(await startGuardian(env, guardianInput(highRiskPolicy(onTimeout)))),
  );
  expect(result.outcome).toBe(outcome);
  expect(world.applied).toHaveLength(steps);
});

test('an approval counts only for the plan it approved: a new plan starts with none', async () => {
  const world = new FakeWorld({ health: regression(5), risk: 'high' });
  const policy = canaryPolicy((raw) => {
    raw.risk = { highRiskWhen: [{ when: 'always' }] };
    raw.approval = { roles: ['sre'], quorum: 2, timeoutSeconds: 600, onTimeout: 'escalate' };
    raw.trustedKeys = { ...(raw.trustedKeys as object), approvals: ['oncall-2026'] };
  });
  await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, guardianInput(policy));
    const planA = (await advanceUntil(env, handle, (s) => s.phase === 'gate')).plan!.planHash;
    const alice = await handle.executeUpdate(approveUpdate, {
      args: [{ actor: 'alice', role: 'sre', planHash: planA }],
    });
    expect(alice.accepted).toBe(true);
    // Nobody else approves in time: the gate escalates, and a person orders the rollback by hand.
    await advanceUntil(env, handle, (s) => s.phase === 'escalated');
    await handle.executeUpdate(rollbackNowUpdate, { args: [{ actor: 'sam', role: 'sre' }] });
    const atGate = await advanceUntil(env, handle, (s) => s.phase === 'gate' && s.plan?.planHash !== planA);
    const planB = atGate.plan!.planHash;
    expect(atGate.approvals).toEqual([]);
    const carol = await handle.executeUpdate(approveUpdate, {
      args: [{ actor: 'carol', role: 'sre', planHash: planB }],
    });
    expect(carol).toMatchObject({ accepted: true, message: 'approval 1 of 2 recorded' });
    const status = await handle.query(statusQuery);
    expect(status.phase).toBe('gate');
    expect(status.approvals).toEqual([expect.objectContaining({ subject: 'carol', planHash: planB })]);
    expect(world.applied).toEqual([]);
    await handle.executeUpdate(abortUpdate, { args: [{ actor: 'sam', role: 'sre' }] });
    expect((await resultAndRecord(handle)).outcome).toBe('aborted');
  });
});

test('a flood of refused requests at the gate continues as new; approvals, deadline and plan carry over', async () => {
  const world = new FakeWorld({ health: regression(5), risk: 'high' });
  const policy = canaryPolicy((raw) => {
    raw.risk = { highRiskWhen: [{ when: 'always' }] };
    raw.approval = { roles: ['sre'], quorum: 2, timeoutSeconds: 1800, onTimeout: 'escalate' };
    raw.trustedKeys = { ...(raw.trustedKeys as object), approvals: ['oncall-2026'] };
  });
  const input = guardianInput(policy, { continueAsNewAtEvents: 150 });
  await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, input);
    const first = await advanceUntil(env, handle, (s) => s.phase === 'gate');
    const planHash = first.plan!.planHash;
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', role: 'sre', planHash }] });
    // Well-formed requests from someone without the role: each one costs history until the gate hands over.
    for (let i = 0; i < 40; i++) {
      const refused = await handle.executeUpdate(abortUpdate, {
        args: [{ actor: `intruder${i}`, role: 'intern' }],
      });
      expect(refused.accepted).toBe(false);
    }
    const status = await advanceUntil(env, handle, (s) => s.continuedAsNew >= 1 && s.phase === 'gate');
    expect(status.approvals).toEqual([expect.objectContaining({ subject: 'alice', planHash })]);
    expect(status.waiting?.until).toBe(first.waiting?.until);
    const described = await handle.describe();
    expect(described.historyLength).toBeLessThan(150);
    const bob = await env.client.workflow
      .getHandle(handle.workflowId)
      .executeUpdate(approveUpdate, { args: [{ actor: 'bob', role: 'sre', planHash }] });
    expect(bob).toMatchObject({ accepted: true, message: 'approval 2 of 2 recorded' });
    expect((await resultAndRecord(handle)).outcome).toBe('rolled-back');
  });
  expect(world.plans).toBe(1);
});

test('a step that fails for good: completed steps are undone in reverse, then escalation', async () => {
  const world = new FakeWorld({ health: regression(5), failStep: 1 });
  const input = guardianInput(canaryPolicy());
  const result = await withWorld(env, bundle, world, async () =>
    resultAndRecord(await startGuardian(env, input)),
  );
  expect(result.outcome).toBe('escalated');
  expect(result.reason).toMatch(
    /step 1 \(announce\) failed: PermanentStepError: target refused step 1; completed steps were undone/,
  );
  expect(world.applied).toEqual([`${input.deployment.deploymentId}/0`]);
  // The failed step is undone first (it may have half-happened), then the completed one.
  expect(world.compensated).toEqual([
    `${input.deployment.deploymentId}/1`,
    `${input.deployment.deploymentId}/0`,
  ]);
  expect(world.notifications.map((n) => n.event)).toContain('rollback-failed');
});

test('abort during the watch closes the guardian without touching production', async () => {
  const world = new FakeWorld({ health: healthy });
  const result = await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, guardianInput(canaryPolicy()));
    await advanceUntil(env, handle, (s) => s.evaluations >= 3);
    const denied = await handle.executeUpdate(abortUpdate, { args: [{ actor: 'eve', role: 'intern' }] });
    expect(denied.accepted).toBe(false);
    const accepted = await handle.executeUpdate(abortUpdate, {
      args: [{ actor: 'sam', role: 'sre', reason: 'bad day' }],
    });
    expect(accepted.accepted).toBe(true);
    return resultAndRecord(handle);
  });
  expect(result).toMatchObject({ outcome: 'aborted', reason: 'aborted by sam' });
  expect(world.applied).toEqual([]);
});

test('abort during the rollback undoes the steps already done', async () => {
  const world = new FakeWorld({ health: regression(5) });
  const input = guardianInput(canaryPolicy());
  const result = await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, input);
    // Step 0 waits out its settle time (30 s) before step 1: abort then.
    await advanceUntil(env, handle, (s) => s.plan?.steps[0]?.state === 'done', 5_000);
    await handle.executeUpdate(abortUpdate, { args: [{ actor: 'sam', role: 'sre' }] });
    return resultAndRecord(handle);
  });
  expect(result.outcome).toBe('aborted');
  expect(result.reason).toMatch(/completed steps were undone/);
  expect(world.applied).toEqual([`${input.deployment.deploymentId}/0`]);
  expect(world.compensated).toEqual([`${input.deployment.deploymentId}/0`]);
});

test('a newer guardian supersedes an older one during its watch', async () => {
  const world = new FakeWorld({ health: healthy, newerGuardians: ['ripcord/production/checkout/next'] });
  const result = await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, guardianInput(canaryPolicy()));
    await advanceUntil(env, handle, (s) => s.evaluations >= 2);
    await handle.signal(supersedeSignal, { by: 'ripcord/production/checkout/next' });
    return resultAndRecord(handle);
  });
  expect(result).toMatchObject({
    outcome: 'aborted',
    reason: 'superseded by ripcord/production/checkout/next',
  });
});

test('a supersede signal that Temporal does not confirm is refused and audited; the watch goes on', async () => {
  // Temporal knows no newer guardian: whoever sent these has only signal rights.
  const world = new FakeWorld({ health: healthy, newerGuardians: [] });
  const result = await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, guardianInput(canaryPolicy()));
    await advanceUntil(env, handle, (s) => s.evaluations >= 2);
    await handle.signal(supersedeSignal, { by: 'nobody' });
    await handle.signal('supersede', { by: 'ripcord/production/checkout/next', extra: 'x'.repeat(1000) });
    const status = await advanceUntil(env, handle, (s) => (s.refusedMessages ?? 0) >= 2);
    expect(status.phase).toMatch(/watch|confirm/);
    return resultAndRecord(handle);
  });
  expect(result.outcome).toBe('promoted');
  const refused = world.audit.filter((r) => r.kind === 'message-refused');
  // The malformed one is refused at once; the other only after Temporal was asked.
  expect(refused.map((r) => [r.details.message, r.details.reason]).sort()).toEqual([
    ['supersede', 'expected exactly the field by, got by, extra'],
    ['supersede', 'nobody: no running guardian nobody'],
  ]);
});

test('outside the automatic rollback window a regression escalates; a person can still roll back', async () => {
  const world = new FakeWorld({ health: regression(5) });
  const policy = canaryPolicy((raw) => {
    raw.rollbackWindow = { automaticSeconds: 120 };
  });
  const input = guardianInput(policy);
  const result = await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, input);
    const status = await advanceUntil(env, handle, (s) => s.phase === 'escalated');
    expect(status.decision).toMatchObject({ decision: 'rollback', source: 'automatic' });
    expect(world.applied).toEqual([]);
    const manual = await handle.executeUpdate(rollbackNowUpdate, { args: [{ actor: 'sam', role: 'sre' }] });
    expect(manual.accepted).toBe(true);
    return resultAndRecord(handle);
  });
  expect(result.outcome).toBe('rolled-back');
  expect(result.decision).toMatchObject({ source: 'manual', reason: 'manual rollback by sam' });
  expect(world.applied).toHaveLength(2);
});

test('continue-as-new mid-watch keeps the evidence, the counts and the audit sequence', async () => {
  const world = new FakeWorld({ health: regression(14) });
  const input = guardianInput(canaryPolicy(), { continueAsNewEvery: 5 });
  const result = await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, input);
    const outcome = await resultAndRecord(handle);
    const status = await env.client.workflow.getHandle(handle.workflowId).query(statusQuery);
    expect(status.continuedAsNew).toBeGreaterThanOrEqual(2);
    return outcome;
  });
  expect(result.outcome).toBe('rolled-back');
  expect(result.decision!.decidedAtIndex).toBeGreaterThanOrEqual(14);
  // Reads are contiguous across runs: no interval skipped or read twice during the watch.
  const watchReads = world.healthReads.slice(0, result.decision!.decidedAtIndex! + 1);
  expect(watchReads).toEqual([...Array(watchReads.length).keys()]);
  const ids = world.audit.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
});

test('malformed operator requests are rejected by the validator, before history', async () => {
  const world = new FakeWorld({ health: healthy });
  await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, guardianInput(canaryPolicy()));
    await advanceUntil(env, handle, (s) => s.phase === 'watch');
    await expect(
      handle.executeUpdate(approveUpdate, { args: [{ actor: 'sam', role: 'sre' }] }),
    ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(
      handle.executeUpdate(abortUpdate, { args: [{ actor: 'x'.repeat(10_000), role: 'sre' }] }),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/actor: at most 128 characters/) } });
    const refusals: Array<[Record<string, unknown>, RegExp]> = [
      [{ actor: 'sam', role: 'sre', padding: 'x'.repeat(100_000) }, /request: unknown field padding/],
      [{ actor: 'sam\n2026-01-01 approval eve', role: 'sre' }, /actor: only letters, digits/],
      [{ actor: 'sam', role: 'sre\u001b[2J' }, /role: only letters, digits/],
      [{ actor: 'sam', role: 'sre', reason: 'line one\nline two' }, /reason: control characters/],
      [
        {
          actor: 'sam',
          role: 'sre',
          reason: 'token eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLXZhbHVl',
        },
        /reason: looks like it contains a signed token/,
      ],
    ];
    for (const [request, message] of refusals) {
      await expect(handle.executeUpdate('abort', { args: [request] })).rejects.toMatchObject({
        cause: { message: expect.stringMatching(message) },
      });
    }
    const history = JSON.stringify(await handle.fetchHistory());
    expect(history).not.toContain('eyJzdWIiOiJib2IifQ');
    expect(history).not.toContain('xxxxxxxxxx');
    await handle.executeUpdate(abortUpdate, { args: [{ actor: 'sam', role: 'sre' }] });
    await resultAndRecord(handle);
  });
  expect(world.audit.filter((r) => r.kind === 'action-denied')).toHaveLength(0);
});

const withStepHealthCheck = () =>
  canaryPolicy((raw) => {
    const plan = raw.plan as { steps: { verify: { signals: string[] } }[] };
    plan.steps[0]!.verify.signals = ['error-rate'];
  });

test('post-step health check: health back after the drain, the rollback goes on', async () => {
  const world = new FakeWorld({ health: regression(5) });
  const result = await withWorld(env, bundle, world, async () =>
    resultAndRecord(await startGuardian(env, guardianInput(withStepHealthCheck()))),
  );
  expect(result.outcome).toBe('rolled-back');
  expect(world.applied).toHaveLength(2);
  const checks = world.audit.flatMap((r) =>
    r.kind === 'step' && r.details.state === 'checked' ? [r.details] : [],
  );
  expect(checks).toEqual([expect.objectContaining({ index: 0, name: 'drain-canary', healthy: true })]);
  expect(checks[0]!.detail).toMatch(/^error-rate: [\d.]+ within 0\.01/);
});

test('post-step health check: health not back, the guardian stops with what is done kept and escalates', async () => {
  const world = new FakeWorld({ health: regression(5), baselineBadAfterDrain: true });
  const result = await withWorld(env, bundle, world, async () =>
    resultAndRecord(await startGuardian(env, guardianInput(withStepHealthCheck()))),
  );
  expect(result.outcome).toBe('escalated');
  expect(result.reason).toMatch(
    /after step 0 \(drain-canary\) health did not return: error-rate: 0\.1 beyond 0\.01/,
  );
  expect(world.applied).toHaveLength(1); // the drain stays: sending traffic back to a broken canary helps nobody
  expect(world.compensated).toEqual([]);
});

test('cancelling the guardian during the rollback undoes the steps already done', async () => {
  const world = new FakeWorld({ health: regression(5) });
  const input = guardianInput(canaryPolicy());
  await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, input);
    await advanceUntil(env, handle, (s) => s.plan?.steps[0]?.state === 'done', 5_000);
    await handle.cancel();
    await expect(handle.result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
  });
  expect(world.applied).toEqual([`${input.deployment.deploymentId}/0`]);
  expect(world.compensated).toEqual([`${input.deployment.deploymentId}/0`]);
});
