import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../src/client/connect';
import { type GuardianHandle, guardianStatus, startGuardian } from '../../src/client/guardians';
import type { GuardianStatus } from '../../src/workflows/messages';
import { auditRecords, healthReadIndices, verifyAuditFile } from '../harness/chaos-evidence';
import { trace, waitForStatus } from '../harness/chaos-poll';
import { type ChaosReceiver, startChaosReceiver } from '../harness/chaos-receiver';
import { chaosPolicy, HOOK_SECRET_ENV } from '../harness/chaos-policy';
import { type ChaosStack, OLD, startChaosStack } from '../harness/chaos-stack';
import { ChaosTemporal } from '../harness/chaos-temporal';
import { ChaosWorkers, writeTargetsFile } from '../harness/chaos-worker';

/**
 * The Temporal server itself dies (SIGKILL) while a guardian watches a canary,
 * and comes back on the same database file. The guardian must carry on from
 * where it was — the same run, its evaluations continuing from the same index,
 * none repeated, none lost — and still catch the regression that starts after
 * the restart and roll it back through the real nginx and release targets.
 */

let dir: string;
let temporal: ChaosTemporal | undefined;
let stack: ChaosStack | undefined;
let receiver: ChaosReceiver | undefined;
let workers: ChaosWorkers | undefined;
let client: Client | undefined;

afterAll(async () => {
  await workers?.stop();
  await client?.connection.close().catch(() => undefined);
  await temporal?.stop();
  await stack?.stop();
  await receiver?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the dev server killed during a watch and restarted on its database: the guardian resumes and rolls back', async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-chaos-server-'));
  const secret = randomBytes(32).toString('hex');
  temporal = await ChaosTemporal.start({ dbFile: join(dir, 'temporal.db') });
  receiver = await startChaosReceiver({ secret });
  // Degrades 20 s after its deploy: the server is usually killed and back before (if not, the regression
  // starts while it is down, and must be caught all the same).
  stack = await startChaosStack({ dir, canaryBehaviour: 'degrading', warmupSeconds: 20 });
  const taskQueue = `chaos-server-${randomUUID()}`;
  const stateDir = join(dir, 'state');
  workers = new ChaosWorkers({
    address: temporal.address,
    taskQueue,
    stateDir,
    targetsFile: writeTargetsFile(dir, {
      ...stack.targets,
      webhooks: { type: 'webhook', timeoutSeconds: 10 },
    }),
    env: { [HOOK_SECRET_ENV]: secret },
  });
  await workers.start();
  trace('worker running');

  const { policy, hash } = chaosPolicy({
    prometheusUrl: stack.fleet.prometheus.url,
    hookUrl: receiver.hookUrl,
    notifyUrl: receiver.notifyUrl,
  });
  client = await connectClient({
    profileName: 'chaos',
    address: temporal.address,
    namespace: 'default',
    taskQueue,
  });
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
  expect(audit.filter((r) => r.kind === 'step' && /done/.test(r.summary))).toHaveLength(3);
  expect(audit.at(-1)).toMatchObject({ kind: 'outcome', summary: expect.stringMatching(/^rolled-back/) });
}, 420_000);
