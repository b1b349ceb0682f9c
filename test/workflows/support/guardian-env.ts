import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { contentHash, parsePolicyText, Policy } from '../../../src/policy';
import type { guardian } from '../../../src/workflows/guardian';
import { type GuardianInput, type GuardianStatus, guardianWorkflowId } from '../../../src/model/guardian';
import { statusQuery } from '../../../src/workflows/messages';
import type { FakeWorld } from './fake-activities';

// A fresh task queue per test: a test that fails cannot leave a worker behind on the next one's queue.
let taskQueue = 'guardian-paths-0';

/**
 * The example canary policy, with overrides applied and re-validated like a real policy file: its p99
 * variant, since the fake health reads carry a p99 and no latency histogram.
 */
export function canaryPolicy(overrides: (raw: Record<string, unknown>) => void = () => undefined): Policy {
  const file = resolve(__dirname, '..', '..', '..', 'policies', 'examples', 'canary-p99-only.yaml');
  const { policy } = parsePolicyText(readFileSync(file, 'utf8'), { filename: file });
  const raw = JSON.parse(JSON.stringify(policy)) as Record<string, unknown>;
  overrides(raw);
  return Policy.parse(raw);
}

let counter = 0;
export function guardianInput(policy: Policy, extra: Partial<GuardianInput> = {}): GuardianInput {
  counter += 1;
  return {
    deployment: {
      deploymentId: `d${counter}-${Date.now().toString(36)}`,
      service: policy.metadata.service,
      environment: policy.metadata.environment,
      version: '2.0.0',
      previousVersion: '1.9.0',
      deployer: 'dana',
      deployedAt: new Date().toISOString(),
    },
    policy,
    policyHash: contentHash(policy),
    watchSeconds: 40 * policy.evaluation.intervalSeconds,
    ...extra,
  };
}

/** Starts a guardian whose deploy happened "now" on the test server's (skipped) clock. */
export async function startGuardian(env: TestWorkflowEnvironment, input: GuardianInput) {
  const deployedAt = new Date(await env.currentTimeMs()).toISOString();
  const started: GuardianInput = { ...input, deployment: { ...input.deployment, deployedAt } };
  return env.client.workflow.start<typeof guardian>('guardian', {
    taskQueue,
    workflowId: guardianWorkflowId(started.deployment),
    args: [started],
  });
}

/** Runs `fn` with a worker whose activities are the fake world's. */
export async function withWorld<T>(
  env: TestWorkflowEnvironment,
  bundle: WorkflowBundleWithSourceMap,
  world: Pick<FakeWorld, 'activities'>,
  fn: () => Promise<T>,
): Promise<T> {
  taskQueue = `guardian-paths-${++counter}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: world.activities(env.client),
  });
  return worker.runUntil(fn());
}

/**
 * Moves skipped time forward in steps until the guardian's status satisfies the
 * predicate (time only skips by itself while a client waits for a result).
 *
 * Steps are short next to the guardian's 30 s evaluation interval, so the
 * predicate is seen within 5 s of the evaluation that made it true and the
 * caller's next message lands with about 25 s before the next timer fires.
 * That margin matters: a message that ends a wait with a timeout makes the
 * workflow cancel its timer, and if the timer fires while that workflow task
 * is in progress the time-skipping test server refuses the CancelTimer and
 * never hands the run another task (temporalio/sdk-java#2606, #3088; the real
 * server drops the buffered fire and records TimerCanceled). With 30 s steps
 * the message landed about a second before the next fire, and the test hung.
 */
export async function advanceUntil(
  env: TestWorkflowEnvironment,
  handle: WorkflowHandle<typeof guardian>,
  predicate: (status: GuardianStatus) => boolean,
  stepMs = 5_000,
  maxSteps = 2_400,
): Promise<GuardianStatus> {
  for (let i = 0; i < maxSteps; i++) {
    const status = await handle.query(statusQuery);
    if (predicate(status)) return status;
    await env.sleep(stepMs);
  }
  throw new Error(`status never matched; last: ${JSON.stringify(await handle.query(statusQuery))}`);
}
