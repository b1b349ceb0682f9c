import type { WorkflowHandle } from '@temporalio/client';
import type { LoadedPolicy } from '../../src/policy';
import { rollbackLockStateQuery } from '../../src/workflows/rollback-lock';
import {
  expectAuditBounded,
  OWNER_TEAM,
  refusedMessages,
  SecurityStack,
  brief,
} from '../harness/security-stack';

/**
 * Forged internal signals (security issue: "an unsigned supersede signal stops
 * a guardian", "a forged rollbackLockGranted lets a second rollback run"). The
 * attacker has plain signal rights on the namespace and sends, by name, what
 * only a newer guardian or the service's rollback lock should send. The
 * guardian must not believe the sender a signal names: it keeps its course and
 * leaves a bounded `message-refused` record.
 */
const stack = new SecurityStack();
let watching: WorkflowHandle;
let escalated: WorkflowHandle;
let lockPolicy: LoadedPolicy;
let holder: WorkflowHandle;

beforeAll(async () => {
  await stack.start({ name: 'signals' });
  // Side by side, each of its own service: a healthy guardian that watches all through the file, one
  // whose regression comes after its automatic rollback window (so it escalates and waits for a person),
  // and the older of two guardians of one service whose rollbacks the lock must keep apart.
  // The canary holds 50%, so a rollback drains 50% → 10% → 0% and pauses 30 s (900 s / 30) between
  // stages: the older rollback holds the lock long enough for every forged signal to land meanwhile.
  lockPolicy = await stack.policy({ trafficPauseSeconds: 900, canaryWeight: 50 });
  [watching, escalated, holder] = await Promise.all([
    stack.policy().then((p) => stack.guardian(p, { health: 'healthy' })),
    stack
      .policy({ automaticRollbackSeconds: 120 })
      .then((p) => stack.guardian(p, { health: 'late-regression' })),
    stack.guardian(lockPolicy, { health: 'healthy', deploymentId: 'older' }),
  ]);
}, 180_000);

afterAll(() => stack.stop(), 60_000);

afterEach(() => expectAuditBounded(stack));

/** A refusal record appeared, or the guardian closed: whichever the guardian did with the signal. */
async function outcomeOfSignal(handle: WorkflowHandle, about: RegExp, records: number) {
  const seen = await stack.firstOf({
    refused: () => refusedMessages(stack, handle.workflowId, about).length >= records,
    closed: async () => (await stack.status(handle)).phase === 'close',
  });
  return { seen, status: await stack.status(handle) };
}

test('an unsigned supersede signal does not stop a watching guardian', async () => {
  await stack.waitFor(watching, 'its first evaluation', (s) => s.phase === 'watch' && s.evaluations >= 1);

  // Exactly the reproduction: `temporal workflow signal --name supersede --input '{"by":"nobody"}'`.
  await stack.cliSignal(watching.workflowId, 'supersede', { by: 'nobody' });
  const first = await outcomeOfSignal(watching, /supersede/i, 1);
  expect({ seen: first.seen, phase: first.status.phase, outcome: first.status.outcome }).toEqual({
    seen: ['refused'],
    phase: 'watch',
    outcome: undefined,
  });

  // Naming a real, running guardian (of another service) as the sender proves nothing either.
  await watching.signal('supersede', { by: escalated.workflowId });
  const second = await outcomeOfSignal(watching, /supersede/i, 2);
  expect({ seen: second.seen, phase: second.status.phase }).toEqual({ seen: ['refused'], phase: 'watch' });

  // It goes on watching: more evaluations, same phase.
  const after = await stack.waitFor(
    watching,
    'two more evaluations',
    (s) => s.evaluations >= second.status.evaluations + 2,
  );
  expect(after.phase).toBe('watch');
  const records = refusedMessages(stack, watching.workflowId, /supersede/i);
  expect(records.length).toBeGreaterThanOrEqual(2);
});

test('an unsigned supersede signal does not close an escalated guardian', async () => {
  const before = await stack.waitFor(escalated, 'escalation', (s) => s.phase === 'escalated');

  await escalated.signal('supersede', { by: 'nobody' });
  const { seen, status } = await outcomeOfSignal(escalated, /supersede/i, 1);
  expect({ seen, phase: status.phase, outcome: status.outcome, waiting: status.waiting?.for }).toEqual({
    seen: ['refused'],
    phase: 'escalated',
    outcome: undefined,
    waiting: before.waiting?.for,
  });
  // Still open to the people it escalated to: nothing else changed.
  expect(status.decision).toEqual(before.decision);
});

test('forged rollbackLockGranted, release and acquire signals do not let a second rollback of the service run', async () => {
  const signedRollback = async (handle: WorkflowHandle, deploymentId: string) => {
    const token = await stack.token({
      subject: 'olivia',
      roles: [OWNER_TEAM],
      action: 'rollbackNow',
      deployment: deploymentId,
    });
    return stack.update(handle, 'rollbackNow', {
      actor: 'olivia',
      role: OWNER_TEAM,
      reason: 'drill',
      token,
    });
  };
  const stepRunning = (s: { phase: string; plan?: { steps: Array<{ state: string }> } }) =>
    s.phase === 'execute' && s.plan?.steps[0]?.state === 'running';

  // The older guardian rolls back by hand; its traffic drain pauses between stages, holding the lock.
  await stack.waitFor(holder, 'watching', (s) => s.phase === 'watch');
  expect(await signedRollback(holder, 'older')).toMatchObject({ rejected: false, accepted: true });
  await stack.waitFor(holder, 'its first step running', stepRunning);

  // A newer deployment of the same service is rolled back by hand too: it must wait for its turn.
  const waiter = await stack.guardian(lockPolicy, { health: 'healthy', deploymentId: 'newer' });
  await stack.waitFor(waiter, 'watching', (s) => s.phase === 'watch');
  expect(await signedRollback(waiter, 'newer')).toMatchObject({ rejected: false, accepted: true });
  const waiting = await stack.waitFor(waiter, 'waiting for its turn', (s) =>
    (s.waiting?.for ?? '').includes('its turn'),
  );
  // The stack's guardians replay their health: rehearsals, on their service's rehearsal lock.
  const lockId = `ripcord-rollback-lock/production/${lockPolicy.policy.metadata.service}/rehearsal`;
  expect(waiting.waiting!.for).toContain(lockId);
  expect(stepRunning(await stack.status(holder))).toBe(true);

  // The attacker hands the waiting guardian the turn the holder still has.
  await waiter.signal('rollbackLockGranted', { lockId });
  const seen = await stack.firstOf({
    refused: () => refusedMessages(stack, waiter.workflowId, /lock|turn/i).length >= 1,
    ran: () => stack.journal('newer').length > 0,
    stepStarted: async () =>
      (await stack.status(waiter)).plan?.steps.some((s) => s.state !== 'pending') ?? false,
  });
  const [holderNow, waiterNow] = await Promise.all([stack.status(holder), stack.status(waiter)]);
  expect(seen).toEqual(['refused']);
  if (stepRunning(holderNow)) {
    // While the holder is still changing production the waiter runs nothing and says why.
    expect({
      phase: waiterNow.phase,
      waiting: waiterNow.waiting?.for,
      steps: waiterNow.plan?.steps.map((s) => s.state),
    }).toEqual({
      phase: 'execute',
      waiting: waiting.waiting!.for,
      steps: waiting.plan!.steps.map(() => 'pending'),
    });
  }

  // The attacker then tells the lock itself that the holder let go, and queues a guardian that never
  // asked: the lock asks Temporal where each stands, and keeps the holder and its queue as they are.
  const lock = stack.client.workflow.getHandle(lockId);
  // The lock queues the waiter only after it has checked the waiter's claim with Temporal (an
  // activity), which can land after the waiter already says it waits for its turn.
  const queuedBy = Date.now() + 30_000;
  let lockBefore = await lock.query(rollbackLockStateQuery);
  while (!lockBefore.queue.includes(waiter.workflowId) && Date.now() < queuedBy) {
    await new Promise((r) => setTimeout(r, 250));
    lockBefore = await lock.query(rollbackLockStateQuery);
  }
  expect(lockBefore).toMatchObject({ holder: holder.workflowId, queue: [waiter.workflowId] });
  await stack.cliSignal(lockId, 'release', { holder: holder.workflowId });
  await lock.signal('acquire', { holder: watching.workflowId });
  const deadline = Date.now() + 60_000;
  let lockNow = await lock.query(rollbackLockStateQuery);
  while ((lockNow.refused ?? 0) < (lockBefore.refused ?? 0) + 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    lockNow = await lock.query(rollbackLockStateQuery);
  }
  expect(lockNow).toMatchObject({
    holder: holder.workflowId,
    queue: [waiter.workflowId],
    refused: (lockBefore.refused ?? 0) + 2,
  });
  if (stepRunning(await stack.status(holder))) expect(stack.journal('newer')).toEqual([]);

  // Then it gets its real turn: both roll back, one after the other, never interleaved.
  const [older, newer] = await Promise.all([holder.result(), waiter.result()]);
  expect([older.outcome, newer.outcome]).toEqual(['rolled-back', 'rolled-back']);
  const olderLast = Math.max(...stack.journal('older').map((e) => Date.parse(e.at)));
  const newerFirst = Math.min(...stack.journal('newer').map((e) => Date.parse(e.at)));
  expect(newerFirst).toBeGreaterThanOrEqual(olderLast);
  expect(brief(await stack.status(waiter))).toContain('"phase":"close"');
}, 150_000);
