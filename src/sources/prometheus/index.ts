import type { Source } from '../../policy';
import { envSecretProvider, redactSecrets, SecretError, type SecretProvider } from '../../security/secrets';
import { queryVariables, renderQuery } from '../query-template';
import { bucketSeries } from '../../decision';
import { boundMs, histogramOf, type LeUnit } from '../histogram';
import { errorReadings } from '../replay';
import type { GroupName, HealthReadRequest, HealthSource, SeriesReading, SeriesReadings } from '../types';
import { credentials } from './auth';
import { describeStatus, get, PrometheusRequestError, type RequestOptions } from './client';
import { type HistogramOutcome, parseHistogramQuery, parseInstantQuery, type QueryOutcome } from './parse';

export { parseHistogramQuery, parseInstantQuery, type HistogramOutcome, type QueryOutcome } from './parse';

type PrometheusConfig = Extract<Source, { type: 'prometheus' }>;

export interface PrometheusSourceOptions {
  /** Where `${secret:NAME}` references are resolved; the environment by default. */
  secrets?: SecretProvider;
  /** Milliseconds since the epoch; a test pins it. */
  now?: () => number;
}

export type PreflightResult = { ok: true; detail: string } | { ok: false; error: string };

const GROUPS: readonly GroupName[] = ['baseline', 'canary'];

/**
 * Reads each series as two instant queries, one per group, with the query's
 * placeholders filled for that group (`{{version}}`, ...). The evaluation runs
 * when its interval closes, so the query time is "now": the end of the interval
 * the guardian is judging. Every failure is a reading with `error` and null
 * values, never an exception (docs/architecture.md §8).
 *
 * A histogram series (`histogram: { leUnit }`) is one query per group too,
 * whose vector is keyed by `le`: each finite bound becomes the reading
 * `<series>_le_<ms>` (sources/histogram.ts), and `+Inf` is left to the series
 * that counts every request.
 */
export class PrometheusHealthSource implements HealthSource<PrometheusConfig> {
  readonly type = 'prometheus' as const;
  private readonly secrets: SecretProvider;
  private readonly now: () => number;

  constructor(options: PrometheusSourceOptions = {}) {
    this.secrets = options.secrets ?? envSecretProvider();
    this.now = options.now ?? Date.now;
  }

  async read(request: HealthReadRequest<PrometheusConfig>): Promise<SeriesReadings> {
    const names = request.series.map((s) => s.name);
    const options = this.requestOptions(request.source, request.signal);
    if ('error' in options) return errorReadings(names, options.error);
    const time = (this.now() / 1000).toFixed(3);
    const entries = await Promise.all(
      request.series.map(async (series): Promise<Array<[string, SeriesReading]>> => {
        const histogram = histogramOf(series);
        if (histogram !== undefined) {
          const outcomes = await Promise.all(
            GROUPS.map((group) =>
              this.queryGroup(options, request, series.query, group, time, parseHistogramQuery),
            ),
          );
          return combineHistogram(series.name, histogram.leUnit, outcomes);
        }
        const outcomes = await Promise.all(
          GROUPS.map((group) =>
            this.queryGroup(options, request, series.query, group, time, parseInstantQuery),
          ),
        );
        return [[series.name, combine(outcomes)]];
      }),
    );
    return Object.fromEntries(entries.flat());
  }

  /** Is the server up and answering, with these credentials? Meant for a check before a watch begins (not wired yet). */
  async preflight(
    source: PrometheusConfig,
    signal: AbortSignal = new AbortController().signal,
  ): Promise<PreflightResult> {
    const options = this.requestOptions(source, signal);
    if ('error' in options) return { ok: false, error: options.error };
    try {
      const ready = await get(options, '-/ready');
      if (ready.status >= 200 && ready.status < 300) return { ok: true, detail: 'ready' };
      // Some fronts (Thanos, managed services, proxies) do not expose /-/ready; the API answering is enough.
      if (ready.status === 404) {
        const info = await get(options, 'api/v1/status/buildinfo');
        if (info.status >= 200 && info.status < 300) return { ok: true, detail: 'API answers' };
        return { ok: false, error: describeStatus(options, info.status, info.body) };
      }
      return { ok: false, error: describeStatus(options, ready.status, ready.body) };
    } catch (error) {
      return { ok: false, error: messageOf(error) };
    }
  }

  private requestOptions(source: PrometheusConfig, signal: AbortSignal): RequestOptions | { error: string } {
    try {
      const { headers, secrets } = credentials(source.auth, this.secrets);
      return { baseUrl: source.url, headers, secrets, timeoutSeconds: source.timeoutSeconds, signal };
    } catch (error) {
      // A SecretError names the secret, never its value; anything else is not ours to show.
      return { error: error instanceof SecretError ? error.message : 'cannot prepare credentials' };
    }
  }

  private async queryGroup<O extends { kind: string }>(
    options: RequestOptions,
    request: HealthReadRequest<PrometheusConfig>,
    template: string,
    group: GroupName,
    time: string,
    parse: (body: unknown) => O | Failed,
  ): Promise<{ group: GroupName; outcome: O | Failed }> {
    let query: string;
    try {
      query = renderQuery(template, queryVariables(request, group));
    } catch (error) {
      return { group, outcome: { kind: 'error', error: messageOf(error) } };
    }
    try {
      const response = await get(options, 'api/v1/query', { query, time });
      const outcome = outcomeOf(options, response, parse);
      // Text from the server is echoed in errors: scrub it as well, whatever it contains.
      return {
        group,
        outcome: failed(outcome)
          ? { kind: 'error', error: redactSecrets(outcome.error, options.secrets) }
          : outcome,
      };
    } catch (error) {
      return { group, outcome: { kind: 'error', error: messageOf(error) } };
    }
  }
}

// Prometheus answers a bad query with 400/422 and a JSON error; anything else non-2xx is the server or a proxy.
function outcomeOf<O extends { kind: string }>(
  options: RequestOptions,
  response: { status: number; body: string },
  parse: (body: unknown) => O | Failed,
): O | Failed {
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return { kind: 'error', error: describeStatus(options, response.status, response.body) };
  }
  const outcome = parse(body);
  if (response.status >= 200 && response.status < 300) return outcome;
  if (failed(outcome))
    return { kind: 'error', error: describeStatus(options, response.status, outcome.error) };
  return { kind: 'error', error: describeStatus(options, response.status, '') };
}

type Failed = { kind: 'error'; error: string };
function failed(outcome: { kind: string }): outcome is Failed {
  return outcome.kind === 'error';
}

/** An error in either group makes the whole reading an error with null values: half an answer is not compared. */
function combine(outcomes: ReadonlyArray<{ group: GroupName; outcome: QueryOutcome }>): SeriesReading {
  const errors = outcomes.flatMap(({ group, outcome }) =>
    outcome.kind === 'error' ? [`${group}: ${outcome.error}`] : [],
  );
  if (errors.length > 0) return { baseline: null, canary: null, error: errors.join('; ') };
  const value = (group: GroupName): number | null => {
    const outcome = outcomes.find((o) => o.group === group)?.outcome;
    return outcome?.kind === 'value' ? outcome.value : null;
  };
  return { baseline: value('baseline'), canary: value('canary') };
}

/**
 * A histogram's two answers as readings: the series' own name (no value, or
 * the error) and `<series>_le_<ms>` for every finite bound. An error in either
 * group is an error on the name and on every bucket either group showed, so
 * no half answer is compared. A group without data (an empty vector) has null
 * buckets, never zero. When both groups answered, only the bounds they share
 * are kept: a bound that one version does not export cannot be compared.
 */
function combineHistogram(
  name: string,
  unit: LeUnit,
  outcomes: ReadonlyArray<{ group: GroupName; outcome: HistogramOutcome }>,
): Array<[string, SeriesReading]> {
  const errors: string[] = [];
  const byGroup = new Map<GroupName, Map<number, number>>();
  for (const { group, outcome } of outcomes) {
    if (outcome.kind === 'error') errors.push(`${group}: ${outcome.error}`);
    if (outcome.kind !== 'buckets') continue;
    const counts = new Map<number, number>();
    const les = new Map<number, string>();
    for (const bucket of outcome.buckets) {
      const ms = boundMs(bucket.le, unit);
      if (ms === null) continue;
      const other = les.get(ms);
      if (other !== undefined) {
        errors.push(`${group}: le="${other}" and le="${bucket.le}" are the same bound`);
        break;
      }
      les.set(ms, bucket.le);
      counts.set(ms, bucket.count);
    }
    byGroup.set(group, counts);
  }
  const answered = [...byGroup.values()];
  if (errors.length > 0) {
    const error = errors.join('; ');
    const bounds = new Set(answered.flatMap((counts) => [...counts.keys()]));
    return [name, ...[...bounds].map((ms) => bucketSeries(name, ms))].map((key) => [
      key,
      { baseline: null, canary: null, error },
    ]);
  }
  const bounds =
    answered.length === 0
      ? []
      : [...(answered[0]?.keys() ?? [])].filter((ms) => answered.every((counts) => counts.has(ms)));
  bounds.sort((a, b) => a - b);
  const count = (group: GroupName, ms: number): number | null => byGroup.get(group)?.get(ms) ?? null;
  return [
    [name, { baseline: null, canary: null }],
    ...bounds.map((ms): [string, SeriesReading] => [
      bucketSeries(name, ms),
      { baseline: count('baseline', ms), canary: count('canary', ms) },
    ]),
  ];
}

function messageOf(error: unknown): string {
  if (error instanceof PrometheusRequestError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
