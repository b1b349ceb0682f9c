import { bucketBound, bucketSeries, seriesUsedBy } from '../decision';
import type { Policy } from '../policy';
import { decisionConfigFromPolicy } from '../policy/decision-config';
import { envSecretProvider, SecretError, type SecretProvider } from '../security/secrets';
import { SCENARIO_FORMAT, type GroupSeries, type Scenario } from '../simulate/scenario';
import { parseScenarioText } from '../simulate/scenario-files';
import { boundMs, type LeUnit } from '../sources/histogram';
import { credentials } from '../sources/prometheus/auth';
import { displayUrl, PrometheusRequestError, type RequestOptions } from '../sources/prometheus/client';
import { renderQuery } from '../sources/query-template';
import { queryRange, queryRangeMatrix, RangeQueryError, type RangeSeries } from '../suggest/prometheus-range';
import { DEFAULT_SERIES } from '../suggest/queries';
import type { Point } from '../suggest/stats';

/**
 * `ripcord scenario record`: a real incident (or a healthy deploy) as a
 * ripcord.scenario/v1 file, read from Prometheus history. Each series is the
 * policy's own query with `{{version}}` set to the baseline's version for the
 * baseline and the canary's for the canary, read with `query_range` at one
 * step per evaluation interval, so that the value at interval i is what a
 * guardian evaluating at the end of that interval would have read. A
 * histogram series becomes `<name>_le_<ms>` series, as the Prometheus source
 * reads it (src/sources/prometheus). The file has no `truth`: what should have
 * happened is for a person to add.
 */

/** One series to record: the policy's name, its query template, and how to read it. */
export interface RecordedSeriesSpec {
  name: string;
  query: string;
  histogram?: { leUnit: LeUnit };
  /** Where to read it. */
  prometheus: RequestOptions;
}

export interface RecordOptions {
  service: string;
  environment: string;
  baseline: string;
  canary: string;
  /** Unix seconds: the window [from, to]. */
  from: number;
  to: number;
  intervalSeconds: number;
  series: RecordedSeriesSpec[];
  name?: string;
}

export interface RecordResult {
  scenario: Scenario;
  /** What a person should know about the data (a version without data, clamped values). */
  warnings: string[];
}

/** Prometheus answers at most 11,000 points per series. */
export const MAX_INTERVALS = 11_000;

export class RecordError extends Error {
  override readonly name = 'RecordError';
}

/** The series a policy's signals read, with their queries; only Prometheus series can be recorded. */
export function seriesOfPolicy(
  policy: Policy,
  connect: (source: Extract<Policy['sources'][string], { type: 'prometheus' }>) => RequestOptions,
): RecordedSeriesSpec[] {
  const names = [...new Set(decisionConfigFromPolicy(policy).signals.flatMap(seriesUsedBy))].sort();
  return names.map((name) => {
    const series = policy.series[name];
    if (series === undefined) throw new RecordError(`the policy reads series ${name} but defines none`);
    const source = policy.sources[series.source];
    if (source?.type !== 'prometheus') {
      throw new RecordError(
        `series ${name} reads source ${series.source} of type ${source?.type ?? 'unknown'}: only Prometheus series can be recorded`,
      );
    }
    return {
      name,
      query: series.query,
      ...(series.histogram ? { histogram: { leUnit: series.histogram.leUnit } } : {}),
      prometheus: connect(source),
    };
  });
}

/**
 * Without a policy: the demo service's metrics as both example policies read
 * them (policies/examples/canary.yaml and canary-p99-only.yaml), so that the
 * file simulates under either: requests, errors, the p99, and the latency
 * histogram's buckets.
 */
export function defaultSeries(prometheus: RequestOptions): RecordedSeriesSpec[] {
  return [
    { name: 'requests', query: DEFAULT_SERIES.requests!, prometheus },
    { name: 'errors', query: DEFAULT_SERIES.errors!, prometheus },
    { name: 'latency_p99_ms', query: DEFAULT_SERIES.latency_p99_ms!, prometheus },
    {
      name: 'latency',
      query:
        'sum by (le) (increase(http_request_duration_seconds_bucket{service="{{service}}",version="{{version}}"}[{{interval}}]))',
      histogram: { leUnit: 'seconds' },
      prometheus,
    },
  ];
}

/** Request options for a Prometheus at `url` with the source's (or an overriding) credentials. */
export function prometheusAt(
  url: string,
  auth: Extract<Policy['sources'][string], { type: 'prometheus' }>['auth'],
  timeoutSeconds: number,
  provider: SecretProvider = envSecretProvider(),
): RequestOptions {
  try {
    const { headers, secrets } = credentials(auth, provider);
    return { baseUrl: url, headers, secrets, timeoutSeconds, signal: new AbortController().signal };
  } catch (error) {
    if (error instanceof SecretError) throw new RecordError(`Prometheus credentials: ${error.message}`);
    throw error;
  }
}

/** The evaluation times: the end of each whole interval of [from, to]. */
export function intervalEnds(from: number, to: number, intervalSeconds: number): number[] {
  const count = Math.floor((to - from) / intervalSeconds + 1e-9);
  return Array.from({ length: Math.max(0, count) }, (_, i) => from + (i + 1) * intervalSeconds);
}

const key = (t: number) => Math.round(t * 1000);

/** One value per interval end: the sample at that moment, or null where there is none. */
export function alignPoints(points: readonly Point[], times: readonly number[]): Array<number | null> {
  const byTime = new Map(points.map((p) => [key(p.t), p.value]));
  return times.map((t) => byTime.get(key(t)) ?? null);
}

/**
 * A histogram's two groups (each a matrix of buckets by `le`) as the series
 * `<name>_le_<ms>`: `+Inf` is left out (the series counting every request says
 * it), and only the bounds both groups export are kept, as the Prometheus
 * source keeps them. A group with no buckets at all has null everywhere.
 */
export function histogramSeries(
  name: string,
  unit: LeUnit,
  groups: { baseline: readonly RangeSeries[]; canary: readonly RangeSeries[] },
  times: readonly number[],
): Record<string, GroupSeries> {
  const byBound = (group: 'baseline' | 'canary') => {
    const buckets = new Map<number, Array<number | null>>();
    for (const series of groups[group]) {
      const le = series.metric.le;
      if (le === undefined) {
        throw new RecordError(
          `series ${name} (${group}): a series has no le label; aggregate the buckets with sum by (le) (...)`,
        );
      }
      const ms = boundMs(le, unit);
      if (ms === null) continue;
      if (buckets.has(ms)) {
        throw new RecordError(
          `series ${name} (${group}): le="${le}" appears twice; aggregate the buckets with sum by (le) (...)`,
        );
      }
      buckets.set(ms, alignPoints(series.points, times));
    }
    return buckets;
  };
  const baseline = byBound('baseline');
  const canary = byBound('canary');
  const answered = [baseline, canary].filter((b) => b.size > 0);
  const bounds = (answered[0] ? [...answered[0].keys()] : [])
    .filter((ms) => answered.every((b) => b.has(ms)))
    .sort((a, b) => a - b);
  const nulls = () => times.map(() => null);
  return Object.fromEntries(
    bounds.map((ms) => [
      bucketSeries(name, ms),
      { baseline: baseline.get(ms) ?? nulls(), canary: canary.get(ms) ?? nulls() },
    ]),
  );
}

/**
 * increase() extrapolates each counter on its own: a window where every
 * request failed can show a few more errors than requests, which no scenario
 * may hold. Those intervals' errors are set to their requests; returns how many.
 */
export function clampErrors(series: Record<string, GroupSeries>): number {
  const requests = series.requests;
  const errors = series.errors;
  if (!requests || !errors) return 0;
  let clamped = 0;
  for (const group of ['baseline', 'canary'] as const) {
    errors[group] = errors[group].map((e, i) => {
      const r = requests[group][i];
      if (e !== null && r !== null && r !== undefined && e > r) {
        clamped += 1;
        return r;
      }
      return e;
    });
  }
  return clamped;
}

const compactTime = (seconds: number) =>
  new Date(seconds * 1000)
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');

/** Reads every series from Prometheus and assembles the scenario; it is checked as `simulate` will load it. */
export async function recordScenario(options: RecordOptions): Promise<RecordResult> {
  const { intervalSeconds } = options;
  const times = intervalEnds(options.from, options.to, intervalSeconds);
  if (times.length === 0) {
    throw new RecordError(
      `the window from ${new Date(options.from * 1000).toISOString()} to ${new Date(options.to * 1000).toISOString()} ` +
        `holds no whole interval of ${intervalSeconds} s`,
    );
  }
  if (times.length > MAX_INTERVALS) {
    throw new RecordError(
      `the window holds ${times.length} intervals of ${intervalSeconds} s; Prometheus answers at most ` +
        `${MAX_INTERVALS} points per series: record a shorter window or a longer --interval`,
    );
  }
  const range = { start: times[0]!, end: times[times.length - 1]!, step: intervalSeconds };
  const variables = (group: 'baseline' | 'canary') => ({
    group,
    version: options[group],
    service: options.service,
    environment: options.environment,
    interval: `${intervalSeconds}s`,
  });
  const series: Record<string, GroupSeries> = {};
  const warnings: string[] = [];
  const queries: Record<string, { baseline: string; canary: string }> = {};
  for (const spec of options.series) {
    const query = { baseline: '', canary: '' };
    try {
      query.baseline = renderQuery(spec.query, variables('baseline'));
      query.canary = renderQuery(spec.query, variables('canary'));
    } catch (error) {
      throw new RecordError(`series ${spec.name}: ${(error as Error).message}`);
    }
    queries[spec.name] = query;
    try {
      if (spec.histogram) {
        const buckets = histogramSeries(
          spec.name,
          spec.histogram.leUnit,
          {
            baseline: await queryRangeMatrix(spec.prometheus, query.baseline, range),
            canary: await queryRangeMatrix(spec.prometheus, query.canary, range),
          },
          times,
        );
        if (Object.keys(buckets).length === 0) {
          throw new RecordError(
            `series ${spec.name}: no buckets for either version in the window (check the query and the versions)`,
          );
        }
        Object.assign(series, buckets);
      } else {
        series[spec.name] = {
          baseline: alignPoints(await queryRange(spec.prometheus, query.baseline, range), times),
          canary: alignPoints(await queryRange(spec.prometheus, query.canary, range), times),
        };
      }
    } catch (error) {
      if (error instanceof RangeQueryError || error instanceof PrometheusRequestError)
        throw new RecordError(`series ${spec.name}: ${error.message}`);
      throw error;
    }
  }
  for (const [name, groups] of Object.entries(series)) {
    for (const group of ['baseline', 'canary'] as const) {
      const negative = groups[group].findIndex((v) => v !== null && v < 0);
      if (negative >= 0) {
        throw new RecordError(
          `series ${name} (${group}) is negative at interval ${negative}: not a count or a level`,
        );
      }
    }
  }
  for (const group of ['baseline', 'canary'] as const) {
    const silent = options.series
      .map((s) => s.name)
      .filter((name) =>
        Object.entries(series)
          .filter(([key]) => key === name || bucketBound(name, key) !== undefined)
          .every(([, g]) => g[group].every((v) => v === null)),
      );
    if (silent.length > 0) {
      warnings.push(
        `the ${group} (version ${options[group]}) has no data for ${silent.join(', ')} in the window: check the version and the queries`,
      );
    }
  }
  const clamped = clampErrors(series);
  if (clamped > 0) {
    warnings.push(
      `${clamped} interval(s) had more errors than requests (increase() extrapolates each counter on its own): errors set to the requests`,
    );
  }
  const from = new Date(options.from * 1000).toISOString();
  const to = new Date(options.to * 1000).toISOString();
  const prometheus = [...new Set(options.series.map((s) => displayUrl(s.prometheus.baseUrl)))];
  const scenario = {
    format: SCENARIO_FORMAT,
    name: options.name ?? `${options.service}-${options.canary}-${compactTime(options.from)}`,
    description:
      `Recorded from Prometheus: ${options.service} ${options.canary} (canary) against ${options.baseline} ` +
      `(baseline) in ${options.environment}, ${from} to ${to}`,
    intervalSeconds,
    params: {
      recorded: {
        prometheus,
        service: options.service,
        environment: options.environment,
        baseline: options.baseline,
        canary: options.canary,
        from,
        to,
        queries,
      },
    },
    series,
  };
  // What `simulate` and `rehearse` will load: never write a file they would refuse.
  return { scenario: parseScenarioText(JSON.stringify(scenario), scenario.name), warnings };
}
