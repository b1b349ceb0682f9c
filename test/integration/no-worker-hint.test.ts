import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../src/client/connect';
import { CliProcess, runCli } from '../harness/cli';
import { integrationCliEnv, integrationConnection } from '../harness/temporal';

/**
 * Issue 17, "guard --wait hangs silently when no worker serves the task
 * queue": against the real dev server, with a task queue nobody serves, the
 * pipeline's `guard --wait` says so within seconds, naming the task queue and
 * namespace and how to start a worker, and keeps waiting; `status` and `list`
 * give the same hint.
 */
const REPO_ROOT = resolve(__dirname, '..', '..');
const taskQueue = `nobody-${randomUUID()}`;
const service = `lonely-${randomUUID().slice(0, 8)}`;
const deploymentId = `d-${randomUUID().slice(0, 8)}`;
const workflowId = `ripcord/production/${service}/${deploymentId}`;

let dir: string;
let client: Client;
let guard: CliProcess | undefined;

const env = (): NodeJS.ProcessEnv => ({
  RIPCORD_PROFILE: '',
  ...integrationCliEnv(),
  RIPCORD_TASK_QUEUE: taskQueue,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-no-worker-'));
  client = await connectClient(integrationConnection(taskQueue));
});

afterAll(async () => {
  await guard?.stop('SIGINT');
  await client.workflow
    .getHandle(workflowId)
    .terminate('test over')
    .catch(() => undefined);
  await client.connection.close();
  rmSync(dir, { recursive: true, force: true });
});

test('guard --wait with no worker on its task queue says so and keeps waiting; status and list say the same', async () => {
  const policy = join(dir, 'policy.yaml');
  const canary = readFileSync(resolve(REPO_ROOT, 'policies', 'examples', 'canary.yaml'), 'utf8');
  writeFileSync(policy, canary.replace(/^ {2}service: checkout$/m, `  service: ${service}`));
  guard = new CliProcess(
    [
      'guard',
      '--policy',
      policy,
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
      '--wait',
    ],
    env(),
  );
  const namespace = integrationCliEnv().TEMPORAL_NAMESPACE;
  const hint = `no worker is polling task queue ${taskQueue} in namespace ${namespace}: start one with \`npx ripcord worker …\``;
  await guard.waitFor(new RegExp(`^guardian ${workflowId} \\(running since`, 'm'), 60_000);
  // Within seconds of the start (10 s, plus a busy machine's slack): the hint, and still waiting.
  await guard.waitFor(
    new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] ${escape(hint)}.*; still waiting$`, 'm'),
    60_000,
  );
  expect(guard.child.exitCode).toBeNull();

  const status = runCli(['status', deploymentId], { env: env() });
  expect(status.code).toBe(1);
  expect(status.stderr).toContain(`guardian ${workflowId} (last phase admit) cannot answer: ${hint}`);

  const list = runCli(['list', '--service', service], { env: env() });
  expect(list.code).toBe(0);
  expect(list.stdout).toMatch(new RegExp(`^${deploymentId} +${service} +production +2\\.0\\.0 +`, 'm'));
  expect(list.stdout).toContain(hint);

  expect(guard.child.exitCode).toBeNull();
  await guard.stop('SIGINT');
}, 180_000);

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
