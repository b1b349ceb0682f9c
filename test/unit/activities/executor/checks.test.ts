import {
  type Caller,
  checkStep,
  type ExecutorCheckDeps,
  StepRefusedError,
} from '../../../../src/activities/executor';
import { stepIdempotencyKey } from '../../../../src/activities/plan/idempotency';
import { planHashOf } from '../../../../src/activities/plan/plan-hash';
import type { StepCheck } from '../../../../src/model/audit';
import type { GuardianInput } from '../../../../src/model/guardian';
import type { StepInput } from '../../../../src/model/plan';
import { contentHash } from '../../../../src/policy';
import { RecordingTarget, type RollbackTarget, TargetRegistry } from '../../../../src/targets';
import { tempDir } from '../helpers';
import { call, memberWorld, NOW, PLAN_AT, RUN_ID, world, type World } from './fixture';

/**
 * The execute plane's checks on a step of a normal-risk plan (approvals.test.ts
 * has the high-risk ones): who asks, the environment, the target, and whether
 * the step is one of the plan the guardian recorded. Each test changes one
 * thing of a history that passes and expects the named check to refuse.
 */

function deps(w: World, overrides: Partial<ExecutorCheckDeps> = {}): ExecutorCheckDeps {
  return { environment: 'production', targets: w.targets, now: () => NOW, ...overrides };
}

/** The refusal of `input` (default: step 0 as the guardian sends it) from `caller` ('none': no workflow). */
async function refusal(
  w: World,
  input: StepInput | 'malformed' = w.stepInput(),
  caller: Caller | 'none' = w.caller,
  overrides: Partial<ExecutorCheckDeps> = {},
): Promise<{ check: StepCheck; reason: string; message: string }> {
  return refusalOf(
    input === 'malformed' ? undefined : input,
    caller === 'none' ? undefined : caller,
    w,
    overrides,
  );
}

async function refusalOf(
  input: StepInput | undefined,
  caller: Caller | undefined,
  w: World,
  overrides: Partial<ExecutorCheckDeps> = {},
): Promise<{ check: StepCheck; reason: string; message: string }> {
  try {
    await checkStep(input as StepInput, caller, w.history, deps(w, overrides));
  } catch (error) {
    if (error instanceof StepRefusedError)
      return { check: error.check, reason: error.reason, message: error.message };
    throw error;
  }
  throw new Error('the step passed every check');
}

test('a step of the plan the guardian recorded, sent by that guardian, passes every check', async () => {
  const w = await world();
  expect(w.plan.risk).toBe('normal');
  for (const index of w.plan.steps.keys()) {
    await expect(checkStep(w.stepInput(index), w.caller, w.history, deps(w))).resolves.toBeUndefined();
  }
  // One read of the calling run per check.
  expect(w.history.reads).toEqual(w.plan.steps.map(() => `${w.guardianId}@${RUN_ID}`));
});

describe('caller', () => {
  test('an activity no workflow scheduled is refused', async () => {
    const w = await world();
    const refused = await refusal(w, w.stepInput(), 'none');
    expect(refused.check).toBe('caller');
    expect(refused.message).toMatch(/^refused by the execute plane of production \(check: caller\): /);
  });

  test('a workflow of another type (as Temporal told the worker) is refused before anything is read', async () => {
    const w = await world();
    const refused = await refusal(w, w.stepInput(), { ...w.caller, workflowType: 'forgedDecidePlane' });
    expect(refused).toMatchObject({
      check: 'caller',
      reason: expect.stringContaining('"forgedDecidePlane"'),
    });
    expect(w.history.reads).toEqual([]);
  });

  test('a run Temporal knows under another type, or not at all, is refused', async () => {
    const w = await world();
    w.history.types.set(`${w.guardianId}\n${RUN_ID}`, 'release');
    expect(await refusal(w)).toMatchObject({ check: 'caller', reason: expect.stringContaining('"release"') });
    expect(await refusal(w, w.stepInput(), { ...w.caller, runId: 'run-unknown' })).toMatchObject({
      check: 'caller',
      reason: expect.stringContaining('knows no run run-unknown'),
    });
  });

  test("a step whose deployment is not the guardian's start input is refused", async () => {
    const w = await world();
    const input = w.stepInput();
    input.deployment = { ...input.deployment, previousVersion: 'v0.0.1' };
    expect(await refusal(w, input)).toMatchObject({
      check: 'caller',
      reason: expect.stringContaining(`is not the one guardian ${w.guardianId} was started with`),
    });
  });
});

describe('environment', () => {
  test("a deployment of another environment is refused, whatever its guardian's history holds", async () => {
    const w = await world();
    expect(await refusal(w, w.stepInput(), w.caller, { environment: 'staging' })).toEqual({
      check: 'environment',
      reason: 'the deployment is in environment "production"; this executor serves "staging" only',
      message:
        'refused by the execute plane of staging (check: environment): the deployment is in environment "production"; this executor serves "staging" only',
    });
    expect(w.history.reads).toEqual([]);
  });
});

describe('target', () => {
  test('an action no target of this executor handles is refused', async () => {
    const w = await world();
    const targets = new TargetRegistry({
      'disable-flag': new RecordingTarget({ journalFile: `${tempDir()}/j` }),
    });
    const refused = await refusal(w, w.stepInput(), w.caller, { targets });
    expect(refused.check).toBe('target');
    expect(refused.reason).toContain('no rollback target handles "shift-traffic" steps in this worker');
  });

  test("a service-addressed target without the deployment's service is refused (serves)", async () => {
    const w = await world();
    const inner = new RecordingTarget({ journalFile: `${tempDir()}/j` });
    const nginxLike: RollbackTarget = {
      name: 'nginx',
      apply: (s, c) => inner.apply(s, c),
      verify: (s, c) => inner.verify(s, c),
      compensate: (s, c) => inner.compensate(s, c),
      serves: (d) => (d.service === 'payments' ? undefined : `no service "${d.service}" is configured`),
    };
    const refused = await refusal(w, w.stepInput(), w.caller, {
      targets: new TargetRegistry({ 'shift-traffic': nginxLike }),
    });
    expect(refused).toMatchObject({ check: 'target', reason: 'nginx: no service "checkout" is configured' });
  });
});

describe('plan', () => {
  test('a step of a plan the guardian never recorded is refused', async () => {
    const w = await world();
    w.run.calls = [];
    w.history.add(w.run, 'guardian');
    const refused = await refusal(w);
    expect(refused.check).toBe('plan');
    expect(refused.reason).toBe(
      `no plan ${w.plan.planHash} is recorded in the history of guardian ${w.guardianId} (run ${RUN_ID})`,
    );
  });

  test('a plan of its own, with a correct hash, is refused when the history does not hold it', async () => {
    const w = await world();
    // The decide plane makes up a plan (steps to 50%) and hashes it right.
    const step = {
      ...w.plan.steps[0]!,
      action: { type: 'shift-traffic' as const, weights: [50], pauseSeconds: 0 },
    };
    const made = { ...w.plan, steps: [step] };
    const planHash = planHashOf(made);
    step.idempotencyKey = stepIdempotencyKey(w.guardian.deployment.deploymentId, planHash, 0);
    const refused = await refusal(w, { deployment: w.guardian.deployment, planHash, step });
    expect(refused).toMatchObject({
      check: 'plan',
      reason: expect.stringContaining(`no plan ${planHash} is recorded`),
    });
  });

  test('a recorded plan whose content no longer hashes to its hash is refused', async () => {
    const w = await world();
    const plan = w.run.calls[0]!.result as typeof w.plan;
    plan.steps[0]!.action = { type: 'shift-traffic', weights: [50], pauseSeconds: 0 };
    const input = w.stepInput();
    input.step = plan.steps[0]!;
    expect(await refusal(w, input)).toMatchObject({
      check: 'plan',
      reason: `the recorded plan ${w.plan.planHash} does not hash to its hash: its content was changed`,
    });
  });

  test("a step that differs from the plan's step of that index is refused, naming where", async () => {
    const w = await world();
    const input = w.stepInput();
    input.step.action = { ...input.step.action, weights: [50] } as typeof input.step.action;
    expect(await refusal(w, input)).toMatchObject({
      check: 'plan',
      reason: expect.stringContaining('step.action.weights.0 differs'),
    });
    const extra = w.stepInput();
    (extra.step as unknown as Record<string, unknown>).extra = true;
    expect((await refusal(w, extra)).reason).toContain('step.extra is not in the plan');
  });

  test('a step index the plan does not have is refused', async () => {
    const w = await world();
    const input = w.stepInput();
    input.step = { ...input.step, index: w.plan.steps.length };
    expect(await refusal(w, input)).toMatchObject({
      check: 'plan',
      reason: `plan ${w.plan.planHash} has ${w.plan.steps.length} step(s); it has no step ${w.plan.steps.length}`,
    });
  });

  test('a recorded plan whose step keys are not the keys its hash derives is refused', async () => {
    const w = await world();
    // Keys are not hashed: a plan carrying another plan's keys still hashes right, so the key is checked itself.
    const plan = w.run.calls[0]!.result as typeof w.plan;
    plan.steps[0]!.idempotencyKey = stepIdempotencyKey(w.guardian.deployment.deploymentId, 'sha256:other', 0);
    const input = w.stepInput();
    input.step = plan.steps[0]!;
    expect(await refusal(w, input)).toMatchObject({
      check: 'plan',
      reason: expect.stringContaining('its idempotency key does not belong to plan'),
    });
  });

  test('a guardian whose policy does not hash to its pinned hash, or a plan built under another policy, is refused', async () => {
    const w = await world();
    const edited = w.run.input as GuardianInput;
    edited.policy.approval = { ...edited.policy.approval!, quorum: 1 };
    expect((await refusal(w)).reason).toMatch(
      /^the guardian's policy hashes to sha256:[0-9a-f]+, not to the hash/,
    );

    const v = await world();
    const guardian = v.run.input as GuardianInput;
    guardian.policy.approval = { ...guardian.policy.approval!, quorum: 1 };
    guardian.policyHash = contentHash(guardian.policy);
    expect(await refusal(v, { ...v.stepInput(), deployment: guardian.deployment })).toMatchObject({
      check: 'plan',
      reason: `plan ${v.plan.planHash} was built under policy ${v.plan.policyHash}, not the guardian's ${guardian.policyHash}`,
    });
  });

  test('a plan a gate carried across continue-as-new counts as recorded', async () => {
    const w = await world();
    const guardian = w.run.input as GuardianInput;
    w.run.calls = [call('evaluateHealth', PLAN_AT)];
    guardian.carried = {
      resume: { phase: 'gate', plan: w.plan, untilMs: 0, holding: false },
    } as unknown as GuardianInput['carried'];
    await expect(checkStep(w.stepInput(), w.caller, w.history, deps(w))).resolves.toBeUndefined();
  });

  test("a member's plan counts from the order it read back from its release; a lone guardian's order does not", async () => {
    const m = await memberWorld();
    await expect(checkStep(m.stepInput(), m.caller, m.history, deps(m))).resolves.toBeUndefined();

    const lone = m.run.input as GuardianInput;
    delete lone.release;
    expect(await refusal(m)).toMatchObject({ check: 'plan', reason: expect.stringContaining('is recorded') });
  });

  test('a malformed step input is refused, never thrown as a TypeError', async () => {
    const w = await world();
    for (const input of [
      undefined,
      {},
      { planHash: 'x', deployment: {} },
      { ...w.stepInput(), step: { index: 0 } },
    ]) {
      expect((await refusalOf(input as unknown as StepInput, w.caller, w)).check).toBe('plan');
    }
  });
});
