import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Observation } from '../../src/decision';
import { bundleWorkflows, createTimeSkippingEnv } from '../harness/temporal';
import { FakeWorld, healthy, type HealthScript } from './support/fake-activities';
import { canaryPolicy, guardianInput, startGuardian, withWorld } from './support/guardian-env';
import { resultAndRecord } from './support/histories';

/**
 * No promotion without evidence (issue 17): a guardian whose watch ends
 * without usable health data escalates to a person, exactly as the decision
 * core says (finishWatch), and one with healthy data still promotes. The watch
 * is short, as `ripcord guard --watch 1m` makes it.
 */
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

jest.setTimeout(60_000);

beforeAll(async () => {
  bundle = await bundleWorkflows();
});
beforeEach(async () => {
  env = await createTimeSkippingEnv();
});
afterEach(async () => {
  await env?.teardown();
});

/** Prometheus refused every query (no PROMETHEUS_TOKEN): each series reads as an error. */
const unreadable: HealthScript = (): Observation => {
  const error = { baseline: null, canary: null, error: 'prometheus-main: HTTP 401 Unauthorized' };
  return { requests: error, errors: error, latency_p99_ms: error };
};

test('every reading an error: the watch ends escalated, not promoted, and says why', async () => {
  const world = new FakeWorld({ health: unreadable });
  const policy = canaryPolicy();
  const input = guardianInput(policy, { watchSeconds: 2 * policy.evaluation.intervalSeconds });
  const result = await withWorld(env, bundle, world, async () =>
    resultAndRecord(await startGuardian(env, input)),
  );
  expect(result.outcome).toBe('escalated');
  expect(result.evaluations).toBe(2);
  expect(result.reason).toBe(
    'the watch ended without evidence of health: ' +
      'no usable health data for error-rate (2 of 2 interval(s) failed to read); ' +
      'no usable health data for latency-p99 (2 of 2 interval(s) failed to read)',
  );
  expect(result.decision).toMatchObject({ decision: 'escalate', source: 'automatic' });
  // A person was asked (they could still order a rollback); nothing touched production.
  expect(world.audit.map((r) => r.kind)).toEqual(['admitted', 'decision', 'outcome']);
  expect(world.notifications.map((n) => n.event)).toContain('escalated');
  expect(world.notifications.map((n) => n.event)).not.toContain('promoted');
  expect(world.plans).toBe(0);
  expect(world.applied).toEqual([]);
});

test('healthy readings on the same short watch: still promoted', async () => {
  const world = new FakeWorld({ health: healthy });
  const policy = canaryPolicy();
  const input = guardianInput(policy, { watchSeconds: 2 * policy.evaluation.intervalSeconds });
  const result = await withWorld(env, bundle, world, async () =>
    resultAndRecord(await startGuardian(env, input)),
  );
  expect(result.outcome).toBe('promoted');
  expect(result.reason).toBe('the watch ended without a regression');
  expect(world.audit.map((r) => r.kind)).toEqual(['admitted', 'outcome']);
});
