import { chaosPolicy } from '../harness/chaos-policy';
import { trace, waitUntil } from '../harness/chaos-poll';
import { ChaosSetup, deployAndRollBackByHand, nginxStepRecords } from '../harness/chaos-setup';

/**
 * Terminate is the admin's hammer (the Web UI's button, `temporal workflow
 * terminate`): the guardian stops at once, with no chance to run any more
 * code. A step already running on a worker is not told directly; it learns at
 * its next heartbeat, when the server answers that its workflow is gone, and
 * is cancelled there. This checks that it really stops: a rollback that drains
 * the canary in three stages (25% → 10% → 0%, 30 s apart) is terminated in
 * the pause after the first stage, and nginx must stay at 25% well past the
 * moment the next stage was due. Nothing is undone either: that is what
 * `ripcord abort` is for (docs/operations.md).
 */

const setup = new ChaosSetup();
afterAll(() => setup.stop());

const PAUSE_SECONDS = 30;

test('a guardian terminated during a traffic step: the step stops at its next heartbeat, nginx keeps the stage it reached', async () => {
  await setup.start({ name: 'terminate', stack: { canaryBehaviour: 'healthy' } });
  const stack = setup.stack!;
  const client = setup.client!;

  const loaded = chaosPolicy(setup.addresses(), (p) => {
    p.plan.steps = [
      {
        name: 'drain-canary',
        type: 'shift-traffic',
        weights: [25, 10, 0],
        pauseSeconds: PAUSE_SECONDS,
        // Heartbeat timeout min(15 s, timeoutSeconds): the SDK sends a heartbeat at least every 12 s,
        // so the step hears of the termination well before the next stage is due.
        timeoutSeconds: 120,
        retries: { maxAttempts: 3, backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 4 } },
        verify: { targetState: true, settleSeconds: 0, timeoutSeconds: 30 },
      },
    ];
  });
  const { handle } = await deployAndRollBackByHand(stack, client, setup.taskQueue, loaded, 'terminate');

  const stepRecords = () => nginxStepRecords(stack.targets.traffic!.stateDir);
  await waitUntil(
    'nginx at 25%, pausing before the next stage',
    () => stepRecords().some((r) => r.stagesDone === 1),
    {
      intervalMs: 100,
      timeoutMs: 120_000,
    },
  );
  const firstStageAt = Date.now();
  expect(await stack.canaryWeight()).toBe(25);

  await handle.terminate('an operator stopped the rollback from the Web UI');
  trace('guardian terminated in the pause after the first stage');
  expect((await handle.describe()).status.name).toBe('TERMINATED');

  // Had the step gone on, the second stage (10%) would have been installed PAUSE_SECONDS after the
  // first. Watch until well past that moment: the canary stays at 25% and the record at one stage.
  const seen = new Set<number | undefined>();
  await waitUntil(
    'the moment the next stage was due, and then some',
    async () => {
      seen.add(await stack.canaryWeight());
      return Date.now() - firstStageAt > (PAUSE_SECONDS + 15) * 1000;
    },
    { intervalMs: 1_000, timeoutMs: (PAUSE_SECONDS + 60) * 1000 },
  );
  expect([...seen]).toEqual([25]);
  expect(stepRecords()).toEqual([expect.objectContaining({ stagesDone: 1 })]);
  expect(stepRecords()[0]!.appliedAt).toBeUndefined();
}, 300_000);
