import { describeStatus, get, type RequestOptions } from '../sources/prometheus/client';
import { apiError } from '../sources/prometheus/parse';
import type { Point } from './stats';

/**
 * Range queries (`/api/v1/query_range`) for learning a service's history,
 * through the same request path as the Prometheus source: its timeout, its
 * redirect refusal, its secret scrubbing.
 */

export class RangeQueryError extends Error {
  override readonly name = 'RangeQueryError';
}

/** The one series of a matrix answer as points; NaN and ±Inf samples (0/0, no traffic) are left out. */
export function parseRangeQuery(body: unknown, query: string): Point[] {
  const api = body as { status?: unknown; data?: { resultType?: unknown; result?: unknown } } | null;
  if (typeof api !== 'object' || api === null) throw new RangeQueryError('response is not a JSON object');
  if (api.status !== 'success') throw new RangeQueryError(`${query}: ${apiError(api)}`);
  const result = api.data?.result;
  if (api.data?.resultType !== 'matrix' || !Array.isArray(result)) {
    throw new RangeQueryError(`${query}: expected a range vector (matrix)`);
  }
  if (result.length === 0) return [];
  if (result.length > 1) {
    throw new RangeQueryError(
      `${query}: returned ${result.length} series; aggregate it to one (e.g. sum(...))`,
    );
  }
  const values = (result[0] as { values?: unknown }).values;
  if (!Array.isArray(values)) throw new RangeQueryError(`${query}: series has no values`);
  const points: Point[] = [];
  for (const sample of values) {
    if (!Array.isArray(sample) || typeof sample[0] !== 'number' || typeof sample[1] !== 'string') continue;
    const value = Number(sample[1]);
    if (Number.isFinite(value)) points.push({ t: sample[0], value });
  }
  return points;
}

/** One series of a matrix answer: its labels and its points. */
export interface RangeSeries {
  metric: Record<string, string>;
  points: Point[];
}

/**
 * Every series of a matrix answer with its labels (a histogram's buckets by
 * `le`, one series each); NaN and ±Inf samples are left out, as above.
 */
export function parseRangeMatrix(body: unknown, query: string): RangeSeries[] {
  const api = body as { status?: unknown; data?: { resultType?: unknown; result?: unknown } } | null;
  if (typeof api !== 'object' || api === null) throw new RangeQueryError('response is not a JSON object');
  if (api.status !== 'success') throw new RangeQueryError(`${query}: ${apiError(api)}`);
  const result = api.data?.result;
  if (api.data?.resultType !== 'matrix' || !Array.isArray(result)) {
    throw new RangeQueryError(`${query}: expected a range vector (matrix)`);
  }
  return result.map((entry: unknown) => {
    const series = (typeof entry === 'object' && entry !== null ? entry : {}) as {
      metric?: unknown;
      values?: unknown;
    };
    const metric: Record<string, string> = {};
    if (typeof series.metric === 'object' && series.metric !== null) {
      for (const [label, value] of Object.entries(series.metric)) {
        if (typeof value === 'string') metric[label] = value;
      }
    }
    if (!Array.isArray(series.values)) throw new RangeQueryError(`${query}: series has no values`);
    const points: Point[] = [];
    for (const sample of series.values as unknown[]) {
      if (!Array.isArray(sample) || typeof sample[0] !== 'number' || typeof sample[1] !== 'string') continue;
      const value = Number(sample[1]);
      if (Number.isFinite(value)) points.push({ t: sample[0], value });
    }
    return { metric, points };
  });
}

/** The answer of one range query, parsed as JSON; an HTTP or API error is a RangeQueryError. */
async function rangeAnswer(
  options: RequestOptions,
  query: string,
  range: { start: number; end: number; step: number },
): Promise<unknown> {
  const response = await get(options, 'api/v1/query_range', {
    query,
    start: range.start.toFixed(3),
    end: range.end.toFixed(3),
    step: `${range.step}s`,
  });
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    throw new RangeQueryError(describeStatus(options, response.status, response.body));
  }
  if (response.status < 200 || response.status >= 300) {
    const api = body as { status?: unknown };
    throw new RangeQueryError(
      api?.status === 'error'
        ? `${query}: ${apiError(body as Parameters<typeof apiError>[0])}`
        : describeStatus(options, response.status, ''),
    );
  }
  return body;
}

export async function queryRange(
  options: RequestOptions,
  query: string,
  range: { start: number; end: number; step: number },
): Promise<Point[]> {
  return parseRangeQuery(await rangeAnswer(options, query, range), query);
}

/** A range query whose answer may hold several series, each with its labels. */
export async function queryRangeMatrix(
  options: RequestOptions,
  query: string,
  range: { start: number; end: number; step: number },
): Promise<RangeSeries[]> {
  return parseRangeMatrix(await rangeAnswer(options, query, range), query);
}
