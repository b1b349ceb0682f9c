import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { MemoryAuditSink } from '../../../../src/activities/audit';
import {
  checkedStepActivities,
  type ExecutorDeps,
  type StepActivities,
} from '../../../../src/activities/executor';
import type { AuditRecord } from '../../../../src/model/audit';
import { PERMANENT_STEP_ERROR, type StepInput } from '../../../../src/model/plan';
import { failureOf } from '../helpers';
import { NOW, world, type World } from './fixture';

/**
 * checkedStepActivities: the execute plane's executeStep and compensateStep
 * run the checks first, delegate only when they hold, and otherwise fail for
 * good naming the check, after a `step-refused` record in the executor's own
 * trail.
 */

function inner(): StepActivities & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    executeStep: (input: StepInput) => {
      calls.push(`execute ${input.step.index}`);
      return Promise.resolve({ applied: true, verified: 'done' });
    },
    compensateStep: (input: StepInput) => {
      calls.push(`compensate ${input.step.index}`);
      return Promise.resolve({ compensated: true, detail: 'undone' });
    },
  };
}

function executor(w: World, overrides: Partial<ExecutorDeps> = {}) {
  const audit = new MemoryAuditSink();
  const steps = inner();
  const deps: ExecutorDeps = {
    client: {} as Client,
    environment: 'production',
    targets: w.targets,
    audit,
    now: () => NOW,
    history: () => w.history,
    ...overrides,
  };
  return { activities: checkedStepActivities(steps, deps), steps, audit };
}

/** An activity context as Temporal gives the execute worker: who scheduled it, and the activity's id. */
function scheduledBy(
  workflowId: string,
  runId: string,
  workflowType: string,
  activityId = '7',
): MockActivityEnvironment {
  return new MockActivityEnvironment(
    { workflowExecution: { workflowId, runId }, workflowType, activityId, activityType: 'executeStep' },
    { logger: new DefaultLogger('ERROR') },
  );
}

test('a step that passes the checks runs the inner activity; nothing is audited', async () => {
  const w = await world();
  const { activities, steps, audit } = executor(w);
  const env = scheduledBy(w.guardianId, w.caller.runId, 'guardian');
  await expect(env.run(activities.executeStep, w.stepInput(1))).resolves.toEqual({
    applied: true,
    verified: 'done',
  });
  await expect(env.run(activities.compensateStep, w.stepInput(1))).resolves.toEqual({
    compensated: true,
    detail: 'undone',
  });
  expect(steps.calls).toEqual(['execute 1', 'compensate 1']);
  expect(audit.records).toEqual([]);
});

test('a refused step fails for good naming the check, is audited as step-refused, and never reaches the target', async () => {
  const w = await world();
  const { activities, steps, audit } = executor(w, { environment: 'staging' });
  const env = scheduledBy(w.guardianId, w.caller.runId, 'guardian', '12');
  const failure = await failureOf(() => env.run(activities.executeStep, w.stepInput(0)));
  expect(failure.type).toBe(PERMANENT_STEP_ERROR);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toBe(
    'refused by the execute plane of staging (check: environment): the deployment is in environment "production"; ' +
      'this executor serves "staging" only',
  );
  expect(failure.details).toEqual([
    {
      check: 'environment',
      reason: 'the deployment is in environment "production"; this executor serves "staging" only',
    },
  ]);
  expect(steps.calls).toEqual([]);
  expect(audit.records).toEqual<AuditRecord[]>([
    {
      id: `${w.guardianId}#step-refused/${w.caller.runId}/12`,
      at: NOW.toISOString(),
      kind: 'step-refused',
      workflowId: w.guardianId,
      deploymentId: w.guardian.deployment.deploymentId,
      service: w.guardian.deployment.service,
      environment: 'production',
      policyHash: '',
      actor: 'executor/staging',
      planHash: w.plan.planHash,
      summary:
        'executeStep of step 0 refused (environment): the deployment is in environment "production"; this executor serves "staging" only',
      details: {
        workflowId: w.guardianId,
        planHash: w.plan.planHash,
        index: 0,
        activity: 'executeStep',
        check: 'environment',
        reason: 'the deployment is in environment "production"; this executor serves "staging" only',
      },
    },
  ]);
});

test('a compensation is checked the same way; the record names the pinned policy once the guardian was read', async () => {
  const w = await world();
  const { activities, steps, audit } = executor(w);
  const input = w.stepInput(0);
  input.step = { ...input.step, name: 'renamed' };
  const failure = await failureOf(() =>
    scheduledBy(w.guardianId, w.caller.runId, 'guardian').run(activities.compensateStep, input),
  );
  expect(failure.message).toMatch(/\(check: plan\): step 0 "renamed" is not step 0 of plan/);
  expect(steps.calls).toEqual([]);
  expect(
    audit.records.map((r) => [r.kind, r.policyHash, (r.details as { activity: string }).activity]),
  ).toEqual([['step-refused', w.guardian.policyHash, 'compensateStep']]);
});

test('a step scheduled by a workflow that is not a guardian is refused as caller', async () => {
  const w = await world();
  const { activities, steps, audit } = executor(w);
  const failure = await failureOf(() =>
    scheduledBy('forged-1', 'r-1', 'forgedDecidePlane').run(activities.executeStep, w.stepInput(0)),
  );
  expect(failure.message).toContain('(check: caller)');
  expect(steps.calls).toEqual([]);
  expect(audit.records[0]).toMatchObject({ workflowId: 'forged-1', details: { check: 'caller' } });
});

test('a refusal the trail cannot take fails retryably: the step still does not run', async () => {
  const w = await world();
  const { activities, steps } = executor(w, {
    environment: 'staging',
    audit: { append: () => Promise.reject(new Error('disk full')) },
  });
  const failure = await failureOf(() =>
    scheduledBy(w.guardianId, w.caller.runId, 'guardian').run(activities.executeStep, w.stepInput(0)),
  );
  expect(failure.nonRetryable).toBe(false);
  expect(failure.message).toContain('(check: environment)');
  expect(failure.message).toContain('the refusal could not be written to the audit trail: disk full');
  expect(steps.calls).toEqual([]);
});

test('Temporal unreachable while checking: the error is thrown as it is (retried), nothing runs or is audited', async () => {
  const w = await world();
  const { activities, steps, audit } = executor(w, {
    history: () => ({
      workflowType: () => Promise.reject(new Error('14 UNAVAILABLE: connection refused')),
      run: () => Promise.reject(new Error('unused')),
      tokenClaimedBy: () => Promise.reject(new Error('unused')),
    }),
  });
  await expect(
    scheduledBy(w.guardianId, w.caller.runId, 'guardian').run(activities.executeStep, w.stepInput(0)),
  ).rejects.toThrow('14 UNAVAILABLE');
  expect(steps.calls).toEqual([]);
  expect(audit.records).toEqual([]);
});
