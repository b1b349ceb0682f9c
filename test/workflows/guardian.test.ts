import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { guardianWorkflowId, type GuardianInput, statusQuery } from '../../src/workflows/messages';
import { bundleWorkflows, createTimeSkippingEnv } from '../harness/temporal';

const TASK_QUEUE = 'guardian-time-skipping';
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
});
afterAll(async () => {
  await env?.teardown();
});

function input(overrides: Partial<GuardianInput> = {}): GuardianInput {
  return {
    deploymentId: `d-${Math.random().toString(36).slice(2, 10)}`,
    service: 'checkout',
    environment: 'staging',
    version: 'v2.3.1',
    watchSeconds: 3600,
    intervalSeconds: 60,
    ...overrides,
  };
}

async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: bundle,
    activities: createActivities({ now: () => new Date('2026-01-01T00:00:00Z') }),
  });
  return worker.runUntil(fn());
}

test('a one-hour watch completes on skipped time and promotes the deployment', async () => {
  const deployment = input();
  const before = await env.currentTimeMs();
  const result = await withWorker(() =>
    env.client.workflow.execute('guardian', {
      taskQueue: TASK_QUEUE,
      workflowId: guardianWorkflowId(deployment),
      args: [deployment],
    }),
  );
  const skippedMs = (await env.currentTimeMs()) - before;

  expect(result).toEqual({ outcome: 'promoted', evaluations: 60, admittedAt: '2026-01-01T00:00:00.000Z' });
  expect(skippedMs).toBeGreaterThanOrEqual(3600 * 1000);
});

test('the status query reports the watch phase while the guardian waits', async () => {
  const deployment = input();
  await withWorker(async () => {
    const handle = await env.client.workflow.start('guardian', {
      taskQueue: TASK_QUEUE,
      workflowId: guardianWorkflowId(deployment),
      args: [deployment],
    });
    await env.sleep(90_000);
    const status = await handle.query(statusQuery);
    expect(status.phase).toBe('watch');
    expect(status.evaluations).toBeGreaterThanOrEqual(1);
    await handle.result();
    expect((await handle.query(statusQuery)).outcome).toBe('promoted');
  });
});

test('a malformed deployment fails at admission with the field named, without retries', async () => {
  const deployment = input({ service: 'Checkout Service!' });
  const run = withWorker(() =>
    env.client.workflow.execute('guardian', {
      taskQueue: TASK_QUEUE,
      workflowId: `ripcord/invalid/${deployment.deploymentId}`,
      args: [deployment],
    }),
  );
  await expect(run).rejects.toBeInstanceOf(WorkflowFailedError);
  await expect(run).rejects.toMatchObject({ cause: { cause: { type: 'InvalidDeploymentError' } } });
  await expect(run).rejects.toMatchObject({
    cause: { cause: { message: expect.stringContaining('service must be') } },
  });
});
