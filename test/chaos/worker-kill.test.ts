import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client as TemporalClient } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { connectClient } from '../../src/client/connect';
import { type GuardianHandle, guardianStatus, sendAction } from '../../src/client/guardians';
import { type LocalUnleash, startUnleash } from '../../src/dev/unleash';
import { runner } from '../../src/targets/migrations/node-pg-migrate';
import {
  activityAttempts,
  auditRecords,
  scheduledActivities,
  verifyAuditFile,
} from '../harness/chaos-evidence';
import { chaosPolicy, HOOK_SECRET_ENV } from '../harness/chaos-policy';
import { pendingWork, trace, waitForStatus, waitUntil } from '../harness/chaos-poll';
import { type ChaosReceiver, startChaosReceiver } from '../harness/chaos-receiver';
import { type ChaosStack, NEW, OLD, startChaosStack } from '../harness/chaos-stack';
import { deployAndRollBackByHand, nginxStepRecords, startAndRollBackByHand } from '../harness/chaos-setup';
import { ChaosTemporal } from '../harness/chaos-temporal';
import { type SlowProxy, startSlowProxy } from '../harness/chaos-slow-proxy';
import { ChaosWorkers, writeTargetsFile } from '../harness/chaos-worker';

/**
 * The reason to build on Temporal: a rollback half-done when its worker dies
 * must still finish, each effect exactly once. One rollback of four steps, each
 * on a real target, and the worker process (`ripcord worker --targets`) killed
 * with SIGKILL in the middle of every one of them:
 *
 *  0. nginx shift-traffic 50 → 25 → 0, killed in the pause after the first stage;
 *  1. revert-artifact of the canary host, killed while its restart command runs;
 *  2. down-migration on PostgreSQL, killed while the down runs in its transaction;
 *  3. webhook to the deploy system, killed while it follows the job's status URL.
 *
 * After each kill a new worker takes over. Afterwards everything a person would
 * check says "once": one snapshot per nginx step, one restart, one migration
 * rolled back with one snapshot, one job in the deploy system, one audit record
 * per step, and the guardian closed as rolled back.
 */

const SERVER = 'postgres://postgres@127.0.0.1:5432';
const DATABASE = `ripcord_chaos_${randomBytes(6).toString('hex')}`;
const DATABASE_URL = `${SERVER}/${DATABASE}`;
const MIGRATIONS = resolve(__dirname, 'fixtures', 'migrations');
const SLOW_RESTART = resolve(__dirname, 'fixtures', 'slow-restart.sh');
const DB_SECRET = 'CHAOS_ORDERS_DB';
const UNLEASH_SECRET = 'CHAOS_UNLEASH_TOKEN';
const FLAG = 'checkout.new-pricing';

let dir: string;
let temporal!: ChaosTemporal;
let stack!: ChaosStack;
let receiver!: ChaosReceiver;
let workers!: ChaosWorkers;
let client!: TemporalClient;
let admin: PgClient | undefined;
let db: PgClient | undefined;
let unleash!: LocalUnleash;
let slowUnleash!: SlowProxy;
let secret: string;
let restartLog: string;
let taskQueue: string;
let stateDir: string;

afterAll(async () => {
  await workers?.stop();
  await client?.connection.close().catch(() => undefined);
  await temporal?.stop();
  await stack?.stop();
  await receiver?.stop();
  await slowUnleash?.stop();
  await unleash?.stop();
  await db?.end().catch(() => undefined);
  await admin?.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`).catch(() => undefined);
  await admin?.end().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function sql<T extends object>(text: string, values?: unknown[]): Promise<T[]> {
  return (await db!.query<T>(text, values)).rows;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-chaos-kill-'));
  secret = randomBytes(32).toString('hex');
  restartLog = join(dir, 'restarts.log');

  // The checkout database: orders, then 2.0.0's migration adding discount_code (the one to roll back).
  admin = new PgClient({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  const migrate = (count: number) =>
    runner({
      databaseUrl: DATABASE_URL,
      dir: MIGRATIONS,
      direction: 'up',
      count,
      migrationsTable: 'pgmigrations',
      log: () => undefined,
    });
  await migrate(1);
  db = new PgClient({ connectionString: DATABASE_URL });
  await db.connect();
  await sql(`INSERT INTO orders (customer, total_cents) VALUES ('ann', 1200), ('bob', 500), ('cy', 990)`);
  await migrate(1);
  await sql(`UPDATE orders SET discount_code = 'SPRING10' WHERE customer = 'ann'`);

  temporal = await ChaosTemporal.start();
  // The deploy system's job runs for seconds after it accepted the call: long enough to kill the follower.
  receiver = await startChaosReceiver({ secret, jobSeconds: 6 });
  [stack, unleash] = await Promise.all([
    startChaosStack({ dir, canaryBehaviour: 'healthy' }),
    startUnleash(),
  ]);
  // Unleash, seen through a front that takes 3 s to pass on a switch of a flag (a server under load).
  slowUnleash = await startSlowProxy({
    upstream: unleash.url,
    holdMs: 3_000,
    slow: (req) => req.method === 'POST' && /\/environments\/[^/]+\/(on|off)$/.test(req.url ?? ''),
  });
  await unleashAdmin('POST', '/api/admin/projects/default/features', { name: FLAG, type: 'release' });
  await unleashAdmin('POST', `/api/admin/projects/default/features/${FLAG}/environments/production/on`);
  const artifacts = stack.targets.artifacts!;
  artifacts.services.checkout!.restart = {
    // 2 s: well inside the 10 s heartbeat timeout, so the restart the killed worker started is over
    // (the service back on the release) before the next attempt looks.
    command: ['/bin/sh', SLOW_RESTART, restartLog, stack.fleet.canary.pidFile, '2'],
    timeoutSeconds: 60,
  };
  taskQueue = `chaos-kill-${randomUUID()}`;
  stateDir = join(dir, 'state');
  workers = new ChaosWorkers({
    address: temporal.address,
    taskQueue,
    stateDir,
    targetsFile: writeTargetsFile(dir, {
      ...stack.targets,
      artifacts,
      migrations: {
        type: 'postgres-migrations',
        services: {
          checkout: {
            migrationsDir: MIGRATIONS,
            migrationsTable: 'pgmigrations',
            schema: 'public',
            snapshotSchema: 'ripcord_snapshots',
            lockTimeoutSeconds: 5,
          },
        },
      },
      webhooks: { type: 'webhook', timeoutSeconds: 10 },
      flags: {
        type: 'unleash',
        url: slowUnleash.url,
        tokenSecret: `\${secret:${UNLEASH_SECRET}}`,
        environment: 'production',
        timeoutSeconds: 10,
      },
    }),
    env: {
      [HOOK_SECRET_ENV]: secret,
      [`RIPCORD_SECRET_${DB_SECRET}`]: DATABASE_URL,
      [`RIPCORD_SECRET_${UNLEASH_SECRET}`]: unleash.adminToken,
    },
  });
  await workers.start();
  client = await connectClient({
    profileName: 'chaos',
    address: temporal.address,
    namespace: 'default',
    taskQueue,
  });
}, 300_000);

async function unleashAdmin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${unleash!.url}${path}`, {
    method,
    headers: { authorization: unleash!.adminToken, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

// Every step: 10 s timeout (so a dead worker's step is retried 10 s after its last heartbeat), quick retries.
const retries = { maxAttempts: 5, backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 4 } };
const verify = { targetState: true, settleSeconds: 0, timeoutSeconds: 30 };

/**
 * Waits until the target itself shows step `index` half done, then SIGKILLs the worker at once and
 * starts another. The target is watched, not the status query: a query goes through a worker,
 * and one that has just taken over may answer seconds late, after the moment has passed. That the
 * kill landed mid-step is proved afterwards by the step's second attempt in the history.
 */
async function killDuring(
  handle: GuardianHandle,
  index: number,
  what: string,
  inTheMiddle: () => Promise<boolean> | boolean,
): Promise<void> {
  await waitUntil(what, inTheMiddle, { intervalMs: 100, timeoutMs: 180_000 }).catch(async (error: Error) => {
    const steps = (await guardianStatus(handle).catch(() => undefined))?.plan?.steps;
    const shown = steps?.map((st) => `${st.index}:${st.state} ${st.detail ?? ''}`).join('; ') ?? 'unknown';
    throw new Error(
      `${error.message}\n  steps: ${shown}${await pendingWork(handle)}\n${workers.output().slice(-6_000)}`,
    );
  });
  trace(`killing the worker during step ${index}: ${what}`);
  await workers.replace();
  trace('a new worker runs');
}

test('the worker killed during each kind of rollback step: new workers finish the rollback, every effect once', async () => {
  const { policy, hash } = chaosPolicy(
    { prometheusUrl: stack.fleet.prometheus.url, hookUrl: receiver.hookUrl, notifyUrl: receiver.notifyUrl },
    (p) => {
      p.plan.steps = [
        {
          name: 'drain-canary',
          type: 'shift-traffic',
          weights: [25, 0],
          pauseSeconds: 6,
          timeoutSeconds: 10,
          retries,
          verify,
        },
        { ...p.plan.steps[1], timeoutSeconds: 10, retries, verify },
        {
          name: 'drop-discount-code',
          type: 'down-migration',
          migration: '002_add_discount_code',
          reversible: true,
          connectionSecret: `\${secret:${DB_SECRET}}`,
          timeoutSeconds: 10,
          retries,
          verify,
        },
        { ...p.plan.steps[2], timeoutSeconds: 10, retries, verify },
      ];
      // A down-migration makes the rollback high-risk: one approval by an SRE.
      p.risk = { highRiskWhen: [{ when: 'touches-migration' }] };
      p.approval = { roles: ['sre'], quorum: 1, timeoutSeconds: 600, onTimeout: 'escalate' };
      // Named, never used: the worker runs with --insecure-claims and trusts the approver's claimed role.
      p.trustedKeys.approvals = ['chaos-approvals'];
    },
  );
  // An on-call owner pulls the cord by hand; the plan is the policy's.
  const { handle, deployment } = await deployAndRollBackByHand(
    stack,
    client,
    taskQueue,
    { policy, hash },
    'kill',
  );
  const gated = await waitForStatus(
    handle,
    'the approval gate',
    (s) => s.phase === 'gate' && s.plan !== undefined,
  );
  const approved = await sendAction(handle, 'approve', {
    actor: 'alice',
    role: 'sre',
    planHash: gated.plan!.planHash,
  });
  expect(approved).toMatchObject({ accepted: true });
  trace('rollback asked for and approved');

  // 0: nginx, between the two traffic stages (the first is written and reloaded, the pause runs).
  const nginxRecords = () => nginxStepRecords(stack.targets.traffic!.stateDir);
  await killDuring(handle, 0, 'nginx at 25% in the pause before the last stage', () =>
    nginxRecords().some((r) => r.stagesDone === 1 && r.appliedAt === undefined),
  );
  // 1: the canary host's restart command is running (it logs first, then waits before the restart).
  await killDuring(
    handle,
    1,
    'the restart command under way',
    () => existsSync(restartLog) && stack.canaryStarts().length === 1,
  );
  // 2: the down runs inside its transaction (pg_sleep before the drop).
  await killDuring(handle, 2, 'the down-migration inside its transaction', async () => {
    const rows = await sql<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query ILIKE '%pg_sleep%' AND pid <> pg_backend_pid()`,
      [DATABASE],
    );
    return Number(rows[0]?.n) > 0;
  });
  // 3: the deploy system accepted the job; the step follows its status URL.
  await killDuring(handle, 3, 'the webhook following the job status', () =>
    receiver.jobs().some((j) => j.action === 'rollback' && Date.now() < j.doneAt - 1_000),
  );

  const closed = await waitForStatus(handle, 'the guardian to close', (s) => s.outcome !== undefined, {
    timeoutMs: 180_000,
  });
  expect({ outcome: closed.outcome, reason: closed.reason }).toEqual({
    outcome: 'rolled-back',
    reason: expect.stringContaining(`rolled back to ${OLD}`),
  });
  expect(closed.plan?.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done']);
  // The outcome is shown before its audit record is written: the run's end is after both.
  await handle.result();
  expect(workers.killed).toBeGreaterThanOrEqual(4);

  // Each step needed a second attempt (the first died with its worker), and no step ran a third time.
  const steps = (await scheduledActivities(handle)).filter((a) => a.type === 'executeStep');
  const attempts = await activityAttempts(handle);
  expect(steps.map((s) => attempts.get(s.eventId))).toEqual([2, 2, 2, 2]);
  expect((await scheduledActivities(handle)).filter((a) => a.type === 'compensateStep')).toEqual([]);

  // nginx: one record for the step, its snapshot the state from before the rollback (50%, not the 25% the
  // killed attempt left), both stages done once; the canary gets nothing and every probe answer is 1.9.0.
  const [record, ...others] = nginxRecords();
  expect(others).toEqual([]);
  expect(record).toMatchObject({ beforeState: { pattern: 'canary', canaryWeight: 50 }, stagesDone: 2 });
  expect(record).not.toHaveProperty('compensatedAt');
  expect(await stack.canaryWeight()).toBe(0);

  // The canary host: restarted once (by the killed worker's command, which finished on its own), runs 1.9.0.
  expect(readFileSync(restartLog, 'utf8').trim().split('\n')).toHaveLength(1);
  expect(stack.canaryStarts().map((s) => s.version)).toEqual([NEW, OLD]);
  expect(await stack.canaryRuns()).toBe(OLD);

  // PostgreSQL: 002 rolled back once (the killed transaction left nothing), its column's data kept once.
  expect(
    (await sql<{ name: string }>('SELECT name FROM pgmigrations ORDER BY id')).map((r) => r.name),
  ).toEqual(['001_create_orders']);
  const columns = await sql<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'orders'`,
  );
  expect(columns.map((c) => c.column_name)).not.toContain('discount_code');
  expect(await sql('SELECT count(*)::int AS n FROM ripcord_snapshots.rollbacks')).toEqual([{ n: 1 }]);
  const snapshots = await sql<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'ripcord_snapshots' AND table_name <> 'rollbacks'`,
  );
  expect(snapshots).toHaveLength(1);
  expect(await sql(`SELECT count(*)::int AS n FROM ripcord_snapshots.${snapshots[0]!.table_name}`)).toEqual([
    { n: 3 },
  ]);

  // The deploy system: delivered again after the kill under the same key, acted on once.
  expect(
    receiver.jobs().map((j) => ({ action: j.action, acted: j.acted, deliveries: j.deliveries })),
  ).toEqual([{ action: 'rollback', acted: 1, deliveries: 2 }]);
  expect(receiver.refused()).toBe(0);

  // The audit trail: whole, one "done" per step, no compensation, the outcome last.
  const auditFile = join(stateDir, 'audit.jsonl');
  expect(verifyAuditFile(auditFile)).toMatchObject({ ok: true });
  const audit = auditRecords(auditFile, deployment.deploymentId);
  expect(
    audit.flatMap((r) => (r.kind === 'step' ? [[r.details.index, r.details.name, r.details.state]] : [])),
  ).toEqual([
    [0, 'drain-canary', 'done'],
    [1, 'revert-canary-artifact', 'done'],
    [2, 'drop-discount-code', 'done'],
    [3, 'tell-deploy-system', 'done'],
  ]);
  expect(audit.filter((r) => r.kind === 'compensation')).toEqual([]);
  expect(audit.at(-1)).toMatchObject({ kind: 'outcome', details: { outcome: 'rolled-back' } });
}, 420_000);

test('the worker killed while Unleash switches a flag off: a new worker finishes the rollback, the flag switched once', async () => {
  const killedBefore = workers.killed;
  const { policy, hash } = chaosPolicy(
    { prometheusUrl: stack.fleet.prometheus.url, hookUrl: receiver.hookUrl, notifyUrl: receiver.notifyUrl },
    (p) => {
      // The same checkout, released behind a flag this time (its own environment: no supersede).
      p.metadata.environment = 'chaos-flags';
      p.deployment = { pattern: 'feature-flag', provider: 'unleash', flag: FLAG, project: 'default' };
      p.plan.steps = [{ name: 'flag-off', type: 'disable-flag', timeoutSeconds: 10, retries, verify }];
    },
  );
  const deployed = {
    deploymentId: `flag-${randomUUID().slice(0, 8)}`,
    service: 'checkout',
    environment: 'chaos-flags',
    version: NEW,
    previousVersion: OLD,
    deployer: 'chaos-pipeline',
    deployedAt: new Date().toISOString(),
  };
  const handle = await startAndRollBackByHand(client, taskQueue, deployed, { policy, hash });

  // The switch is on its way to Unleash (recorded first, then sent; the front holds it): kill.
  await killDuring(handle, 0, 'the switch of the flag held by a slow Unleash', () =>
    slowUnleash.held().some((h) => h.path.endsWith('/environments/production/off') && !h.forwarded),
  );

  const closed = await waitForStatus(handle, 'the guardian to close', (s) => s.outcome !== undefined, {
    timeoutMs: 180_000,
  });
  expect(closed.outcome).toBe('rolled-back');
  expect(closed.plan?.steps.map((s) => s.state)).toEqual(['done']);
  await handle.result();
  expect(workers.killed).toBe(killedBefore + 1);

  // Unleash itself: the flag is off in production, switched off once (its own event log), and the
  // step's record of what it was before is there once.
  const feature = (await unleashAdmin('GET', `/api/admin/projects/default/features/${FLAG}`)) as {
    environments: { name: string; enabled: boolean }[];
  };
  expect(feature.environments.find((e) => e.name === 'production')?.enabled).toBe(false);
  const { events } = (await unleashAdmin('GET', `/api/admin/events/${FLAG}`)) as {
    events: { type: string; environment?: string }[];
  };
  expect(events.filter((e) => e.type === 'feature-environment-disabled')).toEqual([
    expect.objectContaining({ environment: 'production' }),
  ]);
  const { tags } = (await unleashAdmin('GET', `/api/admin/features/${FLAG}/tags`)) as {
    tags: { type: string; value: string }[];
  };
  expect(
    tags.filter((t) => t.type === 'ripcord-rollback').map((t) => t.value.replace(/^[0-9a-f]+\./, '')),
  ).toEqual(['was-on']);

  const steps = (await scheduledActivities(handle)).filter((a) => a.type === 'executeStep');
  const attempts = await activityAttempts(handle);
  expect(steps.map((st) => attempts.get(st.eventId))).toEqual([2]);
  const audit = auditRecords(join(stateDir, 'audit.jsonl'), deployed.deploymentId);
  expect(
    audit.flatMap((r) => (r.kind === 'step' ? [[r.details.index, r.details.name, r.details.state]] : [])),
  ).toEqual([[0, 'flag-off', 'done']]);
  expect(audit.at(-1)).toMatchObject({ kind: 'outcome', details: { outcome: 'rolled-back' } });
}, 300_000);
