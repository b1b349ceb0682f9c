import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { type PrometheusServer, startPrometheus } from '../../src/dev/prometheus';
import { runCli } from '../harness/cli';

/**
 * `ripcord scenario record` from a real Prometheus (the Debian package)
 * scraping a small exporter every second: two versions of a service serving
 * 200 requests a second, the baseline (1.0) failing 1% of them, the canary
 * (2.0) 10% and slower. A window of that history is recorded as a scenario
 * file, which must load, validate and run with `ripcord simulate`.
 */
jest.setTimeout(180_000);

const REPO_ROOT = resolve(__dirname, '..', '..');
const SERVICE = 'checkout';
const RPS = 200;
const INTERVAL = 5;
const WINDOW = 30;

/** Cumulative share of requests at or under each le (seconds), per version. */
const LATENCY: Record<string, Array<[string, number]>> = {
  '1.0': [
    ['0.025', 0.3],
    ['0.05', 0.6],
    ['0.1', 0.85],
    ['0.25', 0.97],
    ['0.5', 0.995],
    ['1', 1],
  ],
  '2.0': [
    ['0.025', 0.1],
    ['0.05', 0.3],
    ['0.1', 0.6],
    ['0.25', 0.85],
    ['0.5', 0.95],
    ['1', 1],
  ],
};
const ERROR_SHARE: Record<string, number> = { '1.0': 0.01, '2.0': 0.1 };

const started = Date.now();

/** Counters as they stand now: they grow at a steady rate from the exporter's start. */
function exposition(): string {
  const seconds = (Date.now() - started) / 1000;
  const requests = Math.floor(RPS * seconds);
  const lines = ['# TYPE http_requests_total counter', '# TYPE http_request_duration_seconds histogram'];
  for (const version of Object.keys(LATENCY)) {
    const labels = `service="${SERVICE}",version="${version}"`;
    const errors = Math.floor(requests * ERROR_SHARE[version]!);
    lines.push(`http_requests_total{${labels},code="200"} ${requests - errors}`);
    lines.push(`http_requests_total{${labels},code="500"} ${errors}`);
    for (const [le, share] of LATENCY[version]!)
      lines.push(
        `http_request_duration_seconds_bucket{${labels},le="${le}"} ${Math.floor(requests * share)}`,
      );
    lines.push(`http_request_duration_seconds_bucket{${labels},le="+Inf"} ${requests}`);
    lines.push(`http_request_duration_seconds_count{${labels}} ${requests}`);
    lines.push(`http_request_duration_seconds_sum{${labels}} ${(requests * 0.05).toFixed(3)}`);
  }
  return `${lines.join('\n')}\n`;
}

let dir: string;
let exporter: Server;
let prometheus: PrometheusServer | undefined;
let from: number;
let to: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-scenario-record-'));
  exporter = createServer((req, res) => {
    res.writeHead(req.url === '/metrics' ? 200 : 404, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(req.url === '/metrics' ? exposition() : '');
  });
  await new Promise<void>((done) => exporter.listen(0, '127.0.0.1', done));
  prometheus = await startPrometheus({
    dir,
    scrapeTargets: [{ job: 'fleet', targets: [`127.0.0.1:${(exporter.address() as AddressInfo).port}`] }],
    scrapeIntervalSeconds: 1,
  });
  // A window that starts once Prometheus holds samples, recorded once it has passed.
  from = Math.ceil(Date.now() / 1000) + 2;
  to = from + WINDOW;
  await new Promise((done) => setTimeout(done, (to + 3) * 1000 - Date.now()));
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await new Promise<void>((done) => exporter.close(() => done()));
  rmSync(dir, { recursive: true, force: true });
});

const env = { RIPCORD_PROFILE: '', PROMETHEUS_TOKEN: '' };

interface Recorded {
  format: string;
  name: string;
  intervalSeconds: number;
  truth?: unknown;
  series: Record<string, { baseline: Array<number | null>; canary: Array<number | null> }>;
}

const total = (values: Array<number | null>) => values.reduce<number>((sum, v) => sum + (v ?? 0), 0);

test('with a policy: its series, read per version with its own queries, run with simulate under it', () => {
  // The histogram example (latency judged on the buckets) on this Prometheus, every 5 s,
  // acting on a breach at once so that the canary's clear regression shows within the window.
  const policy = parse(readFileSync(resolve(REPO_ROOT, 'policies', 'examples', 'canary.yaml'), 'utf8'));
  policy.sources['prometheus-main'] = { type: 'prometheus', url: prometheus!.url, timeoutSeconds: 10 };
  policy.evaluation.intervalSeconds = INTERVAL;
  policy.evaluation.confirmationWindowSeconds = 0;
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, stringify(policy));
  const out = join(dir, 'incident.json');

  const recorded = runCli(
    [
      'scenario',
      'record',
      '--service',
      SERVICE,
      '--baseline',
      '1.0',
      '--canary',
      '2.0',
      '--from',
      new Date(from * 1000).toISOString(),
      '--to',
      new Date(to * 1000).toISOString(),
      '--policy',
      policyFile,
      '--out',
      out,
    ],
    { env },
  );
  expect(recorded.stderr).toBe('');
  expect(recorded.code).toBe(0);
  expect(recorded.stdout).toContain(`${out}: ${WINDOW / INTERVAL} intervals of ${INTERVAL} s`);

  const scenario = JSON.parse(readFileSync(out, 'utf8')) as Recorded;
  expect(scenario.format).toBe('ripcord.scenario/v1');
  expect(scenario.intervalSeconds).toBe(INTERVAL);
  expect(scenario.truth).toBeUndefined();
  // The histogram's finite bounds in ms, +Inf left to the requests.
  expect(Object.keys(scenario.series).sort()).toEqual([
    'errors',
    'latency_le_100',
    'latency_le_1000',
    'latency_le_25',
    'latency_le_250',
    'latency_le_50',
    'latency_le_500',
    'requests',
  ]);
  const { requests, errors } = scenario.series;
  for (const group of ['baseline', 'canary'] as const) {
    expect(requests![group]).toHaveLength(WINDOW / INTERVAL);
    // increase() over 5 s of a counter growing 200 a second: about 1000 each interval.
    for (const value of requests![group])
      expect(Math.abs(value! - RPS * INTERVAL)).toBeLessThan(RPS * INTERVAL * 0.25);
  }
  // {{version}} was 1.0 for the baseline and 2.0 for the canary: each group has its own error share and latency.
  expect(total(errors!.baseline) / total(requests!.baseline)).toBeCloseTo(0.01, 2);
  expect(total(errors!.canary) / total(requests!.canary)).toBeCloseTo(0.1, 2);
  const le100 = scenario.series.latency_le_100!;
  expect(total(le100.baseline) / total(requests!.baseline)).toBeCloseTo(0.85, 1);
  expect(total(le100.canary) / total(requests!.canary)).toBeCloseTo(0.6, 1);

  const validated = runCli(['scenario', 'validate', out], { env });
  expect(validated.stdout).toContain(`ok ${out}`);
  expect(validated.code).toBe(0);

  const simulated = runCli(['simulate', '--policy', policyFile, '--scenario', out, '--json'], { env });
  expect(simulated.stderr).toBe('');
  expect(simulated.code).toBe(0);
  const result = JSON.parse(simulated.stdout.trim()) as {
    scenario: string;
    decision: string;
    signal?: string;
  };
  expect(result.scenario).toBe(scenario.name);
  // Ten times the baseline's errors: the recorded incident is a rollback.
  expect(result.decision).toBe('rollback');
});

test("without a policy: the example policies' series, which simulate reads under either example", () => {
  const out = join(dir, 'default.json');
  const recorded = runCli(
    [
      'scenario',
      'record',
      '--prometheus',
      prometheus!.url,
      '--service',
      SERVICE,
      '--baseline',
      '1.0',
      '--canary',
      '2.0',
      '--from',
      String(from),
      '--to',
      String(to),
      '--interval',
      `${INTERVAL}s`,
      '--name',
      'checkout-incident',
      '--out',
      out,
    ],
    { env },
  );
  expect(recorded.stderr).toBe('');
  expect(recorded.code).toBe(0);
  const scenario = JSON.parse(readFileSync(out, 'utf8')) as Recorded;
  expect(scenario.name).toBe('checkout-incident');
  expect(Object.keys(scenario.series)).toEqual(
    expect.arrayContaining(['requests', 'errors', 'latency_p99_ms', 'latency_le_25', 'latency_le_1000']),
  );
  // histogram_quantile over these buckets: the canary's p99 is well above the baseline's.
  const p99 = scenario.series.latency_p99_ms!;
  expect(total(p99.canary)).toBeGreaterThan(total(p99.baseline));

  for (const example of ['canary.yaml', 'canary-p99-only.yaml']) {
    const policyFile = resolve(REPO_ROOT, 'policies', 'examples', example);
    const simulated = runCli(['simulate', '--policy', policyFile, '--scenario', out, '--json'], { env });
    expect({ example, stderr: simulated.stderr, code: simulated.code }).toEqual({
      example,
      stderr: '',
      code: 0,
    });
    expect(JSON.parse(simulated.stdout.trim())).toMatchObject({ scenario: 'checkout-incident' });
  }
});

test('a version Prometheus has no data for is said, and a failing query names its series', () => {
  const out = join(dir, 'nothing.json');
  const args = (canary: string, extra: string[] = []) => [
    'scenario',
    'record',
    '--prometheus',
    prometheus!.url,
    '--service',
    SERVICE,
    '--baseline',
    '1.0',
    '--canary',
    canary,
    '--from',
    String(from),
    '--to',
    String(to),
    '--interval',
    `${INTERVAL}s`,
    '--out',
    out,
    ...extra,
  ];
  const missing = runCli(args('9.9'), { env });
  expect(missing.code).toBe(0);
  expect(missing.stderr).toContain(
    'warning: the canary (version 9.9) has no data for requests, latency_p99_ms',
  );

  const unreachable = runCli(
    args('2.0').map((a) => (a === prometheus!.url ? 'http://127.0.0.1:9' : a)),
    { env },
  );
  expect(unreachable.code).toBe(1);
  expect(unreachable.stderr).toMatch(/^ripcord: series requests: cannot reach http:\/\/127\.0\.0\.1:9/);
});
