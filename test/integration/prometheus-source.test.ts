import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../../src/dev/ports';
import type { Source } from '../../src/policy';
import type { HealthReadRequest } from '../../src/sources';
import { PrometheusHealthSource } from '../../src/sources/prometheus';

/**
 * The Prometheus source against the real server (Debian package, installed by
 * scripts/install-system-deps.sh): Prometheus scrapes a tiny exporter of this
 * test every second, and the source reads each group's value as the guardian
 * would, through its templated queries.
 */
type PrometheusConfig = Extract<Source, { type: 'prometheus' }>;

const PROMETHEUS_BIN = process.env.RIPCORD_PROMETHEUS_BIN ?? '/usr/bin/prometheus';
/** Start, first scrape and ingestion take a few seconds; past this something is wrong, and we say what. */
const READY_WITHIN_MS = 25_000;

const METRICS = [
  '# HELP http_requests_total Requests served, by version.',
  '# TYPE http_requests_total counter',
  'http_requests_total{version="1.0"} 1200',
  'http_requests_total{version="2.0"} 35',
  '',
].join('\n');

let dir: string;
let exporter: Server;
let prometheus: ChildProcess | undefined;
let prometheusLog = '';
let url: string;
const source = new PrometheusHealthSource();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-prometheus-'));
  exporter = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(METRICS);
  });
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
  const exporterPort = (exporter.address() as AddressInfo).port;

  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: fleet',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${exporterPort}']`,
      '',
    ].join('\n'),
  );
  const port = await findFreePort();
  url = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => (prometheusLog = (prometheusLog + chunk.toString()).slice(-4000));
  prometheus.stdout?.on('data', keep);
  prometheus.stderr?.on('data', keep);
  await waitForFirstScrape();
}, 60_000);

afterAll(async () => {
  await stopPrometheus();
  await new Promise<void>((resolve) => exporter.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** Ready, target up, and both groups' samples stored: only then is a reading meaningful. */
async function waitForFirstScrape(): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  let last = 'not started';
  while (Date.now() < deadline) {
    if (prometheus?.exitCode !== null) break;
    const preflight = await source.preflight(config());
    if (!preflight.ok) {
      last = `preflight: ${preflight.error}`;
    } else {
      const reading = await source.read(
        request({ total: 'sum(http_requests_total{version="{{version}}"})' }),
      );
      const total = reading.total;
      if (total?.baseline !== null && total?.canary !== null && total?.error === undefined) return;
      last = `reading: ${JSON.stringify(total)}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Prometheus did not scrape the test exporter in time (${last})\nlog:\n${prometheusLog}`);
}

async function stopPrometheus(): Promise<void> {
  const child = prometheus;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(killer);
}

function config(): PrometheusConfig {
  return { type: 'prometheus', url, timeoutSeconds: 5 };
}

function request(queries: Record<string, string>): HealthReadRequest<PrometheusConfig> {
  return {
    sourceName: 'metrics',
    source: config(),
    series: Object.entries(queries).map(([name, query]) => ({ name, source: 'metrics', query })),
    deployment: {
      deploymentId: 'd-prom',
      service: 'checkout',
      environment: 'staging',
      version: '2.0',
      previousVersion: '1.0',
      deployedAt: new Date().toISOString(),
    },
    index: 0,
    intervalSeconds: 30,
    groups: { baseline: { version: '1.0' }, canary: { version: '2.0' } },
    signal: new AbortController().signal,
  };
}

test('preflight finds the real server ready', async () => {
  expect(await source.preflight(config())).toEqual({ ok: true, detail: 'ready' });
});

test('each group reads its own value through the templated query', async () => {
  const readings = await source.read(
    request({
      requests: 'sum(http_requests_total{version="{{version}}", job="fleet"})',
      // The same counter with a filter no series matches: no data, never a zero.
      unmatched: 'sum(http_requests_total{version="{{version}}", job="elsewhere"})',
      // 0/0 is NaN in PromQL: no data as well.
      nan: 'sum(http_requests_total{version="{{version}}"}) * 0 / 0',
    }),
  );
  expect(readings).toEqual({
    requests: { baseline: 1200, canary: 35 },
    unmatched: { baseline: null, canary: null },
    nan: { baseline: null, canary: null },
  });
});

test('what the real server refuses or cannot reduce to one number is an error reading', async () => {
  const readings = await source.read(
    request({
      broken: 'sum(http_requests_total{version="{{version}}"',
      // Not aggregated: one series per version and job, the canary's and the baseline's alike.
      unaggregated: 'http_requests_total',
      infinite: 'sum(http_requests_total{version="{{version}}"}) / 0',
    }),
  );
  expect(readings.broken).toMatchObject({ baseline: null, canary: null });
  expect(readings.broken?.error).toMatch(/^baseline: HTTP 400: bad_data: .*; canary: HTTP 400: bad_data: /);
  expect(readings.unaggregated).toEqual({
    baseline: null,
    canary: null,
    error:
      'baseline: query returned 2 series; aggregate it to one (e.g. sum(...)); canary: query returned 2 series; aggregate it to one (e.g. sum(...))',
  });
  expect(readings.infinite).toEqual({
    baseline: null,
    canary: null,
    error:
      'baseline: query returned +Inf (division by zero?); canary: query returned +Inf (division by zero?)',
  });
});

test('a stopped server is an error reading, not a hang or a throw', async () => {
  await stopPrometheus();
  const readings = await source.read(
    request({ requests: 'sum(http_requests_total{version="{{version}}"})' }),
  );
  expect(readings.requests).toEqual({
    baseline: null,
    canary: null,
    error: `baseline: cannot reach ${url}: ECONNREFUSED; canary: cannot reach ${url}: ECONNREFUSED`,
  });
});
