import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { parse, stringify } from 'yaml';
import { connectClient } from '../../src/client/connect';
import { type GuardianHandle, guardianStatus } from '../../src/client/guardians';
import { type PrometheusServer, startPrometheus } from '../../src/dev/prometheus';
import { loadPolicyFile } from '../../src/policy';
import { createWorker, type MetricsServer } from '../../src/worker';
import { bundleWorkflows, integrationConnection, quietRuntime } from '../harness/temporal';
import { startReplayGuardian, writeErrorStepScenario } from '../harness/replay-guardian';

/**
 * ripcord's own metrics as an operator sees them: a worker serving /metrics,
 * the real Prometheus scraping it, and the queries of the Grafana dashboard
 * (docs/grafana/ripcord-dashboard.json) answered with data after one guardian
 * rolled back while another waits for an approval.
 */
const REPO_ROOT = resolve(__dirname, '..', '..');
const DASHBOARD = join(REPO_ROOT, 'docs', 'grafana', 'ripcord-dashboard.json');
const taskQueue = `metrics-${randomUUID()}`;

let dir: string;
let client: Client;
let worker: Worker;
let running: Promise<void>;
let closeWorker: () => Promise<void>;
let metricsServer: MetricsServer;
let prometheus: PrometheusServer | undefined;
let waiting: GuardianHandle | undefined;

beforeAll(async () => {
  quietRuntime();
  dir = mkdtempSync(join(tmpdir(), 'ripcord-metrics-'));
  const connection = integrationConnection(taskQueue);
  const created = await createWorker({
    connection,
    workflowBundle: await bundleWorkflows(),
    metricsPort: 0,
    metricsHost: '127.0.0.1',
    depsOptions: { stateDir: dir, dryRun: true },
  });
  worker = created.worker;
  closeWorker = created.close;
  metricsServer = created.metricsServer!;
  running = worker.run();
  client = await connectClient(connection);
});

afterAll(async () => {
  await waiting?.terminate('test over').catch(() => undefined);
  await prometheus?.stop();
  worker?.shutdown();
  await running;
  await closeWorker?.();
  await client?.connection.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(service: string, highRisk: boolean): Promise<GuardianHandle> {
  // The p99 example: error-step-00 carries a p99 and no latency histogram.
  const doc = parse(readFileSync(join(REPO_ROOT, 'policies/examples/canary-p99-only.yaml'), 'utf8'));
  doc.metadata.service = service;
  if (highRisk) {
    doc.risk = { highRiskWhen: [{ when: 'always' }] };
    doc.approval = { roles: ['sre'], timeoutSeconds: 7 * 86_400 };
    doc.trustedKeys = { approvals: ['metrics-test-key'] };
  }
  const file = join(dir, `${service}.yaml`);
  writeFileSync(file, stringify(doc));
  const { policy, hash } = await loadPolicyFile(file);

  // A confirmed regression within seconds.
  const scenarioFile = writeErrorStepScenario(join(dir, `${service}.json`));
  return startReplayGuardian(client, taskQueue, { policy, hash, scenarioFile });
}

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string; legendFormat: string }[];
}

/** Every query of the dashboard, with Grafana's variables as Grafana would fill them in. */
function dashboardQueries(): { panel: string; legend: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({
      panel: panel.title,
      legend: t.legendFormat,
      expr: t.expr
        .replaceAll('$service', '.*')
        .replaceAll('$environment', '.*')
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$__range', '15m'),
    })),
  );
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(url: string, expr: string): Promise<Sample[]> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Sample[] } };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error}`);
  return body.data!.result;
}

/** Polls a dashboard query until `check` accepts its samples; returns the last samples either way. */
async function until(expr: string, check: (samples: Sample[]) => boolean): Promise<Sample[]> {
  const deadline = Date.now() + 60_000;
  let samples: Sample[] = [];
  while (Date.now() < deadline) {
    samples = await query(prometheus!.url, expr);
    if (check(samples)) return samples;
    await new Promise((r) => setTimeout(r, 500));
  }
  return samples;
}

test('Prometheus scrapes the worker; the dashboard shows the rollback, the approval waiting and the delays', async () => {
  const address = new URL(metricsServer.url).host;
  prometheus = await startPrometheus({
    dir: join(dir, 'prometheus'),
    scrapeTargets: [{ job: 'ripcord', targets: [address] }],
    scrapeIntervalSeconds: 1,
  });

  const rolled = await start(`roll-${randomUUID().slice(0, 6)}`, false);
  waiting = await start(`gate-${randomUUID().slice(0, 6)}`, true);
  expect((await rolled.result()).outcome).toBe('rolled-back');
  const deadline = Date.now() + 60_000;
  while ((await guardianStatus(waiting)).phase !== 'gate' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
  }
  expect((await guardianStatus(waiting)).phase).toBe('gate');

  const queries = dashboardQueries();
  const find = (panel: string, legend?: string) => {
    const found = queries.find((q) => q.panel === panel && (legend === undefined || q.legend === legend));
    if (!found) throw new Error(`no query in panel "${panel}"`);
    return found.expr;
  };
  const single = (samples: Sample[]) => (samples.length === 1 ? Number(samples[0]!.value[1]) : NaN);

  // The stats an operator reads first, counted from what the activities saw.
  const started = await until(find('Rollbacks started'), (s) => Math.round(single(s)) === 1);
  expect(Math.round(single(started))).toBe(1);
  const succeeded = await until(find('Rollbacks succeeded'), (s) => Math.round(single(s)) === 1);
  expect(Math.round(single(succeeded))).toBe(1);
  const failed = await query(prometheus.url, find('Rollbacks failed'));
  expect(single(failed)).toBe(0);

  // Running guardians come from Temporal visibility (eventually consistent, hence the polling).
  const approvals = await until(find('Approvals waiting'), (s) => single(s) === 1);
  expect(single(approvals)).toBe(1);
  const phases = await until(find('Guardians by phase'), (s) =>
    s.some((x) => x.metric.phase === 'gate' && x.value[1] === '1'),
  );
  expect(phases.find((x) => x.metric.phase === 'gate')?.value[1]).toBe('1');
  expect(phases.find((x) => x.metric.phase === 'watch')?.value[1]).toBe('0');

  const decisions = await query(prometheus.url, find('Decisions by verdict'));
  expect(decisions.map((s) => `${s.metric.decision} (${s.metric.source})`)).toContain('rollback (automatic)');
  const delay = await query(prometheus.url, find('Detection delay p50 / p95', 'p95'));
  expect(Number(delay[0]?.value[1])).toBeGreaterThan(0);
  const recovery = await query(prometheus.url, find('Time to recovery p50 / p95', 'p50'));
  expect(Number(recovery[0]?.value[1])).toBeGreaterThan(0);
  expect(single(await query(prometheus.url, find('Temporal visibility')))).toBe(1);

  // And not one query of the dashboard is refused by Prometheus.
  for (const q of queries) await expect(query(prometheus.url, q.expr)).resolves.toBeDefined();
});
