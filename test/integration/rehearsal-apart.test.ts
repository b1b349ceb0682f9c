import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { connectClient } from '../../src/client/connect';
import { type GuardianHandle, guardianStatus, startGuardian } from '../../src/client/guardians';
import { contentHash, loadPolicyFile, Policy } from '../../src/policy';
import { createWorker } from '../../src/worker';
import type { GuardianResult } from '../../src/model/guardian';
import { rehearsalRollbackLockId, rollbackLockId } from '../../src/workflows/rollback-lock';
import { CliProcess } from '../harness/cli';
import { bundleWorkflows, integrationCliEnv, integrationConnection, quietRuntime } from '../harness/temporal';

/**
 * Issue 17, "a --replay rehearsal silently aborted the real guardian": a
 * replayed `guard` of the same service and environment superseded the live
 * build-481, whose pipeline then exited 30. A rehearsal lives apart: it
 * supersedes nobody, is never mistaken for a newer deployment, takes its own
 * rollback lock, and a rehearsal with the live deployment id starts under an
 * id of its own instead of joining the live guardian.
 *
 * The live guardian of `subject` is watched next to an identical live
 * guardian of `control` that no rehearsal comes near; both must end the same.
 * The rehearsals are started as a pipeline would (`ripcord guard --replay`),
 * on the same worker and task queue as the live guardians (a --dry-run worker).
 */
const REPO_ROOT = resolve(__dirname, '..', '..');
const FIXTURES = resolve(REPO_ROOT, 'test', 'unit', 'cli', 'fixtures');
const taskQueue = `apart-${randomUUID()}`;
const subject = `apart-${randomUUID().slice(0, 8)}`;
const control = `apart-${randomUUID().slice(0, 8)}`;
/** The live guardian watches this many intervals (one per second at speed 30): longer than the rehearsal's admission. */
const LIVE_INTERVALS = 70;

let dir: string;
let client: Client;
let worker: Worker;
let running: Promise<void>;
let closeWorker: () => Promise<void>;
const processes: CliProcess[] = [];

const env = (): NodeJS.ProcessEnv => ({
  RIPCORD_PROFILE: '',
  ...integrationCliEnv(),
  RIPCORD_TASK_QUEUE: taskQueue,
});

beforeAll(async () => {
  quietRuntime();
  dir = mkdtempSync(join(tmpdir(), 'ripcord-apart-'));
  const connection = integrationConnection(taskQueue);
  client = await connectClient(connection);
  // A --dry-run worker (it accepts rehearsals) with its own Temporal client: supersede checks ask Temporal.
  const created = await createWorker({
    connection,
    workflowBundle: await bundleWorkflows(),
    depsOptions: { dryRun: true, stateDir: dir, insecureClaims: true },
  });
  worker = created.worker;
  closeWorker = created.close;
  running = worker.run();
}, 60_000);

afterAll(async () => {
  for (const p of processes) await p.stop('SIGINT');
  worker?.shutdown();
  await running;
  await closeWorker?.();
  await client?.connection.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The canary example for `service`, as the pipeline's policy file: the p99 variant, which these scenarios fit. */
function policyFile(service: string): string {
  const file = join(dir, `${service}.yaml`);
  const canary = readFileSync(resolve(REPO_ROOT, 'policies', 'examples', 'canary-p99-only.yaml'), 'utf8');
  writeFileSync(file, canary.replace(/^ {2}service: checkout$/m, `  service: ${service}`));
  return file;
}

/**
 * The live guardian of build-481: no replay input. Its health comes from the
 * policy itself (a healthy recording as its source), so that it decides
 * within seconds; at speed 30 one interval passes per second.
 */
async function startLive(service: string): Promise<GuardianHandle> {
  const { policy } = await loadPolicyFile(policyFile(service));
  const raw = JSON.parse(JSON.stringify(policy)) as {
    sources: Record<string, unknown>;
    series: Record<string, { source: string }>;
  };
  raw.sources = { recorded: { type: 'replay', path: join(FIXTURES, 'healthy-00.json') } };
  for (const series of Object.values(raw.series)) series.source = 'recorded';
  const live = Policy.parse(raw);
  return startGuardian(client, taskQueue, {
    deployment: {
      deploymentId: 'build-481',
      service,
      environment: 'production',
      version: '2.0.0',
      previousVersion: '1.9.0',
      deployer: 'dana',
      deployedAt: new Date().toISOString(),
    },
    policy: live,
    policyHash: contentHash(live),
    speed: 30,
    watchSeconds: LIVE_INTERVALS * live.evaluation.intervalSeconds,
  });
}

/** `ripcord guard --replay` as a pipeline rehearses its guard step. */
function replayedGuard(service: string, deploymentId: string, scenario: string, wait: boolean): CliProcess {
  const args = [
    'guard',
    '--policy',
    policyFile(service),
    '--service',
    service,
    '--env',
    'production',
    '--version',
    '2.0.0',
    '--previous',
    '1.9.0',
    '--deployment-id',
    deploymentId,
    '--replay',
    join(FIXTURES, scenario),
    ...(wait ? ['--wait', '--poll', '0.5'] : []),
  ];
  const cli = new CliProcess(args, env());
  processes.push(cli);
  return cli;
}

async function exists(workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

function ending(result: GuardianResult) {
  return { outcome: result.outcome, reason: result.reason, evaluations: result.evaluations };
}

test('a replayed guard of the same service and environment leaves the live guardian watching; it ends as it would have', async () => {
  const [live, unaffected] = await Promise.all([startLive(subject), startLive(control)]);
  const deadline = Date.now() + 60_000;
  while ((await guardianStatus(live)).evaluations < 2) {
    if (Date.now() > deadline) throw new Error('the live guardian never started watching');
    await new Promise((r) => setTimeout(r, 200));
  }

  // A rehearsal of a regression, as the pipeline's rehearsal job starts it: it rolls back on the dry-run target.
  const rehearsal = replayedGuard(subject, 'build-481-rehearsal', 'error-step-00.json', true);
  const [, rehearsalId] = await rehearsal.waitFor(/^guardian (\S+) \(running since/m);
  // Admitted (past the point where it used to supersede), and a moment for a supersede to land.
  await rehearsal.waitFor(/phase watch/);
  await new Promise((r) => setTimeout(r, 3_000));
  expect(await guardianStatus(live)).toMatchObject({ phase: 'watch' });
  // And one with the live deployment's own id.
  const sameId = replayedGuard(subject, 'build-481', 'healthy-00.json', false);
  expect(await sameId.exited).toBe(0);

  expect(await rehearsal.exited).toBe(10);
  const [subjectEnd, controlEnd] = await Promise.all([live.result(), unaffected.result()]);
  expect(subjectEnd.reason).not.toMatch(/supersed/);
  expect(ending(subjectEnd)).toEqual(ending(controlEnd));
  expect((await guardianStatus(live)).refusedMessages ?? 0).toBe(0);

  // Each rehearsal runs under an id of its own: the one with the live id never joined the live run.
  expect(rehearsalId).toBe(`ripcord-rehearsal/production/${subject}/build-481-rehearsal`);
  expect(sameId.stdout).toMatch(
    new RegExp(
      `^guardian ripcord-rehearsal/production/${subject}/build-481 \\(running since [^;)]+\\)$`,
      'm',
    ),
  );
  // The rehearsal's rollback took the rehearsal lock, never the one live rollbacks of the service queue on.
  expect(await exists(rehearsalRollbackLockId({ service: subject, environment: 'production' }))).toBe(true);
  expect(await exists(rollbackLockId({ service: subject, environment: 'production' }))).toBe(false);
  // The rehearsal says what it is.
  expect((await guardianStatus(client.workflow.getHandle(rehearsalId!))).rehearsal).toBe(true);
  await client.workflow
    .getHandle(`ripcord-rehearsal/production/${subject}/build-481`)
    .terminate('test over')
    .catch(() => undefined);
}, 240_000);
