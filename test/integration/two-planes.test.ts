import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../src/client/connect';
import { startGuardian } from '../../src/client/guardians';
import { type NginxServer, startNginx } from '../../src/dev/nginx';
import { findFreePort } from '../../src/dev/ports';
import { executeTaskQueue } from '../../src/model/planes';
import { readServiceState, setCanaryWeight } from '../../src/targets/nginx';
import { chaosPolicy } from '../harness/chaos-policy';
import { type ChaosReceiver, startChaosReceiver } from '../harness/chaos-receiver';
import { writeTargetsFile } from '../harness/chaos-worker';
import { CliProcess, runCli } from '../harness/cli';
import { integrationCliEnv, integrationConnection } from '../harness/temporal';

/**
 * Least privilege (#21): a decide worker and an execute worker, separate
 * `ripcord worker` processes on the real dev server. The decide plane runs the
 * guardian with no production credential; the execute plane of `production`
 * holds the targets file (a real nginx) and the webhook step's HMAC secret. A
 * rollback completes through both: the decision on one, every step on the
 * other's task queue. Then the decide worker's process environment, its logs
 * and the guardian's whole history are searched for the secret.
 */
jest.setTimeout(300_000);

const taskQueue = `planes-${randomUUID()}`;
const SERVICE = 'checkout-planes';
const HOOK_SECRET = `hook-${randomBytes(12).toString('hex')}`;
const NOTIFY_SECRET = `notify-${randomBytes(12).toString('hex')}`;

let dir: string;
let nginx: NginxServer;
let traffic: Parameters<typeof setCanaryWeight>[0];
let receiver: ChaosReceiver;
let notifyServer: Server;
const backends: Server[] = [];
let decide: CliProcess | undefined;
let execute: CliProcess | undefined;
let client: Client;

function listen(server: Server): Promise<string> {
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => done(`127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // Only what each process is given: no secret leaks from this test process's own environment.
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('RIPCORD_SECRET_')),
  );
  return { ...clean, RIPCORD_PROFILE: '', ...integrationCliEnv(), RIPCORD_TASK_QUEUE: taskQueue, ...extra };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-planes-'));
  const [v1, v2] = await Promise.all(
    ['1.9.0', '2.0.0'].map((version) => {
      const server = createServer((_req, res) => res.end(version));
      backends.push(server);
      return listen(server);
    }),
  );
  nginx = await startNginx({ dir: join(dir, 'nginx'), port: await findFreePort(), services: [SERVICE] });
  traffic = {
    type: 'nginx',
    ...nginx.targetPaths,
    pauseScale: 0.001,
    services: { [SERVICE]: { pattern: 'canary', baseline: v1!, canary: v2! } },
  };
  await setCanaryWeight(traffic, SERVICE, 50);
  receiver = await startChaosReceiver({ secret: HOOK_SECRET });
  notifyServer = createServer((req, res) => {
    req.resume();
    res.end();
  });
  const notifyHost = await listen(notifyServer);
  const targetsFile = writeTargetsFile(dir, {
    traffic,
    webhooks: { type: 'webhook', allowedHosts: ['127.0.0.1'], timeoutSeconds: 10 },
  } as never);
  writeFileSync(
    join(dir, 'policy-addresses.json'),
    JSON.stringify({ hook: receiver.hookUrl, notify: `http://${notifyHost}/notify` }),
  );

  decide = new CliProcess(
    [
      'worker',
      '--plane',
      'decide',
      '--insecure-claims',
      '--accept-replay',
      '--allow-secret',
      'PLANES_NOTIFY_HMAC',
      '--state-dir',
      join(dir, 'decide'),
    ],
    cliEnv({ RIPCORD_SECRET_PLANES_NOTIFY_HMAC: NOTIFY_SECRET }),
  );
  execute = new CliProcess(
    [
      'worker',
      '--plane',
      'execute',
      '--environment',
      'production',
      '--targets',
      targetsFile,
      '--insecure-claims',
      '--state-dir',
      join(dir, 'execute'),
    ],
    cliEnv({ RIPCORD_SECRET_PLANES_HOOK_HMAC: HOOK_SECRET }),
  );
  await Promise.all([
    decide.waitFor(/ripcord worker running/, 180_000),
    execute.waitFor(/ripcord worker running/),
  ]);
  client = await connectClient(integrationConnection(taskQueue));
}, 240_000);

afterAll(async () => {
  await client?.connection.close();
  await Promise.all([decide?.stop(), execute?.stop()]);
  await nginx?.stop();
  await receiver?.stop();
  await Promise.all([...backends, notifyServer].map((s) => new Promise((done) => s?.close(done))));
  rmSync(dir, { recursive: true, force: true });
});

/** A canary whose errors go from 0.5% to 15% at interval 4: a clear regression. */
function regressionScenario(): string {
  const length = 30;
  const series = (f: (i: number) => number, g: (i: number) => number) => ({
    baseline: Array.from({ length }, (_, i) => f(i)),
    canary: Array.from({ length }, (_, i) => g(i)),
  });
  const file = join(dir, 'regression.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'ripcord.scenario/v1',
      name: 'planes regression',
      intervalSeconds: 3,
      series: {
        requests: series(
          () => 400,
          () => 400,
        ),
        errors: series(
          (i) => 2 + (i % 2),
          (i) => (i >= 4 ? 60 : 2 + (i % 3)),
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

/** Every payload of the history as text, decoded the way the bytes are stored (JSON). */
async function historyText(workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const texts: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) texts.push(Buffer.from(value).toString('utf8'));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
    else if (typeof value === 'string') texts.push(value);
  };
  walk(history);
  return texts.join('\n');
}

test('a decide plane refuses to start with a target secret or a targets file in reach', () => {
  const withSecret = runCli(['worker', '--plane', 'decide'], {
    env: cliEnv({ RIPCORD_SECRET_PLANES_HOOK_HMAC: HOOK_SECRET }),
  });
  expect({ code: withSecret.code, stderr: withSecret.stderr }).toEqual({
    code: 2,
    stderr: expect.stringMatching(
      /--plane decide holds no production credential, but its environment has RIPCORD_SECRET_PLANES_HOOK_HMAC/,
    ),
  });
  expect(withSecret.stderr).not.toContain(HOOK_SECRET);
  const withTargets = runCli(['worker', '--plane', 'decide', '--targets', join(dir, 'targets.yaml')], {
    env: cliEnv(),
  });
  expect(withTargets.code).toBe(2);
  expect(withTargets.stderr).toMatch(/given a targets file \(--targets\): give it to the execute plane/);
});

test('a rollback completes through both planes, each step on the execute queue; the decide plane never holds the secret', async () => {
  const addresses = JSON.parse(readFileSync(join(dir, 'policy-addresses.json'), 'utf8')) as {
    hook: string;
    notify: string;
  };
  const loaded = chaosPolicy(
    { prometheusUrl: 'http://127.0.0.1:9', hookUrl: addresses.hook, notifyUrl: addresses.notify },
    (p) => {
      p.metadata.service = SERVICE;
      p.metadata.environment = 'production';
      p.plan.steps = p.plan.steps.filter((s: { type: string }) => s.type !== 'revert-artifact');
      p.plan.steps.find((s: { type: string }) => s.type === 'webhook').hmacSecret =
        '${secret:PLANES_HOOK_HMAC}';
      p.notifications[0].hmacSecret = '${secret:PLANES_NOTIFY_HMAC}';
      delete p.trustedKeys;
    },
  );
  const handle = await startGuardian(client, taskQueue, {
    deployment: {
      deploymentId: `planes-${randomUUID().slice(0, 8)}`,
      service: SERVICE,
      environment: 'production',
      version: '2.0.0',
      previousVersion: '1.9.0',
      deployedAt: new Date().toISOString(),
    },
    policy: loaded.policy,
    policyHash: loaded.hash,
    replay: { scenarioFile: regressionScenario() },
    speed: 3,
    watchSeconds: 80,
  });
  const result = await handle.result();
  expect({ outcome: result.outcome, reason: result.reason }).toMatchObject({ outcome: 'rolled-back' });

  // The steps ran on the execute plane: scheduled on its queue, applied to the real nginx and the receiver.
  const queues: string[] = [];
  for (const event of (await handle.fetchHistory()).events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'executeStep') queues.push(scheduled.taskQueue?.name ?? '');
  }
  expect(queues).toEqual([
    executeTaskQueue(taskQueue, 'production'),
    executeTaskQueue(taskQueue, 'production'),
  ]);
  const state = await readServiceState(traffic, SERVICE);
  expect(state.state).toEqual({ pattern: 'canary', canaryWeight: 0 });
  // The deploy system got one job, signed with the secret only the execute plane holds.
  expect({ jobs: receiver.jobs().length, refused: receiver.refused() }).toEqual({ jobs: 1, refused: 0 });

  // Nowhere on the decide side: its process environment, its logs, the guardian's history.
  const environ = readFileSync(`/proc/${decide!.child.pid}/environ`, 'utf8');
  expect(environ).toContain('RIPCORD_SECRET_PLANES_NOTIFY_HMAC');
  expect(environ).not.toContain(HOOK_SECRET);
  expect(environ).not.toContain('RIPCORD_TARGETS');
  expect(`${decide!.stdout}\n${decide!.stderr}`).not.toContain(HOOK_SECRET);
  expect(decide!.stdout).toMatch(/plane: +decide/);
  expect(execute!.stdout).toMatch(/plane: +execute: the rollback steps of production/);
  const history = await historyText(handle.workflowId);
  expect(history).toContain('tell-deploy-system');
  expect(history).not.toContain(HOOK_SECRET);
});
