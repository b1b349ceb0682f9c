import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type GuardianHandle, guardianStatus, startGuardian } from '../../src/client/guardians';
import type { GuardianStatus } from '../../src/model/guardian';
import { auditRecords, healthReadIndices, verifyAuditFile } from '../harness/chaos-evidence';
import { trace, waitForStatus } from '../harness/chaos-poll';
import { chaosPolicy } from '../harness/chaos-policy';
import { ChaosSetup } from '../harness/chaos-setup';
import { OLD } from '../harness/chaos-stack';

/**
 * The Temporal server itself dies (SIGKILL) while a guardian watches a canary,
 * and comes back on the same database file. The guardian must carry on from
 * where it was — the same run, its evaluations continuing from the same index,
 * none repeated, none lost — and still catch the regression that starts after
 * the restart and roll it back through the real nginx and release targets.
 */

const setup = new ChaosSetup();
afterAll(() => setup.stop());

test('the dev server killed during a watch and restarted on its database: the guardian resumes and rolls back', async () => {
  // Degrades 20 s after its deploy: the server is usually killed and back before (if not, the regression
  // starts while it is down, and must be caught all the same).
  await setup.start({
    name: 'server',
    stack: { canaryBehaviour: 'degrading', warmupSeconds: 20 },
    persistentServer: true,
  });
  trace('worker running');
  const temporal = setup.temporal!;
  const stack = setup.stack!;
  const receiver = setup.receiver!;
  const client = setup.client!;
  const taskQueue = setup.taskQueue;
  const stateDir = join(setup.dir, 'state');
  const { policy, hash } = chaosPolicy(setup.addresses());
  const deployment = await stack.deploy(`server-${randomUUID().slice(0, 8)}`, policy.metadata.environment);
  const handle: GuardianHandle = await startGuardian(client, taskQueue, {
    deployment,
    policy,
    policyHash: hash,
    watchSeconds: 300,
  });
  const { runId } = await handle.describe();
  trace('guardian started');

  const before = await waitForStatus(handle, 'three evaluations before the kill', (s) => s.evaluations >= 3);
  expect(before.phase).toBe('watch');
  trace(`killing the server after ${before.evaluations} evaluations`);
  await temporal.kill();
  expect(await temporal.answers()).toBe(false);
  await temporal.restart();
  trace('server restarted');

  // Same client, same handle: the server is back at the same address with the same database.
  const resumed = await waitForStatus(
    handle,
    'an evaluation after the restart',
    (s) => s.evaluations > before.evaluations,
  );
  expect(resumed.workflowId).toBe(before.workflowId);
  trace(`resumed: ${resumed.evaluations} evaluations`);

  await waitForStatus(handle, 'the guardian to close', (s) => s.outcome !== undefined, {
    timeoutMs: 240_000,
  });
  const result = await handle.result();
  const final: GuardianStatus = await guardianStatus(handle);
  expect({ outcome: result.outcome, reason: result.reason }).toEqual({
    outcome: 'rolled-back',
    reason: expect.stringContaining(`rolled back to ${OLD}`),
  });
  expect(final.decision).toMatchObject({ decision: 'rollback', source: 'automatic' });

  // The same run carried on: nothing restarted from the beginning.
  expect((await handle.describe()).runId).toBe(runId);
  // Evaluations continue from where they were: interval indices 0, 1, 2, ... each read exactly once.
  const reads = await healthReadIndices(handle);
  const watchReads = reads.slice(0, final.evaluations);
  expect(watchReads).toEqual(watchReads.map((_, i) => i));
  expect(new Set(reads).size).toBe(reads.length);
  expect(final.evaluations).toBeGreaterThan(before.evaluations);

  // Production: the canary drained and back on the old release, restarted once by the revert.
  expect(await stack.canaryWeight()).toBe(0);
  expect(await stack.canaryRuns()).toBe(OLD);
  expect(stack.canaryStarts().map((s) => s.version)).toEqual(['2.0.0', OLD]);
  // The deploy system was told once.
  expect(receiver.jobs().map((j) => ({ action: j.action, acted: j.acted }))).toEqual([
    { action: 'rollback', acted: 1 },
  ]);

  // The audit trail: whole, one admission, one decision, one record per step, the outcome last.
  const auditFile = join(stateDir, 'audit.jsonl');
  expect(verifyAuditFile(auditFile)).toMatchObject({ ok: true });
  const audit = auditRecords(auditFile, deployment.deploymentId);
  expect(audit.filter((r) => r.kind === 'admitted')).toHaveLength(1);
  expect(audit.filter((r) => r.kind === 'decision')).toHaveLength(1);
  expect(audit.filter((r) => r.kind === 'step' && r.details.state === 'done')).toHaveLength(3);
  expect(audit.at(-1)).toMatchObject({ kind: 'outcome', details: { outcome: 'rolled-back' } });
}, 420_000);
