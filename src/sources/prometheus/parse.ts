/**
 * Turns the body of an instant query (`/api/v1/query`) into one number, no
 * data, or a problem. Pure, so every odd answer Prometheus can give is tested
 * with plain literals.
 *
 * - one sample with a finite value: the value;
 * - an empty vector, or NaN (Prometheus's 0/0, e.g. a ratio with no traffic):
 *   no data, which the decision core treats as missing, never as healthy;
 * - ±Inf, several series, or a range/string result: a problem with the query
 *   itself (division by zero, a missing `sum by`), reported as an error so the
 *   author sees it instead of the guardian comparing the wrong thing.
 */
export type QueryOutcome =
  { kind: 'value'; value: number } | { kind: 'no-data' } | { kind: 'error'; error: string };

interface ApiBody {
  status?: unknown;
  error?: unknown;
  errorType?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

export function parseInstantQuery(body: unknown): QueryOutcome {
  if (typeof body !== 'object' || body === null)
    return { kind: 'error', error: 'response is not a JSON object' };
  const api = body as ApiBody;
  if (api.status !== 'success') return { kind: 'error', error: apiError(api) };
  const resultType = api.data?.resultType;
  const result = api.data?.result;
  if (resultType === 'scalar') return sampleValue(result);
  if (resultType !== 'vector')
    return { kind: 'error', error: `expected an instant vector, got ${shown(resultType)}` };
  if (!Array.isArray(result)) return { kind: 'error', error: 'vector result is not a list' };
  if (result.length === 0) return { kind: 'no-data' };
  if (result.length > 1) {
    return {
      kind: 'error',
      error: `query returned ${result.length} series; aggregate it to one (e.g. sum(...))`,
    };
  }
  return sampleValue((result[0] as { value?: unknown } | undefined)?.value);
}

/** The error Prometheus gave for a failed query, shortened; a query echoes no secret. */
export function apiError(api: ApiBody): string {
  const type = typeof api.errorType === 'string' ? api.errorType : 'error';
  const text = typeof api.error === 'string' ? api.error : 'no error message';
  return oneLine(`${type}: ${text}`);
}

const MAX_ECHO = 200;

/**
 * Text from the server, as it may be echoed: one line, no control characters, bounded.
 * Whatever the answer holds (a key named toString, a megabyte of error text), this never throws.
 */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim();
  return flat.length > MAX_ECHO ? `${flat.slice(0, MAX_ECHO)}…` : flat;
}

function shown(value: unknown): string {
  return oneLine(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined'));
}

// A sample is [unixSeconds, "value"]; the value is a string so that NaN and ±Inf survive JSON.
function sampleValue(sample: unknown): QueryOutcome {
  if (!Array.isArray(sample) || typeof sample[1] !== 'string') {
    return { kind: 'error', error: 'sample is not [time, "value"]' };
  }
  const text = sample[1];
  if (text === 'NaN') return { kind: 'no-data' };
  // Prometheus writes infinities as "+Inf"/"-Inf", which Number() does not read.
  if (text === '+Inf' || text === '-Inf' || text === 'Inf') {
    return { kind: 'error', error: `query returned ${text} (division by zero?)` };
  }
  const value = Number(text);
  if (Number.isNaN(value) || text.trim() === '')
    return { kind: 'error', error: `sample value "${oneLine(text)}" is not a number` };
  if (!Number.isFinite(value))
    return { kind: 'error', error: `query returned ${oneLine(text)} (division by zero?)` };
  return { kind: 'value', value };
}

/**
 * The body of a histogram's instant query (`sum by (le) (increase(…_bucket…))`):
 * one sample per `le` label. Pure, like parseInstantQuery.
 *
 * - samples keyed by their `le` label, values finite and not negative: the buckets
 *   (`+Inf` included; the caller decides what to keep);
 * - an empty vector: no data yet (a version that has served nothing), never zero;
 * - a sample without `le`, the same `le` twice, or a value that is not a count:
 *   a problem with the query (a missing `by (le)`, a `by (le, instance)`), an error.
 */
export type HistogramOutcome =
  | { kind: 'buckets'; buckets: Array<{ le: string; count: number }> }
  | { kind: 'no-data' }
  | { kind: 'error'; error: string };

export function parseHistogramQuery(body: unknown): HistogramOutcome {
  if (typeof body !== 'object' || body === null)
    return { kind: 'error', error: 'response is not a JSON object' };
  const api = body as ApiBody;
  if (api.status !== 'success') return { kind: 'error', error: apiError(api) };
  const resultType = api.data?.resultType;
  const result = api.data?.result;
  if (resultType !== 'vector')
    return {
      kind: 'error',
      error: `expected an instant vector of buckets by le, got ${shown(resultType)}`,
    };
  if (!Array.isArray(result)) return { kind: 'error', error: 'vector result is not a list' };
  if (result.length === 0) return { kind: 'no-data' };
  const buckets: Array<{ le: string; count: number }> = [];
  const seen = new Set<string>();
  for (const entry of result as unknown[]) {
    const sample = (typeof entry === 'object' && entry !== null ? entry : {}) as {
      metric?: unknown;
      value?: unknown;
    };
    const metric = typeof sample.metric === 'object' && sample.metric !== null ? sample.metric : {};
    const le: unknown = Object.prototype.hasOwnProperty.call(metric, 'le')
      ? (metric as Record<string, unknown>).le
      : undefined;
    if (typeof le !== 'string')
      return {
        kind: 'error',
        error: 'a sample has no le label; aggregate the buckets with sum by (le) (...)',
      };
    if (seen.has(le))
      return {
        kind: 'error',
        error: `le="${oneLine(le)}" appears twice; aggregate the buckets with sum by (le) (...)`,
      };
    seen.add(le);
    const value = sampleValue(sample.value);
    if (value.kind === 'error') return { kind: 'error', error: `le="${oneLine(le)}": ${value.error}` };
    if (value.kind === 'no-data' || value.value < 0)
      return { kind: 'error', error: `le="${oneLine(le)}": the bucket is not a count` };
    buckets.push({ le, count: value.value });
  }
  return { kind: 'buckets', buckets };
}
