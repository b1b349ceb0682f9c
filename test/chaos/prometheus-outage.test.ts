import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { guardianStatus, sendAction, startGuardian } from '../../src/client/guardians';
import type { GuardianStatus } from '../../src/model/guardian';
import { auditRecords, verifyAuditFile } from '../harness/chaos-evidence';
import { chaosPolicy, type PolicyDocument } from '../harness/chaos-policy';
import { trace, waitForStatus, waitUntil } from '../harness/chaos-poll';
import { ChaosSetup } from '../harness/chaos-setup';
import { NEW } from '../harness/chaos-stack';

/**
 * Prometheus dies (SIGKILL) while three guardians watch the same healthy
 * canary, each with its own patience for missing data:
 *
 *  - `onLongGap: escalate`: a gap longer than maxGapSeconds hands over to a person;
 *  - `onLongGap: hold` with a short maxInconclusiveSeconds: the outage is held as
 *    inconclusive time, then handed over when it outlasts that limit;
 *  - `onLongGap: hold` with a long one: the guardian waits, Prometheus comes back,
 *    the watch goes on and the canary is promoted as it deserves.
 *
 * No data is never a regression: nobody rolls anything back, the canary keeps
 * its traffic and its release, and the people the policy names are paged.
 */

const setup = new ChaosSetup();
afterAll(() => setup.stop());

const INTERVAL = 3;
const MAX_GAP = 6;

test('Prometheus down longer than the policy allows: inconclusive, no rollback, escalation or a held watch that ends normally', async () => {
  await setup.start({ name: 'prometheus', stack: { canaryBehaviour: 'healthy' } });
  const stack = setup.stack!;
  const receiver = setup.receiver!;
  const client = setup.client!;
  const taskQueue = setup.taskQueue;
  const stateDir = join(setup.dir, 'state');
  const runId = randomUUID().slice(0, 8);
  const deployed = await stack.deploy(`prometheus-${runId}`, 'chaos');
  trace('stack, worker and canary up');

  const start = async (
    name: string,
    missingData: PolicyDocument,
    maxInconclusiveSeconds: number,
    watchSeconds: number,
  ) => {
    // One environment each: guardians of the same service and environment would supersede each other.
    const environment = `chaos-${name}`;
    const { policy, hash } = chaosPolicy(setup.addresses(), (p) => {
      p.metadata.environment = environment;
      p.evaluation.intervalSeconds = INTERVAL;
      p.evaluation.maxInconclusiveSeconds = maxInconclusiveSeconds;
      p.evaluation.missingData = missingData;
    });
    const deployment = { ...deployed, environment, deploymentId: `${name}-${runId}` };
    const handle = await startGuardian(client, taskQueue, {
      deployment,
      policy,
      policyHash: hash,
      watchSeconds,
    });
    return { handle, deployment };
  };
  // The held guardian's watch must outlast the outage and the first readings after it.
  const gap = await start('gap', { maxGapSeconds: MAX_GAP, onLongGap: 'escalate' }, 600, 600);
  const patience = await start('patience', { maxGapSeconds: MAX_GAP, onLongGap: 'hold' }, 15, 600);
  const hold = await start('hold', { maxGapSeconds: MAX_GAP, onLongGap: 'hold' }, 600, 75);
  const all = [gap, patience, hold];

  for (const { handle } of all) {
    await waitForStatus(
      handle,
      'two healthy evaluations',
      (s) => s.evaluations >= 2 && s.lastVerdict?.verdict === 'healthy',
    );
  }
  const killedAt = (await guardianStatus(hold.handle)).evaluations;
  trace(`killing Prometheus at evaluation ${killedAt}`);
  await stack.killPrometheus();

  // The gap guardian escalates once nothing has come for longer than maxGapSeconds.
  const gapEscalated = await waitForStatus(
    gap.handle,
    'escalation on the long gap',
    (s) => s.phase === 'escalated',
    { timeoutMs: 90_000 },
  );
  expect(gapEscalated.decision).toMatchObject({
    decision: 'escalate',
    reason: expect.stringMatching(/^no data for \d+s \(limit 6s\)$/),
  });
  // The impatient one holds the gap as inconclusive time, then hands over at its limit.
  const patienceEscalated = await waitForStatus(
    patience.handle,
    'escalation on inconclusive time',
    (s) => s.phase === 'escalated',
    { timeoutMs: 90_000 },
  );
  expect(patienceEscalated.decision).toMatchObject({
    decision: 'escalate',
    reason: expect.stringMatching(/^inconclusive for \d+s \(limit 15s\)$/),
  });
  // Meanwhile the patient one, its gap longer than maxGapSeconds too, still watches: inconclusive, no decision.
  const holding: GuardianStatus = await guardianStatus(hold.handle);
  expect([holding.phase, holding.outcome, holding.decision]).toEqual(['watch', undefined, undefined]);
  expect(['error', 'inconclusive']).toContain(holding.lastVerdict?.verdict);
  expect(holding.lastVerdict?.reason).toMatch(/cannot reach|ECONNREFUSED|no .*data/i);
  expect(holding.evaluations * INTERVAL - killedAt * INTERVAL).toBeGreaterThan(MAX_GAP);

  trace('restarting Prometheus');
  await stack.restartPrometheus();
  // Back up: the held watch reads healthy data again, then ends as it would have.
  const healthyAgain = await waitForStatus(
    hold.handle,
    'a healthy verdict after the outage',
    (s) => s.lastVerdict?.verdict === 'healthy' && s.lastVerdict.index > holding.evaluations,
    { timeoutMs: 90_000 },
  );
  expect(healthyAgain.phase).toBe('watch');
  const closed = await waitForStatus(
    hold.handle,
    'the held guardian to close',
    (s) => s.outcome !== undefined,
    { timeoutMs: 120_000 },
  );
  expect(closed).toMatchObject({ outcome: 'promoted', reason: 'the watch ended without a regression' });
  expect((await hold.handle.result()).outcome).toBe('promoted');
  expect(closed.decision).toBeUndefined();

  // A person takes over the escalated guardians (here: they abort the watch).
  for (const { handle } of [gap, patience]) {
    const answer = await sendAction(handle, 'abort', {
      actor: 'team-payments',
      role: 'owner',
      reason: 'metrics outage',
    });
    expect(answer).toMatchObject({ accepted: true });
    expect((await waitUntil('the guardian to close', () => handle.result())).outcome).toBe('aborted');
  }

  // Nothing was rolled back: no plan, no step, the canary keeps its traffic and its release.
  for (const { handle } of all) expect((await guardianStatus(handle)).plan).toBeUndefined();
  expect(receiver.jobs()).toEqual([]);
  expect(await stack.canaryWeight()).toBe(50);
  expect(await stack.canaryRuns()).toBe(NEW);
  expect(stack.canaryStarts()).toHaveLength(1);

  // The people the policy names were paged for the two that escalated, and only those.
  const paged = (d: { deploymentId: string }) =>
    receiver
      .notifications()
      .filter((n) => n.deploymentId === d.deploymentId)
      .map((n) => n.event);
  await waitUntil(
    'the pages',
    () =>
      paged(gap.deployment).includes('escalated') &&
      paged(patience.deployment).includes('escalated') &&
      paged(hold.deployment).length > 0,
  );
  expect(paged(hold.deployment)).toEqual(['promoted']);
  expect(receiver.refused()).toBe(0);

  // The audit trail says the same, whole.
  const auditFile = join(stateDir, 'audit.jsonl');
  expect(verifyAuditFile(auditFile)).toMatchObject({ ok: true });
  for (const { deployment } of [gap, patience]) {
    const audit = auditRecords(auditFile, deployment.deploymentId);
    expect(audit.filter((r) => r.kind === 'decision').map((r) => r.summary)).toEqual([
      expect.stringMatching(/^escalate: /),
    ]);
    expect(audit.filter((r) => ['plan', 'step'].includes(r.kind))).toEqual([]);
  }
  expect(auditRecords(auditFile, hold.deployment.deploymentId).at(-1)).toMatchObject({
    kind: 'outcome',
    summary: expect.stringMatching(/^promoted/),
  });
}, 400_000);
