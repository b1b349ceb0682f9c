import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { parseDocument, stringify as stringifyYaml } from 'yaml';
import { connectClient } from '../../src/client/connect';
import { type LocalUnleash, startUnleash } from '../../src/dev/unleash';
import { type SlowProxy, startSlowProxy } from '../harness/chaos-slow-proxy';
import { CliProcess } from '../harness/cli';
import { writeErrorStepScenario } from '../harness/replay-guardian';
import { bundleWorkflows, integrationCliEnv, integrationConnection, quietRuntime } from '../harness/temporal';

/**
 * Issue 21, tracing acceptance: one trace from the pipeline to every rollback
 * step. A pipeline step runs `ripcord guard --replay --wait` with TRACEPARENT
 * set, as CI systems export it; a `ripcord worker` process with real targets
 * runs the guardian of a feature-flag release until it rolls back: the flag
 * switched off in a real Unleash (seen through a proxy that records what
 * arrives), then a deploy system told by a signed webhook, and a webhook
 * notification sent. Both processes export their spans over OTLP/HTTP to a
 * receiver inside this test. Every span received, the client's, the
 * workflow's and each activity's, belongs to the pipeline's trace; the
 * client's first span is a child of the pipeline's span; and every request
 * Unleash, the deploy system and the notification receiver got carries a
 * `traceparent` of that trace whose parent is the activity that sent it.
 * `ripcord status` and `ripcord report` print the trace id.
 */
jest.setTimeout(240_000);

const REPO_ROOT = resolve(__dirname, '..', '..');
const HMAC = `hmac-${randomUUID()}`;
const taskQueue = `tracing-${randomUUID()}`;
const service = `traced-${randomUUID().slice(0, 8)}`;
const deploymentId = `traced-${randomUUID().slice(0, 8)}`;
const PIPELINE_TRACE = randomBytes(16).toString('hex');
const PIPELINE_SPAN = randomBytes(8).toString('hex');
const FLAG = `traced.flag-${randomUUID().slice(0, 8)}`;

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  service: string;
  attributes: Record<string, unknown>;
}

interface HookRequest {
  method: string;
  path: string;
  traceparent: string | undefined;
}

let dir: string;
let otlp: Server;
let hooks: Server;
let otlpUrl: string;
let hooksUrl: string;
const spans: ReceivedSpan[] = [];
const otlpProblems: string[] = [];
const hookRequests: HookRequest[] = [];
const unleashRequests: HookRequest[] = [];
let worker: CliProcess | undefined;
let unleash: LocalUnleash | undefined;
let unleashFront: SlowProxy | undefined;

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
type OtlpAttribute = { key: string; value: OtlpValue };

function attributes(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) out[key] = value.stringValue ?? value.intValue ?? value.boolValue;
  return out;
}

/** OTLP/HTTP with the JSON encoding (the exporter ripcord uses by default): POST /v1/traces. */
function receiveSpans(text: string): void {
  const request = JSON.parse(text) as {
    resourceSpans?: {
      resource?: { attributes?: OtlpAttribute[] };
      scopeSpans?: {
        spans?: {
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          name: string;
          attributes?: OtlpAttribute[];
        }[];
      }[];
    }[];
  };
  for (const resourceSpans of request.resourceSpans ?? []) {
    const serviceName = String(attributes(resourceSpans.resource?.attributes)['service.name'] ?? '');
    for (const scope of resourceSpans.scopeSpans ?? [])
      for (const span of scope.spans ?? [])
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          service: serviceName,
          attributes: attributes(span.attributes),
        });
  }
}

function listen(server: Server): Promise<string> {
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => done(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

function close(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((done) => server.close(() => done()));
}

/**
 * The example p99 policy for this test's service, released behind FLAG: the
 * flag switched off, then a webhook to the deploy system; one webhook notification.
 */
function writePolicy(file: string): void {
  const text = readFileSync(resolve(REPO_ROOT, 'policies', 'examples', 'canary-p99-only.yaml'), 'utf8');
  const doc = parseDocument(text);
  doc.setIn(['metadata', 'service'], service);
  doc.setIn(
    ['deployment'],
    doc.createNode({ pattern: 'feature-flag', provider: 'unleash', flag: FLAG, project: 'default' }),
  );
  doc.setIn(
    ['plan', 'steps'],
    doc.createNode([
      {
        name: 'flag-off',
        type: 'disable-flag',
        timeoutSeconds: 10,
        verify: { targetState: true, settleSeconds: 0, timeoutSeconds: 20 },
      },
      {
        name: 'tell-deploy-system',
        type: 'webhook',
        url: `${hooksUrl}/hooks/rollback`,
        hmacSecret: '${secret:HOOK_HMAC}',
        timeoutSeconds: 10,
        verify: { targetState: true, settleSeconds: 0, timeoutSeconds: 20 },
      },
    ]),
  );
  doc.setIn(
    ['notifications'],
    doc.createNode([
      {
        name: 'deploys',
        type: 'webhook',
        url: `${hooksUrl}/notify`,
        hmacSecret: '${secret:HOOK_HMAC}',
        on: ['rollback-decided', 'rollback-completed', 'rollback-failed', 'escalated'],
      },
    ]),
  );
  writeFileSync(file, doc.toString());
}

/** Tracing configured the standard way, to the receiver; batches leave every 200 ms. */
const otelEnv = (): NodeJS.ProcessEnv => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
  OTEL_EXPORTER_OTLP_PROTOCOL: '',
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: '',
  OTEL_TRACES_EXPORTER: '',
  OTEL_SDK_DISABLED: '',
  OTEL_SERVICE_NAME: '',
  OTEL_BSP_SCHEDULE_DELAY: '200',
});

const cliEnv = (): NodeJS.ProcessEnv => ({
  RIPCORD_PROFILE: '',
  ...integrationCliEnv(),
  RIPCORD_TASK_QUEUE: taskQueue,
  RIPCORD_AUDIT_DB: '',
  RIPCORD_CODEC_KEYS: '',
  RIPCORD_CODEC_KEYRING: '',
  TRACEPARENT: '',
  TRACESTATE: '',
});

async function unleashAdmin(method: 'POST', path: string, json?: unknown): Promise<void> {
  const response = await fetch(`${unleash!.url}${path}`, {
    method,
    headers: {
      authorization: unleash!.adminToken,
      ...(json === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-tracing-'));
  unleash = await startUnleash();
  await unleashAdmin('POST', '/api/admin/projects/default/features', { name: FLAG, type: 'release' });
  await unleashAdmin('POST', `/api/admin/projects/default/features/${FLAG}/environments/production/on`);
  // What reaches Unleash, headers included, passed on as it came.
  unleashFront = await startSlowProxy({
    upstream: unleash.url,
    holdMs: 0,
    slow: (req) => {
      const traceparent = req.headers.traceparent;
      unleashRequests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        traceparent: Array.isArray(traceparent) ? traceparent[0] : traceparent,
      });
      return false;
    },
  });
  otlp = createServer((req, res) => {
    void body(req).then((text) => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        otlpProblems.push(`${req.method} ${req.url}`);
      } else if (!String(req.headers['content-type']).startsWith('application/json')) {
        otlpProblems.push(`content-type ${req.headers['content-type']}`);
      } else {
        receiveSpans(text);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  otlpUrl = await listen(otlp);
  // A deploy system: accepts the rollback with a status URL, which then says it succeeded.
  hooks = createServer((req, res) => {
    void body(req).then(() => {
      const traceparent = req.headers.traceparent;
      hookRequests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        traceparent: Array.isArray(traceparent) ? traceparent[0] : traceparent,
      });
      res.writeHead(req.url?.startsWith('/hooks/') ? 202 : 200, { 'content-type': 'application/json' });
      if (req.url?.startsWith('/hooks/')) res.end(JSON.stringify({ statusUrl: `${hooksUrl}/jobs/1` }));
      else if (req.url?.startsWith('/jobs/'))
        res.end(JSON.stringify({ state: 'succeeded', message: 'done' }));
      else res.end('{}');
    });
  });
  hooksUrl = await listen(hooks);

  const hostPort = hooksUrl.replace('http://', '');
  writeFileSync(
    join(dir, 'targets.yaml'),
    stringifyYaml({
      apiVersion: 'ripcord/v1',
      kind: 'WorkerTargets',
      targets: {
        webhooks: { type: 'webhook', allowedHosts: [hostPort], timeoutSeconds: 10 },
        flags: {
          type: 'unleash',
          url: unleashFront.url,
          tokenSecret: '${secret:UNLEASH_TOKEN}',
          environment: 'production',
          timeoutSeconds: 10,
        },
      },
    }),
  );
  mkdirSync(join(dir, 'worker'));
  worker = new CliProcess(
    ['worker', '--targets', join(dir, 'targets.yaml'), '--accept-replay', '--state-dir', join(dir, 'worker')],
    {
      ...cliEnv(),
      ...otelEnv(),
      RIPCORD_SECRET_HOOK_HMAC: HMAC,
      RIPCORD_SECRET_UNLEASH_TOKEN: unleash.adminToken,
    },
  );
  await worker.waitFor(/^ripcord worker running on /m, 120_000);
}, 200_000);

afterAll(async () => {
  await worker?.stop('SIGKILL');
  await unleashFront?.stop();
  await unleash?.stop();
  await close(otlp);
  await close(hooks);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const cli = new CliProcess(args, env);
  const code = await cli.exited;
  return { code, out: `${cli.stdout}${cli.stderr}` };
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('one trace from the pipeline through the client, the workflow and every activity to the webhook', async () => {
  const policyFile = join(dir, 'policy.yaml');
  writePolicy(policyFile);
  const scenario = writeErrorStepScenario(join(dir, 'error-step.json'));
  const traceparent = `00-${PIPELINE_TRACE}-${PIPELINE_SPAN}-01`;

  // The pipeline's guard step, joining the pipeline's trace.
  const guard = await run(
    [
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
      '--replay',
      scenario,
      '--wait',
    ],
    { ...cliEnv(), ...otelEnv(), TRACEPARENT: traceparent },
  );
  // Rolled back (exit 10); the output says so, and names the trace.
  expect(`exit ${guard.code}\n${guard.out}`).toMatch(/^exit 10\n/);
  expect(guard.out).toMatch(new RegExp(`^trace +${PIPELINE_TRACE}$`, 'm'));

  // What the guardian ran, from its history: every activity type it scheduled.
  const client = await connectClient(integrationConnection(taskQueue));
  let activityTypes: string[];
  let workflowId: string;
  let history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
  try {
    const rows = client.workflow.list({ query: `RipcordDeploymentId = "${deploymentId}"` });
    const found: string[] = [];
    for await (const row of rows) found.push(row.workflowId);
    expect(found).toHaveLength(1);
    workflowId = found[0]!;
    history = await client.workflow.getHandle(workflowId).fetchHistory();
    activityTypes = [
      ...new Set(
        (history.events ?? []).flatMap((e) => {
          const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
          return name ? [name] : [];
        }),
      ),
    ].sort();
  } finally {
    await client.connection.close();
  }
  expect(activityTypes).toEqual(expect.arrayContaining(['admitDeployment', 'executeStep', 'notify']));
  // A worker that does not trace replays what a tracing one recorded (tracing turned off, a mixed fleet).
  quietRuntime();
  await expect(
    Worker.runReplayHistory({ workflowBundle: await bundleWorkflows() }, history, workflowId),
  ).resolves.toBeUndefined();

  // ripcord status (the guardian's answer to a query) and ripcord report name the trace.
  const statusJson = await run(['status', workflowId, '--json'], cliEnv());
  expect(statusJson.code).toBe(0);
  expect(JSON.parse(statusJson.out)).toMatchObject({ phase: 'close', traceId: PIPELINE_TRACE });
  const statusText = await run(['status', workflowId], cliEnv());
  expect(statusText.out).toMatch(new RegExp(`^trace +${PIPELINE_TRACE}$`, 'm'));
  const report = await run(['report', workflowId], cliEnv());
  expect(report.code).toBe(0);
  expect(report.out).toMatch(new RegExp(`^trace +${PIPELINE_TRACE}$`, 'm'));

  // The worker flushes what it has left when it stops.
  worker!.child.kill('SIGTERM');
  await worker!.exited;
  const named = (name: string) => spans.filter((s) => s.name === name);
  await until(
    'the workflow, activity and client spans',
    () =>
      named('RunWorkflow:guardian').length > 0 &&
      activityTypes.every((type) => named(`RunActivity:${type}`).length > 0) &&
      named('StartWorkflow:guardian').length > 0,
    30_000,
  );
  expect(otlpProblems).toEqual([]);

  // ONE trace: the pipeline's.
  expect([...new Set(spans.map((s) => s.traceId))]).toEqual([PIPELINE_TRACE]);
  // The client's first span is a child of the pipeline's span, and the start is inside it.
  const guardSpan = spans.find((s) => s.parentSpanId === PIPELINE_SPAN);
  expect(guardSpan).toMatchObject({ service: 'ripcord' });
  const start = named('StartWorkflow:guardian')[0]!;
  expect(start.parentSpanId).toBe(guardSpan!.spanId);
  // The workflow runs under the client's start; each activity under the workflow's schedule of it.
  const runWorkflow = named('RunWorkflow:guardian')[0]!;
  expect(runWorkflow).toMatchObject({ parentSpanId: start.spanId, service: 'ripcord-worker' });
  // Of the workflow's info, its ids and type only: not its search attributes or memo.
  expect(Object.keys(runWorkflow.attributes).sort()).toEqual([
    'attempt',
    'namespace',
    'runId',
    'taskQueue',
    'workflowId',
    'workflowType',
  ]);
  const bySpanId = new Map(spans.map((s) => [s.spanId, s]));
  for (const type of [...activityTypes, 'readHealthInterval']) {
    const runs = named(`RunActivity:${type}`);
    expect({ type, runs: runs.length }).toMatchObject({ type, runs: expect.any(Number) });
    expect(runs.length).toBeGreaterThan(0);
    for (const activity of runs)
      expect(bySpanId.get(activity.parentSpanId)?.name).toBe(`StartActivity:${type}`);
  }

  // Every call to Unleash, the deploy system and the notifier carried the trace, from the activity that made it.
  const stepSpans = new Set(named('RunActivity:executeStep').map((s) => s.spanId));
  const notifySpans = new Set(named('RunActivity:notify').map((s) => s.spanId));
  const hookCalls = hookRequests.filter((r) => r.path.startsWith('/hooks/') || r.path.startsWith('/jobs/'));
  const notifyCalls = hookRequests.filter((r) => r.path === '/notify');
  expect(hookCalls.map((r) => r.method)).toEqual(expect.arrayContaining(['POST', 'GET']));
  expect(notifyCalls.length).toBeGreaterThan(0);
  expect(unleashRequests.map((r) => `${r.method} ${r.path}`)).toContainEqual(
    `POST /api/admin/projects/default/features/${FLAG}/environments/production/off`,
  );
  for (const [calls, parents] of [
    [unleashRequests, stepSpans],
    [hookCalls, stepSpans],
    [notifyCalls, notifySpans],
  ] as const) {
    for (const call of calls) {
      const parsed = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(call.traceparent ?? '');
      expect({ call, trace: parsed?.[1] }).toMatchObject({ trace: PIPELINE_TRACE });
      expect(parents.has(parsed![2]!)).toBe(true);
    }
  }

  // No secret in any span: not the HMAC key, not the Unleash token, not a header.
  const everything = JSON.stringify(spans);
  expect(everything).not.toContain(HMAC);
  expect(everything).not.toContain(unleash!.adminToken);
  expect(everything.toLowerCase()).not.toContain('x-ripcord-signature');
  expect(everything.toLowerCase()).not.toContain('authorization');

  // Once no worker answers queries either: what the history says, with the trace.
  const closedJson = await run(['status', workflowId, '--json'], cliEnv());
  expect(closedJson.code).toBe(0);
  expect(JSON.parse(closedJson.out)).toMatchObject({ executionStatus: 'COMPLETED', traceId: PIPELINE_TRACE });
});
