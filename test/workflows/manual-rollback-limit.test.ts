import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { rollbackNowUpdate, statusQuery } from '../../src/workflows/messages';
import { ROLLBACK_NOW_LIMIT } from '../../src/workflows/rate-limit';
import { bundleWorkflows, createTimeSkippingEnv } from '../harness/temporal';
import { FakeWorld, healthy } from './support/fake-activities';
import { advanceUntil, canaryPolicy, guardianInput, startGuardian, withWorld } from './support/guardian-env';
import { resultAndRecord } from './support/histories';

/**
 * Abuse resistance (docs/architecture.md §5): the manual-rollback rate limit, on the
 * time-skipping server so that its 10-minute window passes in a moment. (One
 * rollback at a time per service is tested against the real dev server in
 * test/integration/rollback-lock.test.ts.)
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

test('manual rollback requests are rate-limited per person; past the limit they never reach history, and others are still heard', async () => {
  const world = new FakeWorld({ health: healthy });
  const input = guardianInput(canaryPolicy(), { watchSeconds: 3600 });
  await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, input);
    await advanceUntil(env, handle, (s) => s.phase === 'watch' && s.evaluations > 0);
    // A caller without the role: each request is refused, but each costs an authorisation and an audit record.
    const refusedCaller = { actor: 'mallory', role: 'intern' };
    for (let i = 0; i < ROLLBACK_NOW_LIMIT.requests; i++) {
      const refused = await handle.executeUpdate(rollbackNowUpdate, { args: [refusedCaller] });
      expect(refused.accepted).toBe(false);
    }
    const acceptedUpdates = async () =>
      (await handle.fetchHistory()).events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)
        .length;
    expect(await acceptedUpdates()).toBe(ROLLBACK_NOW_LIMIT.requests);
    // Case and Unicode width do not make another person.
    const limited = handle.executeUpdate(rollbackNowUpdate, { args: [{ actor: 'MALLORY', role: 'intern' }] });
    await expect(limited).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(limited).rejects.toMatchObject({
      cause: {
        message: expect.stringMatching(
          /^rollbackNow: rate limited: at most 3 .* per person; try again in \d+ s$/,
        ),
      },
    });
    // Refused by the validator: the request never reached history.
    expect(await acceptedUpdates()).toBe(ROLLBACK_NOW_LIMIT.requests);
    const reached = world.audit.filter(
      (r) => r.kind === 'action-denied' && r.details.code === 'rate-limit-reached' && r.actor === 'mallory',
    );
    expect(reached).toHaveLength(1);

    // Someone else is not limited by mallory's requests, and with the right role is heard at once.
    const allowed = await handle.executeUpdate(rollbackNowUpdate, { args: [{ actor: 'sam', role: 'sre' }] });
    expect(allowed).toMatchObject({ accepted: true, message: 'manual rollback requested' });
    const result = await resultAndRecord(handle);
    expect(result).toMatchObject({ outcome: 'rolled-back', decision: { source: 'manual' } });
    expect((await handle.query(statusQuery)).phase).toBe('close');
  });
});

test('the limit window passes: the same person may ask again', async () => {
  const world = new FakeWorld({ health: healthy });
  const input = guardianInput(canaryPolicy(), { watchSeconds: 3600 });
  await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, input);
    await advanceUntil(env, handle, (s) => s.phase === 'watch' && s.evaluations > 0);
    for (let i = 0; i < ROLLBACK_NOW_LIMIT.requests; i++) {
      await handle.executeUpdate(rollbackNowUpdate, { args: [{ actor: 'sam', role: 'intern' }] });
    }
    await expect(
      handle.executeUpdate(rollbackNowUpdate, { args: [{ actor: 'sam', role: 'sre' }] }),
    ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await env.sleep(ROLLBACK_NOW_LIMIT.windowMs + 1000);
    const allowed = await handle.executeUpdate(rollbackNowUpdate, { args: [{ actor: 'sam', role: 'sre' }] });
    expect(allowed).toMatchObject({ accepted: true, message: 'manual rollback requested' });
    expect((await resultAndRecord(handle)).outcome).toBe('rolled-back');
  });
});
