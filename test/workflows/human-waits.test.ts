import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { abortUpdate, statusQuery } from '../../src/workflows/messages';
import { bundleWorkflows, createTimeSkippingEnv } from '../harness/temporal';
import { FakeWorld, regression } from './support/fake-activities';
import { advanceUntil, canaryPolicy, guardianInput, startGuardian, withWorld } from './support/guardian-env';
import { resultAndRecord } from './support/histories';

/**
 * A rehearsal compresses its data, not people (issue 17): under `speed` the
 * intervals pass quickly, but the approval timeout and the escalation wait are
 * what the policy says, in real time, since a person at the other end of a
 * tabletop exercise reads, decides and types at their own pace.
 */
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

jest.setTimeout(60_000);
// As in guardian-paths.test.ts: the time-skipping server stalls now and then; every retry is logged.
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

test('a rehearsal at speed 30 keeps a 600 s approval timeout, and the escalation wait, in real time', async () => {
  const world = new FakeWorld({ health: regression(5), risk: 'high' });
  const policy = canaryPolicy((raw) => {
    raw.risk = { highRiskWhen: [{ when: 'always' }] };
    raw.approval = { roles: ['sre'], quorum: 1, timeoutSeconds: 600, onTimeout: 'escalate' };
    raw.trustedKeys = { ...(raw.trustedKeys as object), approvals: ['oncall-2026'] };
  });
  const input = guardianInput(policy, { speed: 30, replay: { scenarioFile: 'rehearsal.json' } });
  await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, input);
    const atGate = await advanceUntil(env, handle, (s) => s.phase === 'gate');
    const seenAt = await env.currentTimeMs();
    // The gate was entered at most one 5 s step before it was seen; at speed 30 it would end 20 s after.
    const deadline = Date.parse(atGate.waiting!.until!);
    expect(deadline - seenAt).toBeGreaterThan(590_000);
    expect(deadline - seenAt).toBeLessThanOrEqual(600_000);

    // Five minutes later (skipped time) the gate still waits for a person.
    await env.sleep(300_000);
    expect((await handle.query(statusQuery)).phase).toBe('gate');

    // Only past the deadline does it escalate, and the escalation waits another 600 s for a person.
    const escalated = await advanceUntil(env, handle, (s) => s.phase === 'escalated');
    const escalatedAt = await env.currentTimeMs();
    expect(escalatedAt).toBeGreaterThanOrEqual(deadline);
    expect(Date.parse(escalated.waiting!.until!) - escalatedAt).toBeGreaterThan(590_000);

    await handle.executeUpdate(abortUpdate, { args: [{ actor: 'sam', role: 'sre' }] });
    expect((await resultAndRecord(handle)).outcome).toBe('aborted');
  });
  expect(world.applied).toEqual([]);
});
