import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { defaultActivityDeps } from '../../src/worker/composition';
import { connectClient } from '../../src/client/connect';
import { type GuardianHandle, guardianStatus, startGuardian } from '../../src/client/guardians';
import { prepareRehearsal, rehearsalInput } from '../../src/rehearsal/prepare';
import { loadPolicyFile } from '../../src/policy';
import { createWorker } from '../../src/worker';
import type { GuardianStatus } from '../../src/model/guardian';
import { CliProcess } from '../harness/cli';
import { bundleWorkflows, integrationCliEnv, integrationConnection, quietRuntime } from '../harness/temporal';

/**
 * Issue 16: `ripcord status` of a closed guardian says so. A guardian waits at
 * its approval gate and is terminated there. Its worker still answers the
 * status query with the last state, which says it waits for approval; the CLI
 * must say TERMINATED first and never show it as waiting, in text and JSON.
 */
const REPO_ROOT = resolve(__dirname, '..', '..');
const taskQueue = `status-closed-${randomUUID()}`;
const service = `svc-${randomUUID().slice(0, 8)}`;
const deploymentId = `d-${randomUUID().slice(0, 8)}`;

let dir: string;
let worker: Worker;
let running: Promise<void>;
let closeWorker: () => Promise<void>;
let client: Client;
let handle: GuardianHandle;

const env = (): NodeJS.ProcessEnv => ({
  RIPCORD_PROFILE: '',
  ...integrationCliEnv(),
  RIPCORD_TASK_QUEUE: taskQueue,
  RIPCORD_ACTOR: '',
  RIPCORD_ROLE: '',
  RIPCORD_TOKEN: '',
});

async function ripcord(args: string[]) {
  const cli = new CliProcess(args, env());
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 60_000)));
  const first = await Promise.race([cli.exited, timedOut]);
  clearTimeout(timer);
  if (first === 'timeout') {
    await cli.stop('SIGINT');
    throw new Error(
      `ripcord ${args.join(' ')} did not finish\nstdout:\n${cli.stdout}\nstderr:\n${cli.stderr}`,
    );
  }
  return { code: first, stdout: cli.stdout, stderr: cli.stderr };
}

async function waitForStatus(until: (s: GuardianStatus) => boolean, what: string): Promise<GuardianStatus> {
  for (let poll = 0; poll < 480; poll++) {
    const status = await guardianStatus(handle);
    if (until(status)) return status;
    if (status.phase === 'close') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`guardian never reached ${what}: ${JSON.stringify(await guardianStatus(handle), null, 2)}`);
}

beforeAll(async () => {
  quietRuntime();
  dir = mkdtempSync(join(tmpdir(), 'ripcord-status-closed-'));
  // The p99 example: the demo scenario carries a p99 and no latency histogram.
  const raw = parseYaml(
    readFileSync(resolve(REPO_ROOT, 'policies/examples/canary-p99-only.yaml'), 'utf8'),
  ) as Record<string, Record<string, unknown>>;
  raw.metadata!.service = service;
  raw.risk = { highRiskWhen: [{ when: 'always' }] };
  raw.approval = { roles: ['sre'], quorum: 1, timeoutSeconds: 7200, onTimeout: 'escalate' };
  // Nobody approves here; a high-risk policy must still name the key its approvals would be signed with.
  raw.trustedKeys = { approvals: ['status-test'] };
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, toYaml(raw));

  const connection = integrationConnection(taskQueue);
  const created = await createWorker({
    connection,
    workflowBundle: await bundleWorkflows(),
    deps: defaultActivityDeps({ dryRun: true, stateDir: dir, pauseScale: 1 / 30 }),
  });
  worker = created.worker;
  closeWorker = created.close;
  running = worker.run();
  client = await connectClient(connection);

  const prepared = await prepareRehearsal(
    await loadPolicyFile(policyFile),
    resolve(REPO_ROOT, 'src/dev/demo-scenarios/bad-canary.json'),
    30,
  );
  handle = await startGuardian(client, taskQueue, rehearsalInput(prepared, deploymentId, new Date()));
  await waitForStatus((s) => s.phase === 'gate', 'the approval gate');
});

afterAll(async () => {
  await handle?.terminate('test over').catch(() => undefined);
  await client?.connection.close();
  worker?.shutdown();
  await running;
  await closeWorker?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a guardian terminated at its approval gate reads TERMINATED, never waiting', async () => {
  const id = handle.workflowId;
  // Before: it waits for approval, and says so.
  const before = await ripcord(['status', id]);
  expect(before.code).toBe(0);
  expect(before.stdout).toMatch(/^waiting for {2}.*approv/m);

  await handle.terminate('stuck pipeline cleaned up by hand');

  const after = await ripcord(['status', id]);
  expect(after.code).toBe(0);
  const [first] = after.stdout.split('\n');
  expect(first).toMatch(
    /^TERMINATED at \d{4}-\d{2}-\d{2} [\d:]+Z .*: the guardian is no longer running; what it waited for will not happen$/,
  );
  expect(after.stdout).not.toMatch(/waiting for/);
  expect(after.stdout).toMatch(/^phase {8}gate$/m);

  const json = await ripcord(['status', id, '--json']);
  expect(json.code).toBe(0);
  const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
  expect(parsed.execution).toEqual({ status: 'TERMINATED', closeTime: expect.any(String) });
  expect(parsed).not.toHaveProperty('waiting');

  // Acting on it is refused before anything is sent.
  const approve = await ripcord(['approve', id, '--as', 'alice', '--role', 'sre']);
  expect(approve.code).toBe(1);
  expect(approve.stderr).toContain('has already closed');

  // `list --all` shows it ended, with nothing to wait for.
  let list = await ripcord(['list', '--all', '--service', service]);
  for (let attempt = 0; attempt < 20 && !/terminated/.test(list.stdout); attempt++) {
    await new Promise((r) => setTimeout(r, 500));
    list = await ripcord(['list', '--all', '--service', service]);
  }
  expect(list.stdout).toMatch(
    new RegExp(`^${deploymentId} +${service} +production +.* +- +terminated +\\d{4}-`, 'm'),
  );
});
