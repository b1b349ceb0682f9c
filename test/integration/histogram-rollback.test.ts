import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { Counter, Histogram, Registry } from 'prom-client';
import { parseDocument } from 'yaml';
import { connectClient } from '../../src/client/connect';
import { startGuardian } from '../../src/client/guardians';
import { LATENCY_BUCKETS_SECONDS } from '../../src/dev/fleet';
import { type PrometheusServer, startPrometheus } from '../../src/dev/prometheus';
import { parsePolicyText } from '../../src/policy';
import { createWorker } from '../../src/worker';
import { defaultActivityDeps } from '../../src/worker/composition';
import { bundleWorkflows, integrationConnection, quietRuntime } from '../harness/temporal';

/**
 * A guardian rolls back on the latency histogram alone, end to end: this test
 * exports http_request_duration_seconds for 1.9.0 and 2.0.0 from prom-client
 * (no errors at all), the real Prometheus scrapes it every second, and a real
 * worker (dry-run target) runs the guardian with the demo's canary policy,
 * whose latency signal reads the buckets. A few seconds in, 2.0.0 gets three
 * times slower: the guardian must roll back on `latency`, and recovery must
 * read the baseline's p99 from its buckets.
 */
jest.setTimeout(240_000);

const REPO_ROOT = resolve(__dirname, '..', '..');
const taskQueue = `histogram-${randomUUID()}`;
const service = `svc-${randomUUID().slice(0, 8)}`;
const deploymentId = `d-${randomUUID().slice(0, 8)}`;
/** Seconds after the guardian starts at which 2.0.0 slows down. */
const SHIFT_AFTER_SECONDS = 12;

let dir: string;
let exporter: Server;
let traffic: NodeJS.Timeout | undefined;
let prometheus: PrometheusServer | undefined;
let worker: Worker;
let running: Promise<void>;
let closeWorker: () => Promise<void>;
let client: Client;
let slowFrom = Infinity;
let savedHmac: string | undefined;

/** Log-normal latency in seconds, from a median and a log-scale spread (Box-Muller). */
function latencySeconds(medianMs: number, sigma: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return (medianMs * Math.exp(sigma * z)) / 1000;
}

beforeAll(async () => {
  quietRuntime();
  // The worker (in this process) signs the demo policy's webhook notifications with it.
  savedHmac = process.env.DEMO_DEPLOY_HOOK_HMAC;
  process.env.DEMO_DEPLOY_HOOK_HMAC = 'histogram-test-hmac';
  dir = mkdtempSync(join(tmpdir(), 'ripcord-histogram-rollback-'));

  const registry = new Registry();
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Requests served.',
    labelNames: ['service', 'version', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to serve a request.',
    labelNames: ['service', 'version'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  for (const version of ['1.9.0', '2.0.0']) {
    requests.inc({ service, version, code: '200' }, 0);
    requests.inc({ service, version, code: '500' }, 0);
    duration.zero({ service, version });
  }
  // 40 requests/s per version, none failing; 2.0.0's median goes from 40 to 120 ms at the shift.
  traffic = setInterval(() => {
    for (const version of ['1.9.0', '2.0.0']) {
      const slow = version === '2.0.0' && Date.now() >= slowFrom;
      for (let i = 0; i < 4; i++) {
        requests.inc({ service, version, code: '200' });
        duration.observe({ service, version }, latencySeconds(slow ? 120 : 40, 0.4));
      }
    }
  }, 100);
  // The exporter also takes the policy's webhook notifications (and ignores them).
  exporter = createServer((req, res) => {
    if (req.url !== '/metrics') {
      req.resume();
      res.writeHead(200);
      res.end();
      return;
    }
    void registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    });
  });
  await new Promise<void>((done) => exporter.listen(0, '127.0.0.1', done));
  prometheus = await startPrometheus({
    dir,
    scrapeTargets: [{ job: 'fleet', targets: [`127.0.0.1:${(exporter.address() as AddressInfo).port}`] }],
    scrapeIntervalSeconds: 1,
  });

  const connection = integrationConnection(taskQueue);
  const created = await createWorker({
    connection,
    workflowBundle: await bundleWorkflows(),
    deps: defaultActivityDeps({ dryRun: true, stateDir: dir }),
  });
  worker = created.worker;
  closeWorker = created.close;
  running = worker.run();
  client = await connectClient(connection);
}, 120_000);

afterAll(async () => {
  clearInterval(traffic);
  await client?.connection.close();
  worker?.shutdown();
  await running;
  await closeWorker?.();
  await prometheus?.stop();
  await new Promise<void>((done) => exporter?.close(() => done()));
  rmSync(dir, { recursive: true, force: true });
  if (savedHmac === undefined) delete process.env.DEMO_DEPLOY_HOOK_HMAC;
  else process.env.DEMO_DEPLOY_HOOK_HMAC = savedHmac;
});

/** The demo's canary policy for this test's service and Prometheus, with one plan step. */
function policy() {
  const file = resolve(REPO_ROOT, 'policies', 'demo', 'checkout-canary.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.setIn(['metadata', 'service'], service);
  doc.setIn(['sources', 'prometheus-demo', 'url'], prometheus!.url);
  doc.setIn(
    ['plan', 'steps'],
    doc.createNode([
      {
        name: 'drain-canary',
        type: 'shift-traffic',
        weights: [0],
        pauseSeconds: 0,
        timeoutSeconds: 30,
        verify: { targetState: true, settleSeconds: 0, timeoutSeconds: 30 },
      },
    ]),
  );
  doc.setIn(
    ['notifications', 0, 'url'],
    `http://127.0.0.1:${(exporter.address() as AddressInfo).port}/notify`,
  );
  doc.delete('trustedKeys');
  return parsePolicyText(doc.toString(), { filename: `${file} (histogram-rollback test)` });
}

test('a canary whose latency shifts is rolled back on the histogram signal, and recovery reads the buckets', async () => {
  const loaded = policy();
  expect(loaded.policy.signals.find((s) => s.name === 'latency')?.kind).toBe('histogram');
  const handle = await startGuardian(client, taskQueue, {
    deployment: {
      deploymentId,
      service,
      environment: loaded.policy.metadata.environment,
      version: '2.0.0',
      previousVersion: '1.9.0',
      deployer: 'histogram-test',
      deployedAt: new Date().toISOString(),
    },
    policy: loaded.policy,
    policyHash: loaded.hash,
    watchSeconds: 120,
  });
  slowFrom = Date.now() + SHIFT_AFTER_SECONDS * 1000;
  const result = await handle.result();

  expect({ outcome: result.outcome, reason: result.reason }).toMatchObject({ outcome: 'rolled-back' });
  expect(result.decision?.signal).toBe('latency');
  // Recovery: the baseline's p99 from its buckets, well under the policy's 400 ms.
  const p99 = /latency: ([\d.]+) within 400/.exec(result.reason)?.[1];
  expect({ reason: result.reason, p99: Number(p99) }).toMatchObject({ p99: expect.any(Number) });
  expect(Number(p99)).toBeLessThan(200);
});
