import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { stringify as stringifyYaml } from 'yaml';
import { connectClient } from '../../src/client/connect';
import { type GuardianHandle, startGuardian } from '../../src/client/guardians';
import { type DeploySystem, startDeploySystem } from '../../src/dev/demo/deploy-system';
import { type Fleet, startFleet } from '../../src/dev/fleet';
import { type NginxServer, startNginx } from '../../src/dev/nginx';
import { findFreePort } from '../../src/dev/ports';
import { parsePolicyText, type LoadedPolicy } from '../../src/policy';
import { encryptingDataConverter, loadKeyringFile, writeNewKeyring } from '../../src/security/codec';
import { AesGcmPayloadCodec } from '../../src/security/codec/aes-gcm-codec';
import { setCanaryWeight } from '../../src/targets/nginx';
import type { WorkerTargetsFile } from '../../src/worker/targets-file';
import type { GuardianResult } from '../../src/model/guardian';
import { CliProcess, runCli } from '../harness/cli';
import { type Front, type FrontRequest, startFront } from '../harness/secret-front';
import {
  describeLeaks,
  findLeaks,
  historyText,
  type HistoryText,
  randomSecret,
} from '../harness/secret-scan';
import { integrationConnection } from '../harness/temporal';

/**
 * Issue 7 (security), acceptance: a full guardian run with a secret-bearing
 * Prometheus source leaves no secret value in the workflow history, in any log
 * line of the worker, or in the audit trail.
 *
 * All parts are real: the fleet's Prometheus (Debian package) scraping a
 * degrading canary, guarded by a bearer-token proxy; a `ripcord worker` child
 * process (so every line it logs, SDK core included, is captured) whose
 * secrets live only in its environment; a deploy system that checks each
 * webhook's HMAC; a Slack-compatible receiver whose URL is itself a secret.
 * The run goes through failure paths that carry text from outside into
 * messages: a wrong token first, answered by a proxy that echoes the
 * Authorization header it got (at every offset, also where a message is cut
 * short); a deploy system that fails its first call with an echo of the
 * request; a chat receiver that always fails. Then the canary's regression is
 * confirmed and the rollback runs. Once in plain JSON, once with payload
 * encryption on, where the raw history must not show the deployment either.
 */

const SECRETS = {
  PROM_TOKEN: randomSecret(),
  HOOK_HMAC: randomSecret(),
  // The part of the Slack webhook URL that makes it a credential.
  SLACK_TOKEN: randomSecret(),
};
/** What the proxy accepts before the test lets the worker's token in: the worker's token is wrong at first. */
const OTHER_TOKEN = randomSecret();
const ENVIRONMENT = 'secret-hygiene';

let dir: string;
let fleet: Fleet | undefined;
let nginx: NginxServer | undefined;
let targets: WorkerTargetsFile['targets'];
let promGate: Front | undefined;
let deploySystem: DeploySystem | undefined;
let hookFront: Front | undefined;
let slack: Server | undefined;
let slackUrl: string;
const slackPaths: string[] = [];
let keysFile: string;

/** The token the Prometheus proxy lets through right now, and what it refused. */
let acceptedToken = OTHER_TOKEN;
let refused = 0;
/** The deploy system's front fails this many calls to /hooks before it lets them through. */
let hookFaults = 0;
let hookFaultsAnswered = 0;

// Where the echoed token starts in the message excerpt, in turn: early (whole, to be scrubbed), and
// around the 200-character cut of an excerpt, where a message cut before it is scrubbed keeps a piece
// of it. Seven places: no series and group of an evaluation (six requests) always gets the same one.
const TOKEN_OFFSETS = [5, 120, 170, 176, 188, 199, 260];

/**
 * A reverse proxy in front of Prometheus that wants `Authorization: Bearer
 * <token>` and, like too many do, says what it got when it refuses: in plain
 * text or in Prometheus' JSON error shape (whose message ripcord prefixes with
 * the error type), the token at varying offsets.
 */
function prometheusGate(request: FrontRequest) {
  if (request.headers.authorization === `Bearer ${acceptedToken}`) return undefined;
  refused += 1;
  const json = refused % 2 === 1;
  const offset = TOKEN_OFFSETS[refused % TOKEN_OFFSETS.length]! - (json ? 'unauthorized: '.length : 0);
  const lead = (pad: number) =>
    `token not valid for this tenant ${'-'.repeat(pad + 1)} (you sent "Authorization: `;
  const message = `${lead(Math.max(0, offset - lead(0).length - 'Bearer '.length))}${request.headers.authorization ?? ''}")`;
  if (!json) return { status: 401, headers: { 'content-type': 'text/plain' }, body: message };
  return {
    status: 401,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'error', errorType: 'unauthorized', error: message }),
  };
}

/** The deploy system's first call fails with an echo of the whole request, headers and body. */
function flakyHooks(request: FrontRequest) {
  if (request.method !== 'POST' || !request.path.startsWith('/hooks') || hookFaults <= 0) return undefined;
  hookFaults -= 1;
  hookFaultsAnswered += 1;
  return {
    status: 503,
    headers: { 'content-type': 'text/plain' },
    body: `busy: ${request.body} (headers ${JSON.stringify(request.headers)})`,
  };
}

function policyText(): LoadedPolicy {
  const policy = {
    apiVersion: 'ripcord/v1',
    kind: 'RollbackPolicy',
    metadata: { service: 'checkout', environment: ENVIRONMENT, owners: ['team-payments'], version: '1' },
    deployment: { pattern: 'canary', steps: [{ weight: 50, holdSeconds: 600 }] }, // as long as the watch below: maxInconclusiveSeconds must fit in it
    mode: 'auto',
    rollbackWindow: { automaticSeconds: 3600 },
    sources: {
      'prometheus-guarded': {
        type: 'prometheus',
        url: promGate!.url,
        timeoutSeconds: 5,
        auth: { scheme: 'bearer', secret: '${secret:PROM_TOKEN}' },
      },
    },
    series: {
      requests: {
        source: 'prometheus-guarded',
        query:
          'sum(increase(http_requests_total{service="{{service}}",version="{{version}}"}[{{interval}}]))',
      },
      errors: {
        source: 'prometheus-guarded',
        query:
          'sum(increase(http_requests_total{service="{{service}}",version="{{version}}",code=~"5.."}[{{interval}}]))',
      },
      latency_p99_ms: {
        source: 'prometheus-guarded',
        query:
          '1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}",version="{{version}}"}[{{interval}}])))',
      },
    },
    signals: [
      {
        name: 'error-rate',
        kind: 'ratio',
        numerator: 'errors',
        denominator: 'requests',
        direction: 'higher-is-worse',
        comparison: 'vs-baseline',
        tolerance: { relative: 0.2, absolute: 0.001 },
        critical: true,
      },
      {
        name: 'latency-p99',
        kind: 'latency',
        series: 'latency_p99_ms',
        weight: 'requests',
        direction: 'higher-is-worse',
        comparison: 'vs-baseline',
        tolerance: { relative: 0.25 },
        critical: true,
      },
    ],
    evaluation: {
      intervalSeconds: 5,
      warmupSeconds: 0,
      alpha: 0.01,
      confirmationWindowSeconds: 10,
      minRequestsPerGroup: 25,
      // The wrong-token phase is a metrics outage of both groups: keep watching through it.
      maxInconclusiveSeconds: 600,
      missingData: { maxGapSeconds: 300, onLongGap: 'hold' },
    },
    plan: {
      steps: [
        {
          name: 'drain-canary',
          type: 'shift-traffic',
          weights: [0],
          pauseSeconds: 0,
          timeoutSeconds: 30,
          verify: { targetState: true, settleSeconds: 1, timeoutSeconds: 30 },
        },
        {
          name: 'tell-deploy-system',
          type: 'webhook',
          url: `${hookFront!.url}/hooks`,
          hmacSecret: '${secret:HOOK_HMAC}',
          timeoutSeconds: 30,
          retries: { maxAttempts: 4, backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 4 } },
          verify: { targetState: true, settleSeconds: 0, timeoutSeconds: 30 },
        },
      ],
    },
    // Judged on the baseline, which stays healthy.
    recovery: {
      deadlineSeconds: 60,
      targets: [
        { signal: 'error-rate', threshold: 0.02 },
        { signal: 'latency-p99', threshold: 400 },
      ],
    },
    notifications: [
      {
        name: 'deploys',
        type: 'webhook',
        url: deploySystem!.notifyUrl,
        hmacSecret: '${secret:HOOK_HMAC}',
        on: ['rollback-decided', 'rollback-completed', 'rollback-failed', 'escalated'],
      },
      {
        name: 'payments-chat',
        type: 'slack',
        webhookUrlSecret: '${secret:SLACK_WEBHOOK}',
        on: ['rollback-decided', 'rollback-completed'],
      },
    ],
  };
  return parsePolicyText(stringifyYaml(policy), { filename: 'secret-hygiene.yaml' });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-secrets-'));
  // The canary turns bad a moment after it starts and stays bad: every guardian that watches it rolls back.
  fleet = await startFleet({
    dir: join(dir, 'fleet'),
    canaryBehaviour: 'degrading',
    warmupSeconds: 1,
    scrapeIntervalSeconds: 1,
    load: { ratePerSecond: 40 },
    seed: 7,
  });
  promGate = await startFront({ upstream: fleet.prometheus.url, intercept: prometheusGate });
  deploySystem = await startDeploySystem({ secret: SECRETS.HOOK_HMAC });
  hookFront = await startFront({ upstream: deploySystem.url, intercept: flakyHooks });
  slack = createServer((req, res) => {
    slackPaths.push(req.url ?? '');
    req.resume();
    // A chat server having a bad day: the notification fails, the rollback must not care.
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`internal error handling ${req.url ?? ''}`);
  });
  await new Promise<void>((resolve) => slack!.listen(0, '127.0.0.1', resolve));
  slackUrl = `http://127.0.0.1:${(slack.address() as AddressInfo).port}/services/T0/B0/${SECRETS.SLACK_TOKEN}`;

  keysFile = join(dir, 'keyring.json');
  await writeNewKeyring(keysFile, 'k-hygiene');
  nginx = await startNginx({
    dir: join(dir, 'nginx'),
    port: await findFreePort(),
    services: [fleet.service],
  });
  targets = {
    traffic: {
      type: 'nginx',
      ...nginx.targetPaths,
      pauseScale: 1,
      reloadTimeoutSeconds: 10,
      services: {
        [fleet.service]: {
          pattern: 'canary',
          baseline: fleet.baseline.address,
          canary: fleet.canary.address,
          probe: { url: `${nginx.url}/`, count: 10, timeoutMs: 2000, version: { header: 'x-version' } },
        },
      },
    },
    webhooks: {
      type: 'webhook',
      // Status URLs point at the deploy system itself, past its front.
      allowedHosts: [hookFront.address, deploySystem.url.replace('http://', '')],
      timeoutSeconds: 10,
    },
  } as WorkerTargetsFile['targets'];
  writeFileSync(
    join(dir, 'targets.yaml'),
    stringifyYaml({ apiVersion: 'ripcord/v1', kind: 'WorkerTargets', targets }),
  );
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
  await nginx?.stop();
  await promGate?.stop();
  await hookFront?.stop();
  await deploySystem?.stop();
  if (slack) {
    slack.closeAllConnections();
    await new Promise<void>((resolve) => slack!.close(() => resolve()));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  handle: GuardianHandle;
  result: GuardianResult;
  history: HistoryText;
  /** The same history read without the codec: what the server stores. */
  stored: HistoryText;
  workerOutput: string;
  audit: string;
  statusJson: string;
  deploymentId: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * One guardian from start to close on its own worker process. The worker gets
 * its secrets through the environment only; `refusals` is how many of its
 * Prometheus requests the proxy refuses before its token is accepted.
 */
async function guard(name: string, options: { encrypted: boolean; refusals: number }): Promise<Run> {
  const stateDir = join(dir, name);
  mkdirSync(stateDir, { recursive: true });
  const connection = integrationConnection(`secrets-${name}-${randomUUID()}`);
  const deploymentId = `${name}-${randomUUID().slice(0, 8)}`;
  const loaded = policyText();
  const keyring = loadKeyringFile(keysFile);
  const codecArgs = options.encrypted ? ['--codec-keys', keysFile] : [];
  const worker = new CliProcess(
    [
      'worker',
      '--targets',
      join(dir, 'targets.yaml'),
      '--state-dir',
      stateDir,
      '--log-level',
      'DEBUG',
      ...codecArgs,
    ],
    {
      RIPCORD_PROFILE: '',
      TEMPORAL_ADDRESS: connection.address,
      TEMPORAL_NAMESPACE: connection.namespace,
      RIPCORD_TASK_QUEUE: connection.taskQueue,
      RIPCORD_WEB_UI: process.env.RIPCORD_TEST_TEMPORAL_UI,
      RIPCORD_CODEC_KEYS: '',
      RIPCORD_CODEC_KEYRING: '',
      RIPCORD_SECRET_PROM_TOKEN: SECRETS.PROM_TOKEN,
      RIPCORD_SECRET_HOOK_HMAC: SECRETS.HOOK_HMAC,
      RIPCORD_SECRET_SLACK_WEBHOOK: slackUrl,
    },
  );
  let client: Client | undefined;
  try {
    await worker.waitFor(/worker running/, 120_000);
    client = await connectClient(
      connection,
      options.encrypted ? { dataConverter: encryptingDataConverter(keyring) } : {},
    );
    // The deploy: half the traffic to the canary (the previous run's rollback took it to 0).
    await setCanaryWeight(targets.traffic!, fleet!.service, 50);
    acceptedToken = options.refusals > 0 ? OTHER_TOKEN : SECRETS.PROM_TOKEN;
    const refusedBefore = refused;
    hookFaults = 1;
    const handle = await startGuardian(client, connection.taskQueue, {
      deployment: {
        deploymentId,
        service: fleet!.service,
        environment: ENVIRONMENT,
        version: fleet!.canaryVersion,
        previousVersion: fleet!.baselineVersion,
        deployer: 'pipeline',
        deployedAt: new Date().toISOString(),
      },
      policy: loaded.policy,
      policyHash: loaded.hash,
      watchSeconds: 600,
    });
    if (options.refusals > 0) {
      await until(
        'the proxy to refuse the wrong token',
        () => refused - refusedBefore >= options.refusals,
        90_000,
      );
      acceptedToken = SECRETS.PROM_TOKEN;
    }
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      handle.result(),
      new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 150_000))),
    ]).finally(() => clearTimeout(timer));
    if (closed === undefined) {
      const status = await handle.query('status');
      throw new Error(`the guardian did not close: ${JSON.stringify(status)}\n${worker.stderr.slice(-4000)}`);
    }
    const result = closed;
    const raw = await client.workflow.getHandle(handle.workflowId).fetchHistory();
    const history = await historyText(raw, { codec: new AesGcmPayloadCodec(keyring) });
    const stored = await historyText(raw, 'as stored');
    const status = runCli(['status', handle.workflowId, '--json'], {
      env: {
        RIPCORD_PROFILE: '',
        TEMPORAL_ADDRESS: connection.address,
        TEMPORAL_NAMESPACE: connection.namespace,
        RIPCORD_TASK_QUEUE: connection.taskQueue,
        RIPCORD_CODEC_KEYS: options.encrypted ? keysFile : '',
      },
    });
    expect(status.code).toBe(0);
    worker.child.kill('SIGTERM');
    await worker.exited;
    const auditFile = join(stateDir, 'audit.jsonl');
    return {
      handle,
      result,
      history,
      stored,
      workerOutput: `${worker.stdout}\n${worker.stderr}`,
      audit: existsSync(auditFile) ? readFileSync(auditFile, 'utf8') : '',
      statusJson: status.stdout + status.stderr,
      deploymentId,
    };
  } finally {
    await worker.stop('SIGKILL');
    await client?.connection.close();
  }
}

/** No secret in any form anywhere the run left text. */
function expectNoSecrets(run: Run): void {
  const leaks = [
    ...findLeaks(run.history.text, SECRETS, 'the decoded workflow history'),
    ...findLeaks(run.stored.text, SECRETS, 'the history as stored'),
    ...findLeaks(run.workerOutput, SECRETS, "the worker's log"),
    ...findLeaks(run.audit, SECRETS, 'the audit trail'),
    ...findLeaks(run.statusJson, SECRETS, 'ripcord status --json'),
  ];
  expect(describeLeaks(leaks)).toBe('');
}

test('plain payloads: a wrong token first, then the rollback; no secret in history, logs or audit', async () => {
  const slackCallsBefore = slackPaths.length;
  const hookFaultsBefore = hookFaultsAnswered;
  const run = await guard('plain', { encrypted: false, refusals: 7 * 6 });
  expect(run.result.outcome).toBe('rolled-back');

  // The failure paths did happen, and their text reached the history: refusals echoing the
  // token, scrubbed; the deploy system's failed first call; the chat receiver's failures.
  expect(run.history.text).toMatch(/HTTP 401: .*\[redacted\]/);
  expect(run.history.text).toContain('answered HTTP 503');
  expect(hookFaultsAnswered - hookFaultsBefore).toBe(1);
  expect(slackPaths.length).toBeGreaterThan(slackCallsBefore);
  expect(run.workerOutput).toMatch(/notification to payments-chat failed/);
  // The secrets were used: the deploy system checked the HMAC of the step, and it ran once.
  const jobs = deploySystem!.jobs().filter((j) => j.deploymentId === run.deploymentId);
  expect(jobs.map((j) => j.action)).toEqual(['rollback']);
  // What was searched is not empty: the audit trail and the worker's log are there.
  expect(run.audit).toMatch(/"kind":"outcome"/);
  expect(run.workerOutput).toMatch(/step done/);

  expectNoSecrets(run);
}, 300_000);

test('encrypted payloads: history as stored shows neither secrets nor the deployment', async () => {
  const run = await guard('encrypted', { encrypted: true, refusals: 7 * 2 });
  expect(run.result.outcome).toBe('rolled-back');
  expect(run.history.text).toMatch(/HTTP 401: .*\[redacted\]/);
  expect(run.history.text).toContain(run.deploymentId);
  expect(run.history.text).toContain('answered HTTP 503');

  expectNoSecrets(run);

  // Every payload outside the search attributes (which the server indexes, so they stay
  // readable on purpose) is ciphertext, and no stored byte of them names the deployment.
  // Markers are written by the SDK's core itself, past the data converter. A patch marker (none
  // today: see docs/operations.md, "Changing a workflow after release") may hold the patch's id
  // and nothing else. A local activity's
  // marker keeps its bookkeeping (sequence, attempt, type, times) in plain JSON; its result goes
  // through the codec like every other payload, so it is checked below.
  const isPatchMarker = (p: { path: string }) =>
    /markerRecordedEventAttributes\.details\.patch-data\./.test(p.path);
  const isLocalActivityData = (p: { path: string }) =>
    /markerRecordedEventAttributes\.details\.data\./.test(p.path);
  for (const marker of run.stored.rawPayloads.filter(isPatchMarker)) {
    const data = JSON.parse(marker.data) as Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual(['deprecated', 'id']);
    expect(data.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  }
  const localActivityData = run.stored.rawPayloads.filter(isLocalActivityData);
  expect(localActivityData.length).toBeGreaterThan(3);
  for (const marker of localActivityData) {
    const data = JSON.parse(marker.data) as Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual([
      'activity_id',
      'activity_type',
      'attempt',
      'backoff',
      'complete_time',
      'original_schedule_time',
      'seq',
    ]);
    expect(data.activity_type).toBe('readHealthInterval');
  }
  const payloads = run.stored.rawPayloads.filter(
    (p) => !/searchAttributes/.test(p.path) && !isPatchMarker(p) && !isLocalActivityData(p),
  );
  expect(payloads.length).toBeGreaterThan(10);
  expect(payloads.filter((p) => p.encoding !== 'binary/encrypted').map((p) => p.path)).toEqual([]);
  for (const payload of payloads) {
    expect(payload.data).not.toContain(run.deploymentId);
    expect(payload.data).not.toContain('team-payments');
    expect(payload.data).not.toContain(promGate!.url);
  }
  // Nor does any text the server keeps outside payloads (failure messages, stack traces), but
  // the workflow id, which names the deployment by design (ripcord/<env>/<service>/<deployment>).
  const named = run.stored.plainStrings.filter(
    (s) => s.value.includes(run.deploymentId) && !/\.workflowId$/.test(s.path),
  );
  expect(named.map((s) => `${s.path}: ${s.value.slice(0, 300)}`)).toEqual([]);
}, 300_000);
