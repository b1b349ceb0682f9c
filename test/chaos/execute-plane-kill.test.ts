import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../src/client/connect';
import { type GuardianHandle, guardianStatus, startGuardian } from '../../src/client/guardians';
import { type NginxServer, startNginx } from '../../src/dev/nginx';
import { findFreePort } from '../../src/dev/ports';
import { executeTaskQueue } from '../../src/model/planes';
import { readServiceState, setCanaryWeight } from '../../src/targets/nginx';
import type { WorkerTargetsFile } from '../../src/worker/targets-file';
import {
  activityAttempts,
  auditRecords,
  scheduledActivities,
  verifyAuditFile,
} from '../harness/chaos-evidence';
import { chaosPolicy } from '../harness/chaos-policy';
import { pendingWork, trace, waitUntil } from '../harness/chaos-poll';
import { type ChaosReceiver, startChaosReceiver } from '../harness/chaos-receiver';
import { nginxStepRecords } from '../harness/chaos-setup';
import { ChaosTemporal } from '../harness/chaos-temporal';
import { writeTargetsFile } from '../harness/chaos-worker';
import { CliProcess } from '../harness/cli';
import { describeLeaks, findLeaks, randomSecret } from '../harness/secret-scan';

/**
 * Issue #21's chaos acceptance: killing the execute worker mid-step loses
 * nothing and applies nothing twice.
 *
 * Two planes as separate `ripcord worker` processes on the chaos tier's own
 * dev server: one decide worker (guardian, health, bookkeeping, notifications;
 * no production credential) that stays up throughout, and the execute plane
 * of `production` (the targets file: a real nginx and the deploy system's
 * webhook, whose HMAC secret only this plane holds). A replayed regression
 * makes the guardian roll back with a plan of two steps, both scheduled on
 * `<queue>--execute--production`:
 *
 *  0. nginx shift-traffic of the canary, which holds 60%: 50 → 25 → 0 with a
 *     3 s pause between stages. The execute worker is SIGKILLed in the pause
 *     before the last stage, and a new one started;
 *  1. a webhook to the deploy system, whose job takes seconds to finish. The
 *     execute worker is SIGKILLed while the step follows the job's status, and
 *     another one started.
 *
 * Afterwards everything says "once": the guardian closed rolled back; nginx
 * went 60, 50, 25, 0 and never back up; one nginx record for the step, not
 * undone; one job at the deploy system, acted on once, no request refused;
 * each step scheduled once on the execute queue (its first attempt died with
 * its worker), nothing compensated; the decide worker the same process from
 * start to end, never holding or showing the webhook's secret; the audit
 * trail whole, one `done` per step.
 */
jest.setTimeout(300_000);

const SERVICE = 'checkout';
const ENVIRONMENT = 'production';
/** The canary weight before the rollback (the policy's canary holds it; the step's snapshot must say so). */
const START_WEIGHT = 60;
/** The deploy system's secret: only the execute plane is given it. */
const HOOK_SECRET_NAME = 'EXEC_KILL_HOOK_HMAC';
const HOOK_SECRET = randomSecret();
/** The notification receiver's secret: the decide plane may hold it (--allow-secret). */
const NOTIFY_SECRET_NAME = 'EXEC_KILL_NOTIFY_HMAC';
const NOTIFY_SECRET = randomSecret();
/** How long the deploy system's job runs before its status says succeeded: time to kill the follower. */
const JOB_SECONDS = 8;

let dir: string;
let temporal: ChaosTemporal | undefined;
let nginx: NginxServer | undefined;
let traffic: NonNullable<WorkerTargetsFile['targets']['traffic']>;
const backends: Server[] = [];
/** The deploy system: receives the webhook step, verifies its signature with the execute plane's secret. */
let receiver: ChaosReceiver | undefined;
/** The on-call's receiver of notifications (sent by the decide plane), with a secret of its own. */
let oncall: ChaosReceiver | undefined;
let decide: CliProcess | undefined;
let decidePid: number | undefined;
let executors: ExecuteWorkers | undefined;
let client: Client | undefined;
let taskQueue: string;
let served: ReturnType<typeof watchWeights> | undefined;

/** Only what each process is given: nothing of this test process's RIPCORD_SECRET_* or RIPCORD_TARGETS. */
function cliEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const unset = Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => k.startsWith('RIPCORD_SECRET_') || k === 'RIPCORD_TARGETS')
      .map((k) => [k, undefined]),
  );
  return {
    ...unset,
    TEMPORAL_ADDRESS: temporal!.address,
    RIPCORD_TASK_QUEUE: taskQueue,
    RIPCORD_PROFILE: '',
    ...extra,
  };
}

/**
 * `ripcord worker --plane execute --environment production` processes, one
 * at a time, sharing a state dir; SIGKILLed and replaced by the test.
 */
class ExecuteWorkers {
  private current: CliProcess | undefined;
  private readonly all: CliProcess[] = [];
  killed = 0;

  constructor(
    private readonly targetsFile: string,
    private readonly stateDir: string,
  ) {}

  async start(): Promise<void> {
    const worker = new CliProcess(
      [
        'worker',
        '--plane',
        'execute',
        '--environment',
        ENVIRONMENT,
        '--targets',
        this.targetsFile,
        '--insecure-claims',
        '--state-dir',
        this.stateDir,
      ],
      cliEnv({ [`RIPCORD_SECRET_${HOOK_SECRET_NAME}`]: HOOK_SECRET }),
    );
    this.current = worker;
    this.all.push(worker);
    await worker.waitFor(/ripcord worker running/, 180_000);
  }

  /** SIGKILL (no shutdown, no chance to finish or report its activity), then a new execute worker. */
  async replace(): Promise<void> {
    const worker = this.current!;
    worker.child.kill('SIGKILL');
    await worker.exited;
    this.current = undefined;
    this.killed += 1;
    await this.start();
  }

  output(): string {
    return this.all
      .map((w, i) => `--- execute worker ${i + 1} (pid ${w.child.pid}) ---\n${w.stdout}\n${w.stderr}`)
      .join('\n');
  }

  async stop(): Promise<void> {
    const worker = this.current;
    this.current = undefined;
    if (worker === undefined) return;
    const timer = setTimeout(() => worker.child.kill('SIGKILL'), 15_000);
    try {
      await worker.stop('SIGTERM');
    } finally {
      clearTimeout(timer);
    }
  }
}

function backend(version: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'x-version': version });
    res.end(version);
  });
  backends.push(server);
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => done(`127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-chaos-execute-kill-'));
  taskQueue = `chaos-execute-kill-${randomUUID()}`;
  temporal = await ChaosTemporal.start();
  const [v1, v2] = await Promise.all([backend('1.9.0'), backend('2.0.0')]);
  nginx = await startNginx({ dir: join(dir, 'nginx'), port: await findFreePort(), services: [SERVICE] });
  traffic = {
    type: 'nginx',
    ...nginx.targetPaths,
    // Real pauses: the first kill lands in the pause between two stages.
    pauseScale: 1,
    reloadTimeoutSeconds: 10,
    services: { [SERVICE]: { pattern: 'canary', baseline: v1, canary: v2 } },
  };
  await setCanaryWeight(traffic, SERVICE, START_WEIGHT);
  receiver = await startChaosReceiver({ secret: HOOK_SECRET, jobSeconds: JOB_SECONDS });
  oncall = await startChaosReceiver({ secret: NOTIFY_SECRET });
  const targetsFile = writeTargetsFile(dir, {
    traffic,
    webhooks: { type: 'webhook', allowedHosts: ['127.0.0.1'], timeoutSeconds: 10 },
  });

  decide = new CliProcess(
    [
      'worker',
      '--plane',
      'decide',
      '--insecure-claims',
      '--accept-replay',
      '--allow-secret',
      NOTIFY_SECRET_NAME,
      '--state-dir',
      join(dir, 'decide'),
    ],
    cliEnv({ [`RIPCORD_SECRET_${NOTIFY_SECRET_NAME}`]: NOTIFY_SECRET }),
  );
  executors = new ExecuteWorkers(targetsFile, join(dir, 'execute'));
  await Promise.all([decide.waitFor(/ripcord worker running/, 180_000), executors.start()]);
  decidePid = decide.child.pid;
  client = await connectClient({
    profileName: 'chaos',
    address: temporal.address,
    namespace: 'default',
    taskQueue,
  });
}, 300_000);

afterAll(async () => {
  await served?.stop();
  await executors?.stop();
  await decide?.stop();
  await client?.connection.close().catch(() => undefined);
  await temporal?.stop();
  await nginx?.stop();
  await receiver?.stop();
  await oncall?.stop();
  await Promise.all(backends.map((s) => new Promise((done) => s.close(done))));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Every step: quick retries; a dead worker's step is retried a heartbeat timeout (= its timeout) after its last heartbeat.
const retries = { maxAttempts: 5, backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 4 } };

/**
 * The chaos tier's policy for checkout in production: the canary holds 60%
 * for the whole watch (so the drain is 50 → 25 → 0: a rollback skips stages
 * at or above the weight the canary holds), then the deploy system is told.
 * The webhook step's secret is the execute plane's; the notifications' the
 * decide plane's.
 */
function policy() {
  return chaosPolicy(
    { prometheusUrl: 'http://127.0.0.1:9', hookUrl: receiver!.hookUrl, notifyUrl: oncall!.notifyUrl },
    (p) => {
      p.metadata.service = SERVICE;
      p.metadata.environment = ENVIRONMENT;
      p.deployment.steps = [
        { weight: START_WEIGHT, holdSeconds: 3600 },
        { weight: 100, holdSeconds: 0 },
      ];
      p.plan.steps = [
        {
          name: 'drain-canary',
          type: 'shift-traffic',
          weights: [50, 25, 0],
          pauseSeconds: 3,
          timeoutSeconds: 8,
          retries,
          verify: { targetState: true, settleSeconds: 0, timeoutSeconds: 20 },
        },
        {
          name: 'tell-deploy-system',
          type: 'webhook',
          url: receiver!.hookUrl,
          hmacSecret: `\${secret:${HOOK_SECRET_NAME}}`,
          timeoutSeconds: 10,
          retries,
          verify: { targetState: true, settleSeconds: 0, timeoutSeconds: 30 },
        },
      ];
      p.notifications[0].hmacSecret = `\${secret:${NOTIFY_SECRET_NAME}}`;
      delete p.trustedKeys;
    },
  );
}

/**
 * A canary whose error rate goes from 0.5% to 2.5% at interval 4: a clear
 * regression, but not evidence so overwhelming (a crash) that the plan would
 * drain the canary in one stage.
 */
function regressionScenario(): string {
  const length = 40;
  const series = (f: (i: number) => number, g: (i: number) => number) => ({
    baseline: Array.from({ length }, (_, i) => f(i)),
    canary: Array.from({ length }, (_, i) => g(i)),
  });
  const file = join(dir, 'regression.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'ripcord.scenario/v1',
      name: 'execute plane kill',
      intervalSeconds: 3,
      series: {
        requests: series(
          () => 1000,
          () => 1000,
        ),
        errors: series(
          (i) => 4 + (i % 3),
          (i) => (i >= 4 ? 25 : 4 + ((i + 1) % 3)),
        ),
        latency_p99_ms: series(
          () => 200,
          () => 210,
        ),
      },
    }),
  );
  return file;
}

async function weight(): Promise<number | undefined> {
  const state = await readServiceState(traffic, SERVICE);
  return state.state?.pattern === 'canary' ? state.state.canaryWeight : undefined;
}

/**
 * Every canary weight nginx was configured with, in order (a repeat of the
 * same weight is one entry). Polled well inside the 3 s pauses, so no stage
 * goes unseen.
 */
function watchWeights(): { stop(): Promise<number[]> } {
  const seen: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const now = await weight().catch(() => undefined);
      if (now !== undefined && seen.at(-1) !== now) seen.push(now);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

/**
 * Waits until the target itself shows the step half done, then SIGKILLs the
 * execute worker at once and starts another. The target is watched, not the
 * guardian; that the kill landed mid-step is proved afterwards by the step's
 * second attempt in the history.
 */
async function killExecutorDuring(
  handle: GuardianHandle,
  what: string,
  inTheMiddle: () => boolean,
): Promise<void> {
  await waitUntil(what, inTheMiddle, { intervalMs: 100, timeoutMs: 180_000 }).catch(async (error: Error) => {
    const steps = (await guardianStatus(handle).catch(() => undefined))?.plan?.steps;
    const shown = steps?.map((s) => `${s.index}:${s.state} ${s.detail ?? ''}`).join('; ') ?? 'unknown';
    throw new Error(
      `${error.message}\n  steps: ${shown}${await pendingWork(handle)}\n` +
        `--- decide worker ---\n${decide!.stdout}\n${decide!.stderr}\n`.slice(-4_000) +
        executors!.output().slice(-6_000),
    );
  });
  trace(`killing the execute worker: ${what}`);
  await executors!.replace();
  trace('a new execute worker runs');
}

test('the execute worker killed in the middle of each step: new executors finish the rollback, every effect once', async () => {
  const loaded = policy();
  const deploymentId = `exec-kill-${randomUUID().slice(0, 8)}`;
  const handle = await startGuardian(client!, taskQueue, {
    deployment: {
      deploymentId,
      service: SERVICE,
      environment: ENVIRONMENT,
      version: '2.0.0',
      previousVersion: '1.9.0',
      deployedAt: new Date().toISOString(),
    },
    policy: loaded.policy,
    policyHash: loaded.hash,
    replay: { scenarioFile: regressionScenario() },
    speed: 3,
    watchSeconds: 100,
  });
  served = watchWeights();

  // 0: nginx at 25% in the pause before its last stage (two stages written and reloaded).
  await killExecutorDuring(handle, 'nginx at 25% in the pause before the last stage', () =>
    nginxStepRecords(traffic.stateDir).some((r) => r.stagesDone === 2 && r.appliedAt === undefined),
  );
  // 1: the deploy system accepted the job; the step follows its status URL (the job runs on).
  await killExecutorDuring(handle, 'the webhook step following the job status', () =>
    receiver!.jobs().some((j) => j.action === 'rollback' && Date.now() < j.doneAt - 2_000),
  );

  const result = await handle.result();
  const weights = await served.stop();
  expect(executors!.killed).toBe(2);
  expect({ outcome: result.outcome, reason: result.reason }).toEqual({
    outcome: 'rolled-back',
    reason: expect.stringContaining('rolled back to 1.9.0'),
  });

  // nginx: drained, each stage served once and never back up (the new executor went on from 25%, it did
  // not start the step again); one record for the step, its snapshot the weight from before the rollback
  // (not the 25 the killed attempt left), all three stages done, nothing undone.
  expect(weights).toEqual([START_WEIGHT, 50, 25, 0]);
  expect(await weight()).toBe(0);
  const records = nginxStepRecords(traffic.stateDir);
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({
    service: SERVICE,
    beforeState: { pattern: 'canary', canaryWeight: START_WEIGHT },
    target: { pattern: 'canary', canaryWeight: 0 },
    stagesDone: 3,
    appliedAt: expect.any(String),
  });
  expect(records[0]).not.toHaveProperty('compensatedAt');

  // The deploy system: delivered again after the kill under the same key, acted on once; every request
  // signed with the secret only the execute plane holds.
  expect(
    receiver!
      .jobs()
      .map((j) => ({ action: j.action, step: j.step, acted: j.acted, deliveries: j.deliveries })),
  ).toEqual([{ action: 'rollback', step: 'tell-deploy-system', acted: 1, deliveries: 2 }]);
  expect(receiver!.hookCalls().map((c) => c.answered)).toEqual(['accepted', 'replayed']);
  expect(receiver!.refused()).toBe(0);
  expect(oncall!.refused()).toBe(0);
  expect(oncall!.notifications().map((n) => n.event)).toContain('rollback-completed');

  // Temporal: each step scheduled once, on the execute plane's queue; its first attempt died with its
  // worker, the second finished it (same key); nothing compensated.
  const activities = await scheduledActivities(handle);
  const history = await handle.fetchHistory();
  const queues = new Map<number, string>();
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) queues.set(Number(event.eventId), scheduled.taskQueue?.name ?? '');
  }
  const steps = activities.filter((a) => a.type === 'executeStep');
  const attempts = await activityAttempts(handle);
  expect(
    steps.map((s) => ({
      step: (s.input as { step: { name: string } }).step.name,
      queue: queues.get(s.eventId),
      attempts: attempts.get(s.eventId),
    })),
  ).toEqual([
    { step: 'drain-canary', queue: executeTaskQueue(taskQueue, ENVIRONMENT), attempts: 2 },
    { step: 'tell-deploy-system', queue: executeTaskQueue(taskQueue, ENVIRONMENT), attempts: 2 },
  ]);
  expect(activities.filter((a) => a.type === 'compensateStep')).toEqual([]);
  // Nothing else went to the execute plane, nothing of the steps to the decide plane's queue.
  expect(
    activities
      .filter((a) => a.type !== 'executeStep')
      .map((a) => queues.get(a.eventId))
      .filter((q) => q !== taskQueue),
  ).toEqual([]);

  // The decide worker: the same process from start to end, never restarted; the webhook's secret in
  // neither its environment nor anything it said.
  expect(decide!.child.pid).toBe(decidePid);
  expect({ exitCode: decide!.child.exitCode, signal: decide!.child.signalCode }).toEqual({
    exitCode: null,
    signal: null,
  });
  expect(decide!.stdout.match(/ripcord worker running/g)).toHaveLength(1);
  const environ = readFileSync(`/proc/${decidePid}/environ`, 'utf8');
  expect(environ).not.toContain(`RIPCORD_SECRET_${HOOK_SECRET_NAME}`);
  const leaks = [
    ...findLeaks(environ, { [HOOK_SECRET_NAME]: HOOK_SECRET }, 'the decide worker environment'),
    ...findLeaks(decide!.stdout, { [HOOK_SECRET_NAME]: HOOK_SECRET }, 'the decide worker stdout'),
    ...findLeaks(decide!.stderr, { [HOOK_SECRET_NAME]: HOOK_SECRET }, 'the decide worker stderr'),
  ];
  expect(describeLeaks(leaks)).toBe('');

  // The audit trail (the decide plane keeps the books): whole, one `done` per step under the key of
  // the nginx record, no compensation, the outcome last.
  const auditFile = join(dir, 'decide', 'audit.jsonl');
  expect(verifyAuditFile(auditFile)).toMatchObject({ ok: true });
  const audit = auditRecords(auditFile, deploymentId);
  const stepRecords = audit.filter((r) => r.kind === 'step');
  expect(stepRecords.map((r) => [r.details.index, r.details.name, r.details.state])).toEqual([
    [0, 'drain-canary', 'done'],
    [1, 'tell-deploy-system', 'done'],
  ]);
  expect((stepRecords[0]!.details as { idempotencyKey: string }).idempotencyKey).toBe(records[0]!.key);
  expect(audit.filter((r) => r.kind === 'compensation')).toEqual([]);
  expect(audit.at(-1)).toMatchObject({ kind: 'outcome', details: { outcome: 'rolled-back' } });
  // Whatever the execute plane recorded itself (its checks), its trail is whole too.
  const executeAudit = join(dir, 'execute', 'audit.jsonl');
  if (existsSync(executeAudit)) expect(verifyAuditFile(executeAudit)).toMatchObject({ ok: true });
});
