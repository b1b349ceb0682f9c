import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { defaultActivityDeps, type DefaultActivityDeps } from '../../src/worker/composition';
import { connectClient } from '../../src/client/connect';
import { type GuardianHandle, sendAction, startGuardian } from '../../src/client/guardians';
import { type NginxServer, startNginx } from '../../src/dev/nginx';
import { findFreePort } from '../../src/dev/ports';
import { TargetRegistry } from '../../src/targets';
import { CircuitBreakers, type CircuitState } from '../../src/targets/support/circuit-breaker';
import { NginxTrafficTarget, readServiceState, setCanaryWeight } from '../../src/targets/nginx';
import { WebhookTarget } from '../../src/targets/webhook';
import { createWorker } from '../../src/worker';
import {
  activityAttempts,
  auditRecords,
  scheduledActivities,
  verifyAuditFile,
} from '../harness/chaos-evidence';
import { chaosPolicy, HOOK_SECRET_ENV } from '../harness/chaos-policy';
import { trace, waitForStatus, waitUntil } from '../harness/chaos-poll';
import { type ChaosReceiver, startChaosReceiver } from '../harness/chaos-receiver';
import { ChaosTemporal } from '../harness/chaos-temporal';
import { bundleWorkflows, quietRuntime } from '../harness/temporal';

/**
 * A rollback target that fails: the deploy system answers 503, then stops
 * answering at all (each call times out). The webhook step is retried with
 * backoff; the endpoint's circuit breaker opens after repeated failures, so
 * that ripcord stops hammering a system that is down, and lets one trial call
 * through after its reset time. When the step has failed for good, the
 * guardian undoes what it did (the webhook's own compensation, then the nginx
 * drain) and escalates. The deploy system recovers meanwhile: the trial call
 * succeeds and the circuit closes again.
 *
 * The worker runs in this process so that its circuits can be watched and
 * given short timings; the targets (nginx, the deploy system over HTTP) and
 * the Temporal server are real.
 */

let dir: string;
let temporal: ChaosTemporal | undefined;
let nginx: NginxServer | undefined;
let receiver: ChaosReceiver | undefined;
let client: Client | undefined;
let worker: { worker: Worker; run: Promise<void>; close: () => Promise<void> } | undefined;
let deps: DefaultActivityDeps | undefined;
let breakers: CircuitBreakers | undefined;

afterAll(async () => {
  if (worker) {
    worker.worker.shutdown();
    await worker.run.catch(() => undefined);
    await worker.close();
  }
  await deps?.close();
  breakers?.shutdown();
  await client?.connection.close().catch(() => undefined);
  await temporal?.stop();
  await nginx?.stop();
  await receiver?.stop();
  delete process.env[HOOK_SECRET_ENV];
  rmSync(dir, { recursive: true, force: true });
});

/** Steady, healthy traffic for both groups: the guardian's health reads are not what this test is about. */
function healthyScenario(file: string): void {
  const intervals = 400;
  const fill = (value: number) => ({
    baseline: Array(intervals).fill(value),
    canary: Array(intervals).fill(value),
  });
  writeFileSync(
    file,
    JSON.stringify({
      format: 'ripcord.scenario/v1',
      name: 'healthy',
      intervalSeconds: 3,
      series: { requests: fill(600), errors: fill(3), latency_p99_ms: fill(120) },
    }),
  );
}

const RESET_MS = 8_000;

test('a failing target: retries with backoff, the circuit opens and closes, compensation to a safe state, escalation', async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-chaos-targets-'));
  quietRuntime();
  const secret = randomBytes(32).toString('hex');
  process.env[HOOK_SECRET_ENV] = secret;
  const bundle = bundleWorkflows();
  temporal = await ChaosTemporal.start();
  receiver = await startChaosReceiver({ secret });
  nginx = await startNginx({ dir: join(dir, 'nginx'), port: await findFreePort(), services: ['checkout'] });
  const traffic = {
    type: 'nginx' as const,
    ...nginx.targetPaths,
    pauseScale: 1,
    reloadTimeoutSeconds: 10,
    services: {
      checkout: { pattern: 'canary' as const, baseline: '127.0.0.1:18081', canary: '127.0.0.1:18082' },
    },
  };
  await setCanaryWeight(traffic, 'checkout', 50);

  // Short timings, so that the whole story fits in seconds: three failures open a circuit, which
  // lets a trial call through after 8 s — longer than the step's longest backoff (4 s), so that
  // at least one retry meets it open.
  breakers = new CircuitBreakers({ minimumCalls: 3, failureThresholdPercent: 50, resetTimeoutMs: RESET_MS });
  const transitions: CircuitState[] = [];
  breakers.onStateChange((endpoint, state) => {
    if (endpoint === receiver!.url) transitions.push(state);
  });
  const stateDir = join(dir, 'state');
  deps = defaultActivityDeps({
    stateDir,
    insecureClaims: true,
    // Health is a replayed healthy scenario; the steps are real (what this worker is tested on).
    acceptReplay: true,
    targets: new TargetRegistry({
      'shift-traffic': new NginxTrafficTarget(traffic),
      // Each call may take 2 s; after that it counts as a timeout.
      webhook: new WebhookTarget({ type: 'webhook', timeoutSeconds: 2 }, { breakers }),
    }),
  });
  const taskQueue = `chaos-targets-${randomUUID()}`;
  const connection = { profileName: 'chaos', address: temporal.address, namespace: 'default', taskQueue };
  const created = await createWorker({ connection, deps, workflowBundle: await bundle });
  worker = { worker: created.worker, run: created.worker.run(), close: created.close };
  client = await connectClient(connection);

  const retries = { maxAttempts: 6, backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 4 } };
  const { policy, hash } = chaosPolicy(
    { prometheusUrl: 'http://127.0.0.1:9', hookUrl: receiver.hookUrl, notifyUrl: receiver.notifyUrl },
    (p) => {
      p.plan.steps = [
        { ...p.plan.steps[0], weights: [0] },
        { ...p.plan.steps[2], timeoutSeconds: 10, retries },
      ];
    },
  );
  const scenarioFile = join(dir, 'healthy.json');
  healthyScenario(scenarioFile);
  const deploymentId = `targets-${randomUUID().slice(0, 8)}`;
  const handle: GuardianHandle = await startGuardian(client, taskQueue, {
    deployment: {
      deploymentId,
      service: 'checkout',
      environment: policy.metadata.environment,
      version: '2.0.0',
      previousVersion: '1.9.0',
      deployer: 'chaos-pipeline',
      deployedAt: new Date().toISOString(),
    },
    policy,
    policyHash: hash,
    replay: { scenarioFile },
    watchSeconds: 600,
  });
  await waitForStatus(handle, 'the first evaluation', (s) => s.evaluations >= 1);

  // The deploy system fails twice with 503, then hangs on every call: each one times out.
  receiver.scriptHookModes(['error', 'error']);
  receiver.setHookMode('hang');
  const asked = await sendAction(handle, 'rollbackNow', {
    actor: 'team-payments',
    role: 'owner',
    reason: 'chaos drill',
  });
  expect(asked).toMatchObject({ accepted: true });

  const failed = await waitForStatus(
    handle,
    'the webhook step to fail for good',
    (s) => s.plan?.steps[1]?.state === 'failed',
    {
      timeoutMs: 180_000,
    },
  );
  trace(`step failed: ${failed.plan?.steps[1]?.detail ?? ''}`);
  // The deploy system is back: the compensation's call gets through once the circuit lets a trial call pass.
  receiver.setHookMode('ok');
  const closed = await waitForStatus(handle, 'the guardian to close', (s) => s.outcome !== undefined, {
    timeoutMs: 180_000,
  });

  // The outcome is shown before its audit record is written: the run's end is after both.
  await handle.result();
  // Escalated, with production put back where it was before the rollback started.
  expect(closed.outcome).toBe('escalated');
  expect(closed.reason).toMatch(/^step 1 \(tell-deploy-system\) failed: .*; completed steps were undone$/);
  expect(closed.plan?.steps.map((s) => s.state)).toEqual(['compensated', 'failed']);
  const nginxState = (await readServiceState(traffic, 'checkout')).state;
  expect(nginxState).toEqual({ pattern: 'canary', canaryWeight: 50 });
  const [record] = readdirSync(traffic.stateDir).map(
    (f) => JSON.parse(readFileSync(join(traffic.stateDir, f), 'utf8')) as Record<string, unknown>,
  );
  expect(record).toHaveProperty('compensatedAt');

  // Retried with backoff: every attempt the policy allows, the gaps between them growing.
  const activities = await scheduledActivities(handle);
  const attempts = await activityAttempts(handle);
  const webhookStep = activities.find(
    (a) => a.type === 'executeStep' && (a.input as { step: { index: number } }).step.index === 1,
  )!;
  expect(attempts.get(webhookStep.eventId)).toBe(retries.maxAttempts);
  const rollbackCalls = receiver.hookCalls().filter((c) => c.action === 'rollback');
  expect(rollbackCalls.slice(0, 3).map((c) => c.answered)).toEqual(['error', 'error', 'hung']);
  const gaps = rollbackCalls.slice(1, 3).map((c, i) => c.at - rollbackCalls[i]!.at);
  expect(gaps[0]).toBeGreaterThanOrEqual(900); // initial backoff 1 s
  expect(gaps[1]).toBeGreaterThanOrEqual(1_900); // then 2 s
  // The open circuit spared the deploy system: some attempts never reached it.
  expect(rollbackCalls.length).toBeLessThan(retries.maxAttempts);
  expect(rollbackCalls.every((c) => c.answered !== 'accepted')).toBe(true);

  // The circuit opened, let a trial call through after its reset time, and closed on the success.
  expect(transitions).toContain('open');
  expect(transitions.indexOf('half-open')).toBeGreaterThan(transitions.indexOf('open'));
  expect(transitions.at(-1)).toBe('closed');
  expect(breakers.state(receiver.url)).toBe('closed');

  // The deploy system acted once: on the compensation, never on the rollback it could not take.
  expect(receiver.jobs().map((j) => ({ action: j.action, acted: j.acted }))).toEqual([
    { action: 'compensate', acted: 1 },
  ]);

  // People were paged: the rollback failed, then the escalation.
  await waitUntil('the pages', () => {
    const events = receiver!.notifications().map((n) => n.event);
    return events.includes('rollback-failed') && events.includes('escalated') && events;
  });
  expect(receiver.refused()).toBe(0);

  // The audit trail: the step failed for good, both undone newest first, the escalation last.
  const auditFile = join(stateDir, 'audit.jsonl');
  expect(verifyAuditFile(auditFile)).toMatchObject({ ok: true });
  const audit = auditRecords(auditFile, deploymentId);
  expect(
    audit.flatMap((r) =>
      r.kind === 'step'
        ? [['step', r.details.index, r.details.name, r.details.state]]
        : r.kind === 'compensation'
          ? [['undo', r.details.index, r.details.name, r.details.undone ? 'undone' : 'not undone']]
          : [],
    ),
  ).toEqual([
    ['step', 0, 'drain-canary', 'done'],
    ['step', 1, 'tell-deploy-system', 'failed'],
    ['undo', 1, 'tell-deploy-system', 'undone'],
    ['undo', 0, 'drain-canary', 'undone'],
  ]);
  expect(audit.at(-1)).toMatchObject({
    kind: 'outcome',
    details: { outcome: 'escalated', reason: 'step-failed', compensated: true },
  });
}, 400_000);
