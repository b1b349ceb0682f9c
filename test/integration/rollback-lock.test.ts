import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { defaultActivityDeps } from '../../src/worker/composition';
import { connectClient } from '../../src/client/connect';
import { type GuardianHandle, guardianStatus } from '../../src/client/guardians';
import { contentHash, loadPolicyFile, Policy } from '../../src/policy';
import { abortUpdate } from '../../src/workflows/messages';
import { type GuardianStatus } from '../../src/model/guardian';
import {
  // The guardians here replay a scenario, so they are rehearsals: they share their service's rehearsal lock.
  rehearsalRollbackLockId as rollbackLockId,
  rollbackLockStateQuery,
  type RollbackLockState,
} from '../../src/workflows/rollback-lock';
import { bundleWorkflows, integrationConnection, quietRuntime } from '../harness/temporal';
import { startReplayGuardian, writeErrorStepScenario } from '../harness/replay-guardian';

/**
 * One rollback at a time per service and environment (docs/architecture.md §5), on the real
 * dev server with the real activities and the recording (dry-run) target.
 * Two guardians of one service can both be rolling back when a newer
 * deployment supersedes a guardian that is already executing its plan (a
 * rollback under way finishes); the lock must keep their steps apart. The
 * older guardian's first step is held open by the test, so the overlap is
 * certain rather than a matter of timing.
 */
const root = resolve(__dirname, '..', '..');
const connection = integrationConnection(`lock-${randomUUID()}`);

let dir: string;
let scenarioFile: string;
let client: Client;
let worker: Worker;
let workerConnection: NativeConnection;
let running: Promise<void>;
/** Deployment ids whose steps wait for the test to let them go. */
const held = new Map<string, Promise<void>>();
/** Lets every held step go: a test that fails must not leave the worker unable to shut down. */
const releases: Array<() => void> = [];

interface JournalLine {
  kind: string;
  key: string;
  at: string;
  scope: { deploymentId: string };
}

beforeAll(async () => {
  quietRuntime();
  dir = mkdtempSync(join(tmpdir(), 'ripcord-lock-'));
  scenarioFile = writeErrorStepScenario(join(dir, 'error-step.json'));

  client = await connectClient(connection);
  const deps = defaultActivityDeps({ client, dryRun: true, stateDir: dir, insecureClaims: true });
  const activities = createActivities(deps);
  worker = await Worker.create({
    connection: (workerConnection = await NativeConnection.connect({ address: connection.address })),
    namespace: connection.namespace,
    taskQueue: connection.taskQueue,
    workflowBundle: await bundleWorkflows(),
    activities: {
      ...activities,
      executeStep: async (input: Parameters<typeof activities.executeStep>[0]) => {
        await held.get(input.deployment.deploymentId);
        return activities.executeStep(input);
      },
    },
  });
  running = worker.run();
}, 60_000);

afterEach(() => {
  for (const release of releases.splice(0)) release();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await workerConnection?.close();
  await client?.connection.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A policy of its own per test: the lock and supersede are per service and environment. */
async function servicePolicy(): Promise<{ policy: Policy; hash: string }> {
  // The p99 example: error-step-00 carries a p99 and no latency histogram.
  const { policy } = await loadPolicyFile(join(root, 'policies/examples/canary-p99-only.yaml'));
  const raw = JSON.parse(JSON.stringify(policy)) as { metadata: { service: string } };
  raw.metadata.service = `lock-${randomUUID().slice(0, 8)}`;
  const own = Policy.parse(raw);
  return { policy: own, hash: contentHash(own) };
}

async function start(policy: Policy, hash: string, deploymentId: string): Promise<GuardianHandle> {
  return startReplayGuardian(client, connection.taskQueue, { policy, hash, scenarioFile, deploymentId });
}

async function until(
  handle: GuardianHandle,
  what: string,
  predicate: (s: GuardianStatus) => boolean,
): Promise<GuardianStatus> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const status = await guardianStatus(handle);
    if (predicate(status)) return status;
    if (status.phase === 'close' || Date.now() > deadline)
      throw new Error(`${what} never happened; status: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function deferred(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
}

function journalOf(deploymentId: string): JournalLine[] {
  let text: string;
  try {
    text = readFileSync(join(dir, 'dry-run', 'journal.jsonl'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // nothing applied by anyone yet
    throw err;
  }
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as JournalLine)
    .filter((e) => e.scope.deploymentId === deploymentId);
}

const stepRunning = (s: GuardianStatus) => s.phase === 'execute' && s.plan?.steps[0]?.state === 'running';
const waitingForTurn = (s: GuardianStatus) => (s.waiting?.for ?? '').startsWith('its turn');

/** Starts an older guardian whose rollback is held open, then a newer one that must wait its turn. */
async function twoRollbacks(policy: Policy, hash: string) {
  const older = `older-${randomUUID().slice(0, 6)}`;
  const newer = `newer-${randomUUID().slice(0, 6)}`;
  const hold = deferred();
  releases.push(hold.release);
  held.set(older, hold.promise);
  const first = await start(policy, hash, older);
  await until(first, 'the older rollback', stepRunning);
  const second = await start(policy, hash, newer);
  const waiting = await until(second, 'the newer guardian waiting for its turn', waitingForTurn);
  return { older, newer, first, second, waiting, release: hold.release };
}

test('a newer guardian waits while an older one of the same service rolls back; their steps never interleave', async () => {
  const { policy, hash } = await servicePolicy();
  const { older, newer, first, second, waiting, release } = await twoRollbacks(policy, hash);
  const lockId = rollbackLockId(policy.metadata);
  expect(waiting.waiting!.for).toContain(lockId);
  const lock = client.workflow.getHandle(lockId);
  // The lock queues a guardian once it has checked the claim with Temporal (an activity): wait for that.
  const deadline = Date.now() + 30_000;
  let state = await lock.query(rollbackLockStateQuery);
  while (state.queue.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    state = await lock.query(rollbackLockStateQuery);
  }
  expect(state).toMatchObject({ holder: first.workflowId, queue: [second.workflowId] });
  expect(journalOf(newer)).toEqual([]);

  release();
  const [olderResult, newerResult] = await Promise.all([first.result(), second.result()]);
  expect(olderResult.outcome).toBe('rolled-back');
  expect(newerResult.outcome).toBe('rolled-back');

  // Every entry of the older rollback was written before the newer one's first.
  const olderEntries = journalOf(older);
  const newerEntries = journalOf(newer);
  expect(olderEntries.length).toBeGreaterThan(0);
  expect(newerEntries.length).toBeGreaterThan(0);
  const olderLast = Math.max(...olderEntries.map((e) => Date.parse(e.at)));
  const newerFirst = Math.min(...newerEntries.map((e) => Date.parse(e.at)));
  expect(newerFirst).toBeGreaterThanOrEqual(olderLast);
  // Nobody holds or waits any more: the lock completed after two turns.
  const ended = (await lock.result()) as RollbackLockState;
  expect(ended).toMatchObject({ granted: 2, queue: [] });
  expect(ended.holder).toBeUndefined();
}, 150_000);

test('an abort while waiting for the turn ends the guardian without touching production', async () => {
  const { policy, hash } = await servicePolicy();
  const { newer, first, second, release } = await twoRollbacks(policy, hash);
  const abort = await second.executeUpdate(abortUpdate, {
    args: [{ actor: 'team-payments', role: 'owner' }],
  });
  expect(abort).toMatchObject({ accepted: true, message: 'abort requested' });
  const aborted = await second.result();
  expect(aborted.outcome).toBe('aborted');
  expect(aborted.reason).toContain('while waiting for its turn');
  // It left the queue: only the holder is left.
  const lock = client.workflow.getHandle(rollbackLockId(policy.metadata));
  expect(await lock.query(rollbackLockStateQuery)).toMatchObject({ holder: first.workflowId, queue: [] });

  release();
  expect((await first.result()).outcome).toBe('rolled-back');
  expect(journalOf(newer)).toEqual([]);
  expect(((await lock.result()) as RollbackLockState).granted).toBe(1);
}, 150_000);

test('a holder terminated mid-rollback does not block the service: the next guardian gets its turn', async () => {
  const { policy, hash } = await servicePolicy();
  const { newer, first, second, release } = await twoRollbacks(policy, hash);
  try {
    await first.terminate('an operator terminated it from the Web UI');
    // The lock notices within its 30 s check that the holder is gone.
    const result = await second.result();
    expect(result.outcome).toBe('rolled-back');
    expect(journalOf(newer).filter((e) => e.kind === 'applied').length).toBeGreaterThan(0);
  } finally {
    // Terminating a workflow does not stop an activity already running: the held step is let go last.
    release();
  }
}, 150_000);
