import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PrometheusServer, startPrometheus } from '../../src/dev/prometheus';
import { parsePolicyText } from '../../src/policy';
import { runCli } from '../harness/cli';

/**
 * `ripcord policy suggest` against a real Prometheus (Debian package) holding
 * six hours of history for two services, backfilled with promtool: `calm`,
 * whose error rate and p99 barely move, and `noisy`, whose levels swing from
 * one half hour to the next. The suggestion must validate, follow from the data
 * (the noisier service gets wider tolerances) and come with the simulate check.
 */

const HOURS = 6;
const SCRAPE_SECONDS = 15;
const BUCKETS = Array.from({ length: 28 }, (_, i) => Number((0.02 * 1.2 ** i).toFixed(4)));
const SIGMA = 0.5; // spread of one request's latency, log scale

/** Standard normal CDF (Abramowitz–Stegun 7.1.26), enough for bucket counts. */
function phi(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const erf =
    1 -
    t *
      (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
      Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** A seeded uniform stream, so the history is the same on every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface ServiceShape {
  service: string;
  rps: number;
  errorRate: number;
  p99Seconds: number;
  /** Half-hour to half-hour swing of the error rate and the p99 (log scale). */
  drift: number;
}

/** OpenMetrics text of one service's counters and latency histogram, one sample per scrape. */
function history(shape: ServiceShape, endSeconds: number, seed: number): string[] {
  const random = lcg(seed);
  const lines: string[] = [];
  const start = endSeconds - HOURS * 3600;
  let requests = 0;
  let errors = 0;
  const buckets = new Array<number>(BUCKETS.length).fill(0);
  let sumSeconds = 0;
  let stretch = -1;
  let level = { errorRate: shape.errorRate, p99: shape.p99Seconds };
  const labels = `service="${shape.service}",version="1.0"`;
  const samples: string[][] = [[], [], [], [], []];
  for (let t = start; t <= endSeconds; t += SCRAPE_SECONDS) {
    const current = Math.floor((t - start) / 1800);
    if (current !== stretch) {
      stretch = current;
      const swing = () => Math.exp(shape.drift * (2 * random() - 1));
      level = { errorRate: shape.errorRate * swing(), p99: shape.p99Seconds * swing() };
    }
    const n = Math.round(shape.rps * SCRAPE_SECONDS * (0.95 + 0.1 * random()));
    requests += n;
    errors += Math.round(n * level.errorRate * (0.5 + random()));
    const mu = Math.log(level.p99) - 2.326 * SIGMA;
    BUCKETS.forEach((le, i) => {
      buckets[i]! += Math.round(n * phi((Math.log(le) - mu) / SIGMA));
    });
    sumSeconds += n * Math.exp(mu + (SIGMA * SIGMA) / 2);
    samples[0]!.push(`http_requests_total{${labels},code="200"} ${requests - errors} ${t}`);
    samples[1]!.push(`http_requests_total{${labels},code="500"} ${errors} ${t}`);
    samples[2]!.push(
      ...BUCKETS.map(
        (le, i) => `http_request_duration_seconds_bucket{${labels},le="${le}"} ${buckets[i]} ${t}`,
      ),
      `http_request_duration_seconds_bucket{${labels},le="+Inf"} ${requests} ${t}`,
    );
    samples[3]!.push(`http_request_duration_seconds_count{${labels}} ${requests} ${t}`);
    samples[4]!.push(`http_request_duration_seconds_sum{${labels}} ${sumSeconds.toFixed(3)} ${t}`);
  }
  lines.push(...samples[0]!, ...samples[1]!);
  lines.push(...samples[2]!, ...samples[3]!, ...samples[4]!);
  return lines;
}

/** OpenMetrics wants each metric family's samples together; the bucket lines are grouped per series too. */
function openMetrics(shapes: ServiceShape[], endSeconds: number): string {
  const requestLines: string[] = [];
  const histogramLines: string[] = [];
  shapes.forEach((shape, i) => {
    for (const line of history(shape, endSeconds, 7 + i)) {
      (line.startsWith('http_requests_total') ? requestLines : histogramLines).push(line);
    }
  });
  const bySeries = (lines: string[]) => {
    const groups = new Map<string, string[]>();
    for (const line of lines) {
      const key = line.slice(0, line.indexOf('} ') + 1);
      groups.set(key, [...(groups.get(key) ?? []), line]);
    }
    return [...groups.values()].flat();
  };
  return [
    '# TYPE http_requests counter',
    ...bySeries(requestLines),
    '# TYPE http_request_duration_seconds histogram',
    ...bySeries(histogramLines),
    '# EOF',
    '',
  ].join('\n');
}

let dir: string;
let prometheus: PrometheusServer | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-suggest-'));
  // Whole minutes, ending a little before now: the history is complete when Prometheus starts.
  const end = Math.floor(Date.now() / 60_000) * 60 - 120;
  const file = join(dir, 'history.om');
  writeFileSync(
    file,
    openMetrics(
      [
        { service: 'calm', rps: 20, errorRate: 0.01, p99Seconds: 0.25, drift: 0.03 },
        { service: 'noisy', rps: 20, errorRate: 0.01, p99Seconds: 0.25, drift: 0.4 },
      ],
      end,
    ),
  );
  const backfill = spawnSync(
    'promtool',
    ['tsdb', 'create-blocks-from', 'openmetrics', file, join(dir, 'data')],
    {
      encoding: 'utf8',
    },
  );
  if (backfill.status !== 0) throw new Error(`promtool failed: ${backfill.stderr}${backfill.stdout}`);
  prometheus = await startPrometheus({ dir, scrapeTargets: [], scrapeIntervalSeconds: 15 });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function suggest(service: string, extra: string[] = []) {
  const out = join(dir, `${service}-${extra.length}.yaml`);
  const result = runCli(
    [
      'policy',
      'suggest',
      '--prometheus',
      prometheus!.url,
      '--service',
      service,
      '--window',
      `${HOURS}h`,
      '--scenarios',
      '20',
      '--out',
      out,
      '--json',
      ...extra,
    ],
    { env: { SUGGEST_TEST_TOKEN: 'tok-do-not-print-4711', PROMETHEUS_TOKEN: 'tok-do-not-print-4711' } },
  );
  if (result.code !== 0) throw new Error(`suggest ${service} exited ${result.code}: ${result.stderr}`);
  const report = JSON.parse(result.stdout) as {
    proposal: {
      signals: Array<{ signal: string; tolerance: { relative: number; absolute: number }; why: string[] }>;
    };
    profiles: Array<{ signal: string; relativeDrift: number; stretches: number }>;
    check: {
      rows: Array<{ kind: string; scenarios: number; rollbacks: number; medianDelaySeconds: number | null }>;
    };
    policyText: string;
  };
  return { report, file: out, output: result.stdout + result.stderr };
}

const tolerance = (report: ReturnType<typeof suggest>['report'], signal: string) =>
  report.proposal.signals.find((s) => s.signal === signal)!.tolerance;

test('a noisier service gets wider tolerances, the policy validates and the check ran', () => {
  const calm = suggest('calm', ['--bearer-token-env', 'SUGGEST_TEST_TOKEN']);
  const noisy = suggest('noisy');
  for (const { report, file, output } of [calm, noisy]) {
    // The file written is the policy reported, and `ripcord policy validate` accepts it.
    expect(readFileSync(file, 'utf8')).toBe(report.policyText);
    expect(() => parsePolicyText(report.policyText, { filename: file })).not.toThrow();
    expect(runCli(['policy', 'validate', file]).code).toBe(0);
    // Learned from the backfilled history: a dozen half-hour stretches.
    expect(report.profiles.every((p) => p.stretches >= 10)).toBe(true);
    // The check ran: an A/A row and regression rows, each over the scenarios asked for.
    const healthy = report.check.rows.filter((r) => r.kind === 'healthy');
    const regressions = report.check.rows.filter((r) => r.kind === 'regression');
    expect(healthy).toHaveLength(1);
    expect(regressions.length).toBeGreaterThanOrEqual(4);
    expect(report.check.rows.every((r) => r.scenarios === 20)).toBe(true);
    expect(output).not.toContain('tok-do-not-print-4711');
  }
  const drift = (report: typeof calm.report, signal: string) =>
    report.profiles.find((p) => p.signal === signal)!.relativeDrift;
  for (const signal of ['error-rate', 'latency-p99']) {
    expect(drift(noisy.report, signal)).toBeGreaterThan(drift(calm.report, signal));
    expect(tolerance(noisy.report, signal).relative).toBeGreaterThan(tolerance(calm.report, signal).relative);
  }
  // The bearer token is written as a secret reference, never as its value.
  expect(calm.report.policyText).toContain('${secret:SUGGEST_TEST_TOKEN}');
  // Twice the tolerance is detected in most scenarios of the calm service, which has room to see it.
  const twice = calm.report.check.rows.filter(
    (r) => r.kind === 'regression' && r.medianDelaySeconds !== null,
  );
  expect(twice.length).toBeGreaterThan(0);
}, 300_000);

test('with a base policy its queries are read and only the thresholds change', () => {
  const base = join(__dirname, '..', '..', 'policies', 'examples', 'canary.yaml');
  const { report } = suggest('noisy', ['--policy', base]);
  const original = parsePolicyText(readFileSync(base, 'utf8'), { filename: base }).policy;
  const suggested = parsePolicyText(report.policyText, { filename: 'suggested' }).policy;
  expect(suggested.plan).toEqual(original.plan);
  expect(suggested.sources).toEqual(original.sources);
  expect(suggested.signals.map((s) => s.tolerance)).toEqual(report.proposal.signals.map((s) => s.tolerance));
  expect(report.policyText).toContain('# Canary rollback policy for the checkout service.');
}, 300_000);
