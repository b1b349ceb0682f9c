import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { AuditRecord } from '../../src/model/audit';
import { approveUpdate, statusQuery } from '../../src/workflows/messages';
import { bundleWorkflows, createTimeSkippingEnv } from '../harness/temporal';
import { FakeWorld, healthy, regression, transient } from './support/fake-activities';
import { advanceUntil, canaryPolicy, guardianInput, startGuardian, withWorld } from './support/guardian-env';

/**
 * Every record the guardian writes carries its kind's typed details (what
 * readers use: metrics, the report), filled in by the workflow itself: the
 * compiler checks their shape, these paths check their values.
 */
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

jest.setTimeout(60_000);
jest.retryTimes(2, { logErrorsBeforeRetry: true });

beforeAll(async () => {
  bundle = await bundleWorkflows();
});
beforeEach(async () => {
  env = await createTimeSkippingEnv();
});
afterEach(async () => {
  await env?.teardown();
});

const ofKind = <K extends AuditRecord['kind']>(records: AuditRecord[], kind: K) =>
  records.filter((r): r is Extract<AuditRecord, { kind: K }> => r.kind === kind);

test('a confirmed regression rolled back: decision, plan, steps, recovery and outcome in fields', async () => {
  const world = new FakeWorld({ health: regression(10) });
  const input = guardianInput(canaryPolicy());
  const result = await withWorld(env, bundle, world, async () => (await startGuardian(env, input)).result());
  expect(result.outcome).toBe('rolled-back');

  expect(ofKind(world.audit, 'admitted')[0]!.details).toEqual({
    version: input.deployment.version,
    mode: input.policy.mode,
    superseded: [],
  });
  const [decision] = ofKind(world.audit, 'decision');
  expect(decision!.details).toMatchObject({
    decision: 'rollback',
    source: 'automatic',
    cause: 'regression',
    signal: 'error-rate',
    decidedAtIndex: result.decision!.decidedAtIndex,
    reason: result.decision!.reason,
  });
  expect(decision!.details.evidence.map((s) => s.signal)).toContain('error-rate');
  expect(ofKind(world.audit, 'plan')[0]!.details).toMatchObject({
    trigger: 'automatic',
    risk: 'normal',
    steps: 2,
  });
  expect(ofKind(world.audit, 'step').map((r) => r.details)).toEqual([
    expect.objectContaining({ index: 0, name: 'drain-canary', type: 'shift-traffic', state: 'done' }),
    expect.objectContaining({ index: 1, name: 'announce', state: 'done' }),
  ]);
  expect(ofKind(world.audit, 'recovery')[0]!.details).toMatchObject({ recovered: true });
  expect(ofKind(world.audit, 'outcome')[0]!.details).toEqual({ outcome: 'rolled-back', reason: 'recovered' });
});

test('a healthy watch promotes with its reason code', async () => {
  const world = new FakeWorld({ health: healthy });
  const policy = canaryPolicy();
  const input = guardianInput(policy, { watchSeconds: 12 * policy.evaluation.intervalSeconds });
  const result = await withWorld(env, bundle, world, async () => (await startGuardian(env, input)).result());
  expect(result.outcome).toBe('promoted');
  expect(ofKind(world.audit, 'outcome')[0]!.details).toEqual({
    outcome: 'promoted',
    reason: 'watch-ended-healthy',
  });
});

test('a step that fails for good: the failure, the undo and the escalation in fields', async () => {
  const world = new FakeWorld({ health: regression(5), failStep: 1 });
  const result = await withWorld(env, bundle, world, async () =>
    (await startGuardian(env, guardianInput(canaryPolicy()))).result(),
  );
  expect(result.outcome).toBe('escalated');
  expect(ofKind(world.audit, 'step').map((r) => [r.details.index, r.details.state])).toEqual([
    [0, 'done'],
    [1, 'failed'],
  ]);
  expect(ofKind(world.audit, 'compensation').map((r) => [r.details.index, r.details.undone])).toEqual([
    [1, true],
    [0, true],
  ]);
  expect(ofKind(world.audit, 'outcome')[0]!.details).toEqual({
    outcome: 'escalated',
    reason: 'step-failed',
    compensated: true,
  });
});

test("high risk: a refusal's code and an approval's verdict, subject and plan in fields", async () => {
  const world = new FakeWorld({ health: regression(5), risk: 'high' });
  const policy = canaryPolicy((raw) => {
    raw.risk = { highRiskWhen: [{ when: 'always' }] };
    raw.approval = { roles: ['sre'], quorum: 1, timeoutSeconds: 1800, onTimeout: 'escalate' };
    raw.trustedKeys = { ...(raw.trustedKeys as object), approvals: ['oncall-2026'] };
  });
  let planHash = '';
  const result = await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, guardianInput(policy));
    planHash = (await advanceUntil(env, handle, (s) => s.phase === 'gate')).plan!.planHash;
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'dana', role: 'sre', planHash }] });
    await handle.executeUpdate(approveUpdate, {
      args: [{ actor: 'sam', role: 'sre', planHash, reason: 'go' }],
    });
    return handle.result();
  });
  expect(result.outcome).toBe('rolled-back');
  expect(ofKind(world.audit, 'action-denied').map((r) => r.details)).toEqual([
    expect.objectContaining({ code: 'not-authorized', action: 'approve', role: 'sre' }),
  ]);
  expect(ofKind(world.audit, 'approval').map((r) => r.details)).toEqual([
    { verdict: 'approved', subject: 'sam', role: 'sre', planHash, reason: 'go' },
  ]);
});

test('a dismissed breach is counted in the status, for readers that must not parse its reason', async () => {
  const world = new FakeWorld({ health: transient(12, 2) });
  const status = await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, guardianInput(canaryPolicy()));
    expect((await handle.result()).outcome).toBe('promoted');
    return handle.query(statusQuery);
  });
  expect(status.signals.find((s) => s.signal === 'error-rate')?.dismissedBreaches).toBe(1);
});
