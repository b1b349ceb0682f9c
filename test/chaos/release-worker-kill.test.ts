import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { parseDocument } from 'yaml';
import { connectClient } from '../../src/client/connect';
import type { GuardianHandle } from '../../src/client/guardians';
import { type ReleaseHandle, releaseStatus, startRelease } from '../../src/client/releases';
import { type NginxServer, startNginx } from '../../src/dev/nginx';
import { findFreePort } from '../../src/dev/ports';
import type { ReleaseInput } from '../../src/model/release';
import { parsePolicyText } from '../../src/policy';
import type { ReleaseScenario } from '../../src/releases/scenario';
import { readServiceState, setCanaryWeight } from '../../src/targets/nginx';
import type { WorkerTargetsFile } from '../../src/worker/targets-file';
import {
  activityAttempts,
  auditRecords,
  scheduledActivities,
  verifyAuditFile,
} from '../harness/chaos-evidence';
import { pendingWork, trace, waitUntil } from '../harness/chaos-poll';
import { nginxStepRecords } from '../harness/chaos-setup';
import { ChaosTemporal } from '../harness/chaos-temporal';
import { writeTargetsFile } from '../harness/chaos-worker';
import { CliProcess } from '../harness/cli';

/**
 * Issue #20's chaos acceptance: the worker is killed in the middle of a
 * coordinated rollback; nothing is lost and no step is applied twice.
 *
 * A release of payments 2.0 and checkout 2.0 (checkout calls payments) in mode
 * `together`: payments' canary regresses (a replayed release scenario), so the
 * release rolls back both, the caller first, each member with its own part of
 * the one release plan. Each part is one real nginx shift-traffic step of
 * three stages (60 → 50 → 25 → 0) with a pause between stages. The worker, a
 * real `ripcord worker --accept-replay` process, is SIGKILLed in the pause
 * before the last stage of checkout's step, and again in that of payments'
 * step; each time a new worker takes over.
 *
 * Afterwards everything says "once": the release closed rolled back with
 * [checkout, payments], each member rolled back; nginx at 0 for both, having
 * served each weight once on the way (a step started again would send traffic
 * back up to 50); one step record per member whose snapshot is the state from
 * before the rollback; one executeStep per member (two attempts: the first
 * died with its worker); one release-member record per member, one `done` per
 * member step; the audit chain whole.
 */
jest.setTimeout(300_000);

const REPO_ROOT = resolve(__dirname, '..', '..');
const INTERVAL = 10;
/** Data waits run ten times faster: an interval is a second. */
const SPEED = 10;
const LENGTH = 40;
const ONSET = 3;
/** The canary weight both members run at before the rollback (the step's snapshot must say so). */
const START_WEIGHT = 60;
const PAYMENTS = 'payments';
const CHECKOUT = 'checkout';

let dir: string;
let stateDir: string;
let temporal: ChaosTemporal | undefined;
let nginx: NginxServer | undefined;
let traffic: NonNullable<WorkerTargetsFile['targets']['traffic']>;
const backends: Server[] = [];
let workers: ReplayWorkers | undefined;
let client: Client | undefined;
let taskQueue: string;
/** The weights nginx served during the test (stopped in afterAll too, should the test fail first). */
let served: ReturnType<typeof watchWeights> | undefined;
/** Where notifications would go: the old version's backend, which answers 200 to anything. */
let hookHost: string;
const HOOK_SECRET = 'RELEASE_KILL_HOOK_HMAC';

/**
 * `ripcord worker` processes as ChaosWorkers starts them (targets file,
 * --insecure-claims, a shared state dir), with `--accept-replay` as well: the
 * release's health is a replayed scenario, which a production worker refuses.
 */
class ReplayWorkers {
  private current: CliProcess | undefined;
  private readonly all: CliProcess[] = [];
  killed = 0;

  constructor(private readonly options: { address: string; taskQueue: string; targetsFile: string }) {}

  async start(): Promise<void> {
    const worker = new CliProcess(
      [
        'worker',
        '--targets',
        this.options.targetsFile,
        '--insecure-claims',
        '--accept-replay',
        '--notifications',
        'log',
        '--state-dir',
        stateDir,
      ],
      {
        TEMPORAL_ADDRESS: this.options.address,
        RIPCORD_TASK_QUEUE: this.options.taskQueue,
        RIPCORD_PROFILE: '',
        [`RIPCORD_SECRET_${HOOK_SECRET}`]: 'release-kill-hmac',
      },
    );
    this.current = worker;
    this.all.push(worker);
    await worker.waitFor(/ripcord worker running/, 180_000);
  }

  /** SIGKILL, then a new worker (which waits for the server to hand it the work). */
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
      .map((w, i) => `--- worker ${i + 1} (pid ${w.child.pid}) ---\n${w.stdout}\n${w.stderr}`)
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
  dir = mkdtempSync(join(tmpdir(), 'ripcord-chaos-release-kill-'));
  stateDir = join(dir, 'state');
  temporal = await ChaosTemporal.start();
  const [v1, v2] = await Promise.all([backend('1.9.0'), backend('2.0.0')]);
  hookHost = v1;
  nginx = await startNginx({
    dir: join(dir, 'nginx'),
    port: await findFreePort(),
    services: [PAYMENTS, CHECKOUT],
  });
  traffic = {
    type: 'nginx',
    ...nginx.targetPaths,
    // Real pauses: the kill lands in the pause between two stages.
    pauseScale: 1,
    reloadTimeoutSeconds: 10,
    services: Object.fromEntries(
      [PAYMENTS, CHECKOUT].map((s) => [s, { pattern: 'canary' as const, baseline: v1, canary: v2 }]),
    ),
  };
  for (const service of [PAYMENTS, CHECKOUT]) await setCanaryWeight(traffic, service, START_WEIGHT);
  taskQueue = `chaos-release-kill-${randomUUID()}`;
  workers = new ReplayWorkers({
    address: temporal.address,
    taskQueue,
    targetsFile: writeTargetsFile(dir, { traffic }),
  });
  await workers.start();
  client = await connectClient({
    profileName: 'chaos',
    address: temporal.address,
    namespace: 'default',
    taskQueue,
  });
}, 300_000);

afterAll(async () => {
  await served?.stop();
  await workers?.stop();
  await client?.connection.close().catch(() => undefined);
  await temporal?.stop();
  await nginx?.stop();
  await Promise.all(backends.map((s) => new Promise((done) => s.close(done))));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * The example p99 policy for one member, at a 10 s interval, without approval
 * or notifications, whose plan is one real nginx drain in three stages with a
 * 3 s pause between stages. Its 8 s timeout makes the heartbeat timeout 8 s: a
 * killed worker's step is retried 8 s after its last heartbeat. Notifications
 * go to a webhook (the policy must tell someone of an escalation); the workers
 * only log them.
 */
function memberPolicy(service: string) {
  const file = resolve(REPO_ROOT, 'policies', 'examples', 'canary-p99-only.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.setIn(['metadata', 'service'], service);
  // The canary holds START_WEIGHT for the whole watch: the plan drains it 60 → 50 → 25 → 0 (a rollback
  // skips any stage at or above the weight the canary holds).
  doc.setIn(
    ['deployment', 'steps'],
    doc.createNode([
      { weight: START_WEIGHT, holdSeconds: 3600 },
      { weight: 100, holdSeconds: 0 },
    ]),
  );
  doc.setIn(['evaluation', 'intervalSeconds'], INTERVAL);
  doc.setIn(['evaluation', 'confirmationWindowSeconds'], 20);
  doc.setIn(['evaluation', 'maxInconclusiveSeconds'], 300);
  doc.setIn(['recovery', 'deadlineSeconds'], 60);
  doc.setIn(
    ['plan', 'steps'],
    doc.createNode([
      {
        name: 'drain-canary',
        type: 'shift-traffic',
        weights: [50, 25, 0],
        pauseSeconds: 3,
        timeoutSeconds: 8,
        retries: { maxAttempts: 5, backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 4 } },
        verify: { targetState: true, settleSeconds: 0, timeoutSeconds: 20 },
      },
    ]),
  );
  doc.setIn(
    ['notifications'],
    doc.createNode([
      {
        name: 'hook',
        type: 'webhook',
        url: `http://${hookHost}/notify`,
        hmacSecret: `\${secret:${HOOK_SECRET}}`,
      },
    ]),
  );
  doc.delete('trustedKeys');
  doc.delete('approval');
  return parsePolicyText(doc.toString(), { filename: `${file} (${service})` });
}

type Series = Record<string, { baseline: Array<number | null>; canary?: Array<number | null> }>;

/** Counts per interval: 1,000 requests a group, errors as given, a steady p99. */
function series(errors: (i: number, group: 'baseline' | 'canary') => number, withCanary: boolean): Series {
  const groups = (f: (i: number, group: 'baseline' | 'canary') => number) => ({
    baseline: Array.from({ length: LENGTH }, (_, i) => f(i, 'baseline')),
    ...(withCanary ? { canary: Array.from({ length: LENGTH }, (_, i) => f(i, 'canary')) } : {}),
  });
  return {
    requests: groups(() => 1000),
    errors: groups(errors),
    latency_p99_ms: groups((i) => 300 + (i % 4) * 5),
  };
}

const wobble = (i: number, group: string) => 4 + ((i * 7 + (group === 'canary' ? 3 : 0)) % 4);

/** payments calls db (outside the release), checkout calls payments; payments' canary errors from ONSET. */
function scenario(): ReleaseScenario {
  return {
    format: 'ripcord.release-scenario/v1',
    name: 'release worker kill',
    intervalSeconds: INTERVAL,
    members: {
      db: { inRelease: false, dependsOn: [], series: series(wobble, false) },
      [PAYMENTS]: {
        inRelease: true,
        dependsOn: ['db'],
        series: series((i, g) => (g === 'canary' && i >= ONSET ? 120 : wobble(i, g)), true),
      },
      [CHECKOUT]: { inRelease: true, dependsOn: [PAYMENTS], series: series(wobble, true) },
    },
  } as ReleaseScenario;
}

function releaseInput(): ReleaseInput {
  const file = join(dir, 'release-scenario.json');
  writeFileSync(file, JSON.stringify(scenario()));
  const releaseId = `r-kill-${randomUUID().slice(0, 8)}`;
  const member = (service: string, dependsOn: string[]) => {
    const loaded = memberPolicy(service);
    return {
      deployment: {
        deploymentId: releaseId,
        service,
        environment: 'production',
        version: '2.0.0',
        previousVersion: '1.9.0',
        deployedAt: new Date().toISOString(),
      },
      policy: loaded.policy,
      policyHash: loaded.hash,
      dependsOn,
    };
  };
  const payments = member(PAYMENTS, ['db']);
  const checkout = member(CHECKOUT, [PAYMENTS]);
  return {
    releaseId,
    name: 'shop',
    environment: 'production',
    mode: 'together',
    startedAt: new Date().toISOString(),
    members: [payments, checkout],
    outside: [
      {
        service: 'db',
        version: '1.0.0',
        policy: payments.policy,
        policyHash: payments.policyHash,
        dependsOn: [],
      },
    ],
    settleSeconds: 20,
    watchSeconds: (LENGTH - 4) * INTERVAL,
    replay: { releaseScenarioFile: file },
    speed: SPEED,
  };
}

async function weight(service: string): Promise<number | undefined> {
  const state = await readServiceState(traffic, service);
  return state.state?.pattern === 'canary' ? state.state.canaryWeight : undefined;
}

/**
 * Every canary weight nginx was configured with, per member, in order (a
 * repeat of the same weight is one entry). Polled well inside the 3 s pauses,
 * so no stage goes unseen.
 */
function watchWeights(): { stop(): Promise<Record<string, number[]>> } {
  const seen: Record<string, number[]> = { [CHECKOUT]: [], [PAYMENTS]: [] };
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const service of [CHECKOUT, PAYMENTS]) {
        const now = await weight(service).catch(() => undefined);
        const list = seen[service]!;
        if (now !== undefined && list.at(-1) !== now) list.push(now);
      }
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

/** The nginx target's record of `service`'s step (one step per member). */
const recordsOf = (service: string) =>
  nginxStepRecords(traffic.stateDir).filter((r) => r.service === service);

/**
 * Waits until nginx itself shows `service`'s step between its second and last
 * stage (at 25%, in the pause), then SIGKILLs the worker at once and starts
 * another. The target is watched, not the status query (which goes through
 * the worker being killed); that the kill landed mid-step is proved afterwards
 * by the step's second attempt in the member's history.
 */
async function killBeforeLastStage(release: ReleaseHandle, service: string): Promise<void> {
  await waitUntil(
    `${service}'s drain in the pause before its last stage`,
    () => recordsOf(service).some((r) => r.stagesDone === 2 && r.appliedAt === undefined),
    { intervalMs: 100, timeoutMs: 180_000 },
  ).catch(async (error: Error) => {
    const status = await releaseStatus(release).catch(() => undefined);
    const members = status?.release.members.map((m) => `${m.service}: ${m.state}`).join('; ') ?? 'unknown';
    throw new Error(
      `${error.message}\n  release: ${status?.phase ?? '?'}; ${members}${await pendingWork(release as never)}\n` +
        workers!.output().slice(-6_000),
    );
  });
  trace(`killing the worker in the pause before the last stage of ${service}'s drain`);
  await workers!.replace();
  trace('a new worker runs');
}

test('the worker killed during each member of a coordinated rollback: the release finishes it, every step applied once', async () => {
  const input = releaseInput();
  const release = await startRelease(client!, input, { taskQueue });

  served = watchWeights();

  // Dependents first: checkout's part runs, then payments'. Kill the worker inside each.
  await killBeforeLastStage(release, CHECKOUT);
  await killBeforeLastStage(release, PAYMENTS);

  const result = await release.result();
  const weights = await served.stop();
  expect(workers!.killed).toBe(2);
  expect(result).toMatchObject({
    outcome: 'rolled-back',
    rolledBack: [CHECKOUT, PAYMENTS],
    members: { [CHECKOUT]: 'rolled-back', [PAYMENTS]: 'rolled-back' },
  });
  expect(result.verdicts.map((v) => ({ kind: v.kind, rollback: v.rollback }))).toEqual([
    { kind: 'isolated', rollback: [CHECKOUT, PAYMENTS] },
  ]);
  const status = await releaseStatus(release);
  // Members' ids are the release's to give (a replayed release names them as rehearsals): read them from it.
  const memberHandle = (service: string) =>
    client!.workflow.getHandle(
      status.release.members.find((m) => m.service === service)!.workflowId,
    ) as GuardianHandle;
  expect(status.release.members.map((m) => [m.service, m.state])).toEqual([
    [PAYMENTS, 'rolled-back'],
    [CHECKOUT, 'rolled-back'],
  ]);
  expect(status.plan?.steps.map((s) => [s.name, s.state])).toEqual([
    [`${CHECKOUT}: drain-canary`, 'done'],
    [`${PAYMENTS}: drain-canary`, 'done'],
  ]);

  // nginx: both canaries drained, each stage served once (the new worker went on from 25%, it did not
  // start the step again); one record per member's step, its snapshot the weight from before the
  // rollback (not the 25 the killed attempt left), all three stages done, nothing undone.
  expect(await weight(CHECKOUT)).toBe(0);
  expect(await weight(PAYMENTS)).toBe(0);
  expect(weights).toEqual({ [CHECKOUT]: [START_WEIGHT, 50, 25, 0], [PAYMENTS]: [START_WEIGHT, 50, 25, 0] });
  const records = nginxStepRecords(traffic.stateDir);
  expect(records.map((r) => r.service).sort()).toEqual([CHECKOUT, PAYMENTS]);
  for (const record of records) {
    expect(record).toMatchObject({
      beforeState: { pattern: 'canary', canaryWeight: START_WEIGHT },
      target: { pattern: 'canary', canaryWeight: 0 },
      stagesDone: 3,
      appliedAt: expect.any(String),
    });
    expect(record).not.toHaveProperty('compensatedAt');
  }

  // Temporal: each member scheduled its step once; the first attempt died with its worker, the second
  // finished it (same idempotency key), nothing was compensated. The release started each member once.
  for (const service of [CHECKOUT, PAYMENTS]) {
    const handle = memberHandle(service);
    const activities = await scheduledActivities(handle);
    const steps = activities.filter((a) => a.type === 'executeStep');
    const attempts = await activityAttempts(handle);
    expect({ service, attempts: steps.map((s) => attempts.get(s.eventId)) }).toEqual({
      service,
      attempts: [2],
    });
    expect(activities.filter((a) => a.type === 'compensateStep')).toEqual([]);
  }
  const releaseHistory = await release.fetchHistory();
  expect(
    (releaseHistory.events ?? []).filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes),
  ).toHaveLength(2);

  // The audit trail: whole; the release recorded each member's rollback once, dependents first; each
  // member recorded its step done once (under its own key) and closed rolled back.
  const auditFile = join(stateDir, 'audit.jsonl');
  const verified = verifyAuditFile(auditFile);
  expect(verified).toMatchObject({ ok: true });
  const audit = auditRecords(auditFile, input.releaseId);
  const releaseAudit = audit.filter((r) => r.workflowId === release.workflowId);
  expect(
    releaseAudit
      .filter((r) => r.kind === 'release-member')
      .map((r) => [(r.details as { service: string }).service, (r.details as { state: string }).state]),
  ).toEqual([
    [CHECKOUT, 'rolled-back'],
    [PAYMENTS, 'rolled-back'],
  ]);
  expect(releaseAudit.filter((r) => r.kind === 'release-verdict')).toHaveLength(1);
  expect(releaseAudit.at(-1)).toMatchObject({ kind: 'outcome', details: { outcome: 'rolled-back' } });
  const keys = new Set<string>();
  for (const service of [CHECKOUT, PAYMENTS]) {
    const own = audit.filter((r) => r.workflowId === memberHandle(service).workflowId);
    const steps = own.filter((r) => r.kind === 'step');
    expect({
      service,
      steps: steps.map((r) => [r.details.index, r.details.name, r.details.state]),
    }).toEqual({ service, steps: [[0, 'drain-canary', 'done']] });
    keys.add((steps[0]!.details as { idempotencyKey: string }).idempotencyKey);
    expect(own.filter((r) => r.kind === 'compensation')).toEqual([]);
    expect(own.at(-1)).toMatchObject({ kind: 'outcome', details: { outcome: 'rolled-back' } });
  }
  // Two members, two keys, each matching its nginx record.
  expect([...keys].sort()).toEqual(records.map((r) => r.key).sort());
  expect(keys.size).toBe(2);
});
