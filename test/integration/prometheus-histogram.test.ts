import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { type PrometheusServer, startPrometheus } from '../../src/dev/prometheus';
import type { Series, Source } from '../../src/policy';
import type { HealthReadRequest } from '../../src/sources';
import { PrometheusHealthSource } from '../../src/sources/prometheus';

/**
 * A latency histogram read from the real Prometheus (the Debian package, as in
 * prometheus-source.test.ts): a tiny exporter serves
 * http_request_duration_seconds for two versions, Prometheus scrapes it every
 * second, and the source turns each group's vector of buckets by `le` into
 * readings `<series>_le_<ms>` through the policy's templated queries.
 */
type PrometheusConfig = Extract<Source, { type: 'prometheus' }>;

const REPO_ROOT = resolve(__dirname, '..', '..');

/** Cumulative counts per le (seconds) for each version; 3.0 has no series at all. */
const BUCKETS: Record<string, Array<[string, number]>> = {
  '1.0': [
    ['0.05', 400],
    ['0.1', 900],
    ['0.3', 980],
    ['1', 999],
    ['+Inf', 1000],
  ],
  '2.0': [
    ['0.05', 10],
    ['0.1', 20],
    ['0.3', 70],
    ['1', 95],
    ['+Inf', 100],
  ],
};

function exposition(): string {
  const lines = [
    '# HELP http_request_duration_seconds Time to serve a request.',
    '# TYPE http_request_duration_seconds histogram',
  ];
  for (const [version, buckets] of Object.entries(BUCKETS)) {
    const labels = `service="checkout",version="${version}"`;
    for (const [le, count] of buckets)
      lines.push(`http_request_duration_seconds_bucket{${labels},le="${le}"} ${count}`);
    lines.push(`http_request_duration_seconds_sum{${labels}} 42`);
    lines.push(`http_request_duration_seconds_count{${labels}} ${buckets.at(-1)?.[1] ?? 0}`);
  }
  return `${lines.join('\n')}\n`;
}

let dir: string;
let exporter: Server;
let prometheus: PrometheusServer | undefined;
let url: string;
const source = new PrometheusHealthSource();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-prometheus-histogram-'));
  exporter = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(exposition());
  });
  await new Promise<void>((done) => exporter.listen(0, '127.0.0.1', done));
  const exporterPort = (exporter.address() as AddressInfo).port;
  // Returns once the exporter has been scraped: both versions' buckets are stored.
  prometheus = await startPrometheus({
    dir,
    scrapeTargets: [{ job: 'fleet', targets: [`127.0.0.1:${exporterPort}`] }],
    scrapeIntervalSeconds: 1,
  });
  url = prometheus.url;
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await new Promise<void>((done) => exporter.close(() => done()));
  rmSync(dir, { recursive: true, force: true });
});

function request(
  series: Record<string, Series>,
  versions: { baseline: string; canary: string } = { baseline: '1.0', canary: '2.0' },
): HealthReadRequest<PrometheusConfig> {
  return {
    sourceName: 'metrics',
    source: { type: 'prometheus', url, timeoutSeconds: 5 },
    series: Object.entries(series).map(([name, s]) => ({ name, ...s })),
    deployment: {
      deploymentId: 'd-prom-histogram',
      service: 'checkout',
      environment: 'staging',
      version: versions.canary,
      previousVersion: versions.baseline,
      deployedAt: new Date().toISOString(),
    },
    index: 0,
    intervalSeconds: 30,
    groups: { baseline: { version: versions.baseline }, canary: { version: versions.canary } },
    signal: new AbortController().signal,
  };
}

const BUCKET_COUNTS =
  'sum by (le) (http_request_duration_seconds_bucket{service="{{service}}",version="{{version}}",job="fleet"})';

test('each group reads its buckets by le: seconds become ms, +Inf is dropped', async () => {
  const readings = await source.read(
    request({ latency: { source: 'metrics', query: BUCKET_COUNTS, histogram: { leUnit: 'seconds' } } }),
  );
  expect(readings).toEqual({
    latency: { baseline: null, canary: null },
    latency_le_50: { baseline: 400, canary: 10 },
    latency_le_100: { baseline: 900, canary: 20 },
    latency_le_300: { baseline: 980, canary: 70 },
    latency_le_1000: { baseline: 999, canary: 95 },
  });
});

test("the example canary policy's own histogram query answers for both groups", async () => {
  const example = parse(readFileSync(resolve(REPO_ROOT, 'policies', 'examples', 'canary.yaml'), 'utf8')) as {
    series: Record<string, Series>;
  };
  const latency = example.series.latency;
  expect(latency?.histogram).toEqual({ leUnit: 'seconds' });
  // increase() needs two scrapes in its window: until then the vector is empty (no data, never 0).
  const read = () => source.read(request({ latency: { ...latency!, source: 'metrics' } }));
  let readings = await read();
  for (let tries = 0; tries < 40 && readings.latency_le_300 === undefined; tries++) {
    await new Promise((done) => setTimeout(done, 250));
    readings = await read();
  }
  // increase() over counters that do not move: every bucket of both groups is there, and 0.
  expect(Object.keys(readings).sort()).toEqual([
    'latency',
    'latency_le_100',
    'latency_le_1000',
    'latency_le_300',
    'latency_le_50',
  ]);
  for (const [name, reading] of Object.entries(readings))
    expect({ name, reading }).toEqual({
      name,
      reading: name === 'latency' ? { baseline: null, canary: null } : { baseline: 0, canary: 0 },
    });
});

test('a version without a histogram yet is missing data (null), never zero', async () => {
  const readings = await source.read(
    request(
      { latency: { source: 'metrics', query: BUCKET_COUNTS, histogram: { leUnit: 'seconds' } } },
      { baseline: '1.0', canary: '3.0' },
    ),
  );
  expect(readings.latency_le_300).toEqual({ baseline: 980, canary: null });
});

test('a query the server refuses, or one not aggregated by le, is an error on the series', async () => {
  const readings = await source.read(
    request({
      broken: { source: 'metrics', query: 'sum by (le) (', histogram: { leUnit: 'seconds' } },
      flat: {
        source: 'metrics',
        query: 'sum(http_request_duration_seconds_bucket{version="{{version}}"})',
        histogram: { leUnit: 'seconds' },
      },
    }),
  );
  expect(readings.broken?.error).toMatch(/^baseline: HTTP 400: bad_data: .*; canary: HTTP 400: bad_data: /);
  expect(readings.flat).toEqual({
    baseline: null,
    canary: null,
    error:
      'baseline: a sample has no le label; aggregate the buckets with sum by (le) (...); ' +
      'canary: a sample has no le label; aggregate the buckets with sum by (le) (...)',
  });
});
