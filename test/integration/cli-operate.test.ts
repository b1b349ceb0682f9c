import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { defaultActivityDeps } from '../../src/worker/composition';
import { findFreePort } from '../../src/dev/ports';
import { createWorker } from '../../src/worker';
import type { GuardianStatus } from '../../src/model/guardian';
import { CliProcess } from '../harness/cli';
import { bundleWorkflows, integrationConnection, quietRuntime, integrationCliEnv } from '../harness/temporal';

/**
 * An operator's day with a running guardian, through the CLI only: start it
 * from a pipeline (a retry joins it), look at it, list it, pause it, have a
 * stranger refused, abort it, and find the pipeline's `guard --wait` exit 30.
 * The worker runs in this process, so every command runs as a child process.
 */
const REPO_ROOT = resolve(__dirname, '..', '..');
const taskQueue = `cli-${randomUUID()}`;
const service = `svc-${randomUUID().slice(0, 8)}`;
const deploymentId = `d-${randomUUID().slice(0, 8)}`;
const workflowId = `ripcord/production/${service}/${deploymentId}`;

let dir: string;
let policyFile: string;
let worker: Worker;
let running: Promise<void>;
let closeWorker: () => Promise<void>;

const env = (): NodeJS.ProcessEnv => ({
  RIPCORD_PROFILE: '',
  ...integrationCliEnv(),
  RIPCORD_WEB_UI: process.env.RIPCORD_TEST_TEMPORAL_UI,
  RIPCORD_TASK_QUEUE: taskQueue,
  RIPCORD_ACTOR: '',
  RIPCORD_ROLE: '',
});

/** One command, stopped (and explained) if it does not answer within a minute. */
async function ripcord(args: string[], extra: NodeJS.ProcessEnv = {}) {
  const cli = new CliProcess(args, { ...env(), ...extra });
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

function expectExit(result: { code: number | null; stdout: string; stderr: string }, code: number): void {
  if (result.code !== code) {
    throw new Error(
      `expected exit ${code}, got ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
}

const guardArgs = () => [
  'guard',
  '--policy',
  policyFile,
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
];

beforeAll(async () => {
  quietRuntime();
  dir = mkdtempSync(join(tmpdir(), 'ripcord-cli-'));
  // The canary example under a service of this test's own, so no other guardian shares it.
  policyFile = join(dir, 'policy.yaml');
  const canary = readFileSync(resolve(REPO_ROOT, 'policies', 'examples', 'canary.yaml'), 'utf8');
  writeFileSync(policyFile, canary.replace(/^ {2}service: checkout$/m, `  service: ${service}`));
  const connection = integrationConnection(taskQueue);
  const created = await createWorker({
    connection,
    workflowBundle: await bundleWorkflows(),
    deps: defaultActivityDeps({ dryRun: true, stateDir: dir }),
  });
  worker = created.worker;
  closeWorker = created.close;
  running = worker.run();
});

afterAll(async () => {
  worker.shutdown();
  await running;
  await closeWorker();
  rmSync(dir, { recursive: true, force: true });
});

test('guard, status, list, pause, a refusal, abort: every command answers and links to the Web UI', async () => {
  const pipeline = new CliProcess([...guardArgs(), '--wait', '--poll', '0.5'], env());
  try {
    const started = await pipeline.waitFor(/^guardian (\S+) \(running since (\S+)\)/m);
    expect(started[1]).toBe(workflowId);
    await pipeline.waitFor(/phase watch/);
    const link = `${process.env.RIPCORD_TEST_TEMPORAL_UI}/namespaces/${integrationCliEnv().TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(workflowId)}`;
    expect(pipeline.stdout).toContain(`Web UI   ${link}`);

    // A retried pipeline step joins the running guardian instead of starting a second one.
    const retry = await ripcord(guardArgs());
    expectExit(retry, 0);
    expect(retry.stdout).toContain(`guardian ${workflowId} (running since ${started[2]}`);

    const status = await ripcord(['status', workflowId]);
    expectExit(status, 0);
    expect(status.stdout).toMatch(/^phase {8}watch$/m);
    expect(status.stdout).toContain(`deployment   ${deploymentId}: ${service} 2.0.0 in production`);
    expect(status.stdout).toContain(`Web UI       ${link}`);

    const json = await ripcord(['status', workflowId, '--json']);
    expectExit(json, 0);
    const parsed = JSON.parse(json.stdout) as GuardianStatus;
    expect(parsed).toMatchObject({ workflowId, deploymentId, service, phase: 'watch', paused: false });

    // Visibility is eventually consistent: the new guardian shows up in `list` within moments.
    let list = await ripcord(['list', '--service', service]);
    for (let attempt = 0; attempt < 10 && !list.stdout.includes(deploymentId); attempt++) {
      await new Promise((r) => setTimeout(r, 500));
      list = await ripcord(['list', '--service', service]);
    }
    expectExit(list, 0);
    expect(list.stdout).toMatch(
      /^DEPLOYMENT +SERVICE +ENV +VERSION +PHASE +VERDICT +EVIDENCE +WAIT +OUTCOME +STARTED$/m,
    );
    // The running guardian was asked: its verdict (or '-' before the first evaluation) and its wait.
    expect(list.stdout).toMatch(
      new RegExp(
        `^${deploymentId} +${service} +production +2\\.0\\.0 +watch +(healthy|inconclusive|regressed|-) +.+ +(next eval|resume|-) +- +\\d{4}-`,
        'm',
      ),
    );
    const listJson = await ripcord(['list', '--service', service, '--json']);
    expectExit(listJson, 0);
    const listed = (JSON.parse(listJson.stdout) as Array<{ workflowId: string; live: unknown }>).find(
      (r) => r.workflowId === workflowId,
    );
    expect(listed?.live).toMatchObject({ answered: true, phase: 'watch' });
    expect(list.stdout).toMatch(
      new RegExp(
        `^Web UI +http://\\S+/namespaces/${integrationCliEnv().TEMPORAL_NAMESPACE}/workflows\\?query=`,
        'm',
      ),
    );

    // Nothing to approve while watching: refused before anything is sent.
    const approve = await ripcord(['approve', deploymentId, '--as', 'alice', '--role', 'sre']);
    expectExit(approve, 1);
    expect(approve.stderr).toContain(
      'there is no rollback plan to approve (guardian phase watch); nothing was sent',
    );

    // An owner of the service may pause; the guardian says so, and status shows it.
    const pause = await ripcord(['pause', deploymentId, '--reason', 'looking'], {
      RIPCORD_ACTOR: 'team-payments',
      RIPCORD_ROLE: 'developer',
    });
    expectExit(pause, 0);
    expect(pause.stdout).toContain('accepted: paused: no evaluation until resumed');
    expect(pause.stdout).toContain(`Web UI   ${link}`);
    expect((await ripcord(['status', workflowId])).stdout).toContain('phase        watch (PAUSED');
    await pipeline.waitFor(/paused by an operator/);

    // A stranger is refused with the guardian's reason (exit 1).
    const stranger = await ripcord(['resume', workflowId, '--as', 'mallory', '--role', 'developer']);
    expectExit(stranger, 1);
    expect(stranger.stdout).toMatch(/^refused: resume needs .*an owner of the service \(team-payments\)/m);

    // The abort is accepted; the pipeline's guard --wait ends with exit 30.
    const abort = await ripcord([
      'abort',
      deploymentId,
      '--env',
      'production',
      '--service',
      service,
      '--as',
      'team-payments',
      '--role',
      'developer',
      '--reason',
      'test over',
    ]);
    expectExit(abort, 0);
    expect(abort.stdout).toContain('accepted: abort requested');
    expect(await pipeline.exited).toBe(30);
    expect(pipeline.stdout).toMatch(/outcome: aborted: aborted by team-payments/);

    const closed = await ripcord(['status', deploymentId, '--env', 'production', '--service', service]);
    expectExit(closed, 0);
    expect(closed.stdout).toContain('outcome      aborted: aborted by team-payments');

    const again = await ripcord(['abort', workflowId, '--as', 'team-payments', '--role', 'developer']);
    expectExit(again, 1);
    expect(again.stderr).toContain(`guardian ${workflowId} has already closed (aborted); nothing was sent`);
  } finally {
    await pipeline.stop();
  }
});

test('an unknown deployment and an unreachable server are one-line errors, exit 1', async () => {
  const unknown = await ripcord(['status', 'no-such-deployment']);
  expectExit(unknown, 1);
  expect(unknown.stderr).toBe(
    'ripcord: no guardian for deployment no-such-deployment: `ripcord list` shows the running guardians, `ripcord list --all` the closed ones too\n',
  );

  const port = await findFreePort();
  const down = await ripcord(['list'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
  expectExit(down, 1);
  expect(down.stderr).toMatch(
    new RegExp(`^ripcord: cannot reach Temporal at 127\\.0\\.0\\.1:${port} .*\\n$`),
  );
});
