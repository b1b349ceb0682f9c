import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PrometheusServer, startPrometheus } from '../../src/dev/prometheus';
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

const METRICS = [
  '# HELP http_requests_total Requests served, by version.',
  '# TYPE http_requests_total counter',
  'http_requests_total{version="1.0"} 1200',
  'http_requests_total{version="2.0"} 35',
  '',
].join('\n');

let dir: string;
let exporter: Server;
let prometheus: PrometheusServer | undefined;
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
  // Returns once the exporter has been scraped: both groups' samples are stored.
  prometheus = await startPrometheus({
    dir,
    scrapeTargets: [{ job: 'fleet', targets: [`127.0.0.1:${exporterPort}`] }],
    scrapeIntervalSeconds: 1,
  });
  url = prometheus.url;
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await new Promise<void>((resolve) => exporter.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

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
  await prometheus?.stop();
  const readings = await source.read(
    request({ requests: 'sum(http_requests_total{version="{{version}}"})' }),
  );
  expect(readings.requests).toEqual({
    baseline: null,
    canary: null,
    error: `baseline: cannot reach ${url}: ECONNREFUSED; canary: cannot reach ${url}: ECONNREFUSED`,
  });
});
