import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Series, Source } from '../../../src/policy';
import type { HealthReadRequest } from '../../../src/sources';
import { boundMs, isBucketOf } from '../../../src/sources/histogram';
import { parseHistogramQuery, PrometheusHealthSource } from '../../../src/sources/prometheus';

/**
 * A histogram series read from a fake Prometheus (src/sources/prometheus):
 * one query per group, its vector keyed by `le` becomes `<series>_le_<ms>`.
 */

type PrometheusConfig = Extract<Source, { type: 'prometheus' }>;
type Answer = Array<[le: string, value: string]> | { status: number; body: unknown } | 'hang';

let server: Server;
let baseUrl: string;
let answers: Record<string, Answer>;
let queries: string[];

beforeAll(async () => {
  server = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://fake').searchParams.get('query') ?? '';
    queries.push(query);
    const version = /version="([^"]+)"/.exec(query)?.[1] ?? '';
    const answer = answers[version] ?? [];
    if (answer === 'hang') return;
    if (!Array.isArray(answer)) return json(res, answer.status, answer.body);
    json(res, 200, {
      status: 'success',
      data: {
        resultType: 'vector',
        result: answer.map(([le, value]) => ({ metric: { le }, value: [1700000000, value] })),
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  queries = [];
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const QUERY =
  'sum by (le) (increase(http_request_duration_seconds_bucket{service="{{service}}",version="{{version}}"}[{{interval}}]))';

function request(
  histogram: Series['histogram'] = { leUnit: 'seconds' },
  timeoutSeconds = 5,
): HealthReadRequest<PrometheusConfig> {
  return {
    sourceName: 'metrics',
    source: { type: 'prometheus', url: baseUrl, timeoutSeconds },
    series: [
      { name: 'latency', source: 'metrics', query: QUERY, ...(histogram ? { histogram } : {}) },
      { name: 'requests', source: 'metrics', query: 'sum(requests{version="{{version}}"})' },
    ],
    deployment: {
      deploymentId: 'd-1',
      service: 'checkout',
      environment: 'staging',
      version: '2.0',
      previousVersion: '1.0',
      deployedAt: '2026-01-01T00:00:00Z',
    },
    index: 3,
    intervalSeconds: 30,
    groups: { baseline: { version: '1.0' }, canary: { version: '2.0' } },
    signal: new AbortController().signal,
  };
}

const source = new PrometheusHealthSource({ now: () => 1_700_000_000_000 });

describe('Prometheus histogram series (fake server)', () => {
  test('one query per group; le in seconds becomes <series>_le_<ms>, +Inf dropped, bounds rounded', async () => {
    answers = {
      '1.0': [
        ['0.1', '40'],
        ['0.3', '90'],
        ['1', '99'],
        ['+Inf', '100'],
      ],
      '2.0': [
        ['0.1', '10'],
        ['0.3', '60'],
        ['1', '95'],
        ['+Inf', '100'],
      ],
    };
    const readings = await source.read({ ...request(), series: request().series.slice(0, 1) });
    expect(readings).toEqual({
      latency: { baseline: null, canary: null },
      latency_le_100: { baseline: 40, canary: 10 },
      latency_le_300: { baseline: 90, canary: 60 },
      latency_le_1000: { baseline: 99, canary: 95 },
    });
    expect(queries.sort()).toEqual([
      'sum by (le) (increase(http_request_duration_seconds_bucket{service="checkout",version="1.0"}[30s]))',
      'sum by (le) (increase(http_request_duration_seconds_bucket{service="checkout",version="2.0"}[30s]))',
    ]);
  });

  test('le in milliseconds is kept as it is', async () => {
    answers = {
      '1.0': [
        ['2.5', '3'],
        ['250', '80'],
        ['+Inf', '81'],
      ],
      '2.0': [
        ['2.5', '1'],
        ['250', '70'],
        ['+Inf', '75'],
      ],
    };
    const readings = await source.read({
      ...request({ leUnit: 'milliseconds' }),
      series: request()
        .series.slice(0, 1)
        .map((s) => ({ ...s, histogram: { leUnit: 'milliseconds' } })),
    });
    expect(readings).toEqual({
      latency: { baseline: null, canary: null },
      'latency_le_2.5': { baseline: 3, canary: 1 },
      latency_le_250: { baseline: 80, canary: 70 },
    });
  });

  test('an empty vector is missing data (null), never zero', async () => {
    answers = {
      '1.0': [
        ['0.3', '7.5'],
        ['+Inf', '8'],
      ],
      '2.0': [],
    };
    const readings = await source.read({ ...request(), series: request().series.slice(0, 1) });
    expect(readings).toEqual({
      latency: { baseline: null, canary: null },
      latency_le_300: { baseline: 7.5, canary: null },
    });
    answers = { '1.0': [], '2.0': [] };
    expect(await source.read({ ...request(), series: request().series.slice(0, 1) })).toEqual({
      latency: { baseline: null, canary: null },
    });
  });

  test('when both groups answer, only the bounds they share are kept', async () => {
    answers = {
      '1.0': [
        ['0.1', '5'],
        ['0.2', '9'],
        ['+Inf', '10'],
      ],
      '2.0': [
        ['0.1', '4'],
        ['0.25', '9'],
        ['+Inf', '10'],
      ],
    };
    expect(await source.read({ ...request(), series: request().series.slice(0, 1) })).toEqual({
      latency: { baseline: null, canary: null },
      latency_le_100: { baseline: 5, canary: 4 },
    });
  });

  test('an error in one group is an error on the series and on every bucket it would have produced', async () => {
    answers = {
      '1.0': [
        ['0.1', '5'],
        ['0.5', '9'],
        ['+Inf', '10'],
      ],
      '2.0': { status: 422, body: { status: 'error', errorType: 'execution', error: 'too many samples' } },
    };
    const readings = await source.read({ ...request(), series: request().series.slice(0, 1) });
    const error = 'canary: HTTP 422: execution: too many samples';
    expect(readings).toEqual({
      latency: { baseline: null, canary: null, error },
      latency_le_100: { baseline: null, canary: null, error },
      latency_le_500: { baseline: null, canary: null, error },
    });
  });

  test('a timeout is an error reading, not an exception and not a hang', async () => {
    answers = { '1.0': 'hang', '2.0': 'hang' };
    const readings = await source.read({ ...request(undefined, 1), series: request().series.slice(0, 1) });
    expect(readings).toEqual({
      latency: {
        baseline: null,
        canary: null,
        error: 'baseline: timed out after 1s; canary: timed out after 1s',
      },
    });
  });

  test('a query not aggregated by le is an error that says so', async () => {
    answers = {
      '1.0': {
        status: 200,
        body: {
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: {}, value: [1, '3'] }] },
        },
      },
      '2.0': [
        ['0.1', '1'],
        ['+Inf', '1'],
      ],
    };
    const readings = await source.read({ ...request(), series: request().series.slice(0, 1) });
    expect(readings.latency?.error).toBe(
      'baseline: a sample has no le label; aggregate the buckets with sum by (le) (...)',
    );
    expect(readings.latency_le_100?.error).toBe(readings.latency?.error);
  });

  test('a histogram and a plain series of the same source are read side by side', async () => {
    answers = {
      '1.0': [
        ['0.1', '5'],
        ['+Inf', '10'],
      ],
      '2.0': [
        ['0.1', '6'],
        ['+Inf', '12'],
      ],
    };
    const readings = await source.read(request());
    expect(readings.latency_le_100).toEqual({ baseline: 5, canary: 6 });
    // The fake answers the plain query with a vector of one sample per `le`: two samples, an error there alone.
    expect(readings.requests?.error).toContain('aggregate it to one');
    expect(readings.latency?.error).toBeUndefined();
  });
});

describe('parseHistogramQuery', () => {
  const vector = (result: unknown) => ({ status: 'success', data: { resultType: 'vector', result } });
  test('buckets by le, no data, and what is wrong with a query', () => {
    expect(parseHistogramQuery(vector([{ metric: { le: '0.1' }, value: [1, '2'] }]))).toEqual({
      kind: 'buckets',
      buckets: [{ le: '0.1', count: 2 }],
    });
    expect(parseHistogramQuery(vector([]))).toEqual({ kind: 'no-data' });
    expect(
      parseHistogramQuery(
        vector([
          { metric: { le: '0.1' }, value: [1, '2'] },
          { metric: { le: '0.1' }, value: [1, '3'] },
        ]),
      ),
    ).toEqual({
      kind: 'error',
      error: 'le="0.1" appears twice; aggregate the buckets with sum by (le) (...)',
    });
    expect(parseHistogramQuery(vector([{ metric: { le: '0.1' }, value: [1, 'NaN'] }]))).toEqual({
      kind: 'error',
      error: 'le="0.1": the bucket is not a count',
    });
    expect(
      parseHistogramQuery({ status: 'success', data: { resultType: 'scalar', result: [1, '2'] } }),
    ).toEqual({
      kind: 'error',
      error: 'expected an instant vector of buckets by le, got scalar',
    });
    expect(parseHistogramQuery({ status: 'error', errorType: 'bad_data', error: 'parse error' })).toEqual({
      kind: 'error',
      error: 'bad_data: parse error',
    });
  });
});

describe('bucket bounds', () => {
  test('seconds to ms, rounded; +Inf and junk dropped', () => {
    expect(boundMs('0.3', 'seconds')).toBe(300);
    expect(boundMs('0.005', 'seconds')).toBe(5);
    expect(boundMs('1.1', 'seconds')).toBe(1100);
    expect(boundMs('0.0025', 'seconds')).toBe(2.5);
    expect(boundMs('2.5e-01', 'seconds')).toBe(250);
    expect(boundMs('750', 'milliseconds')).toBe(750);
    expect(boundMs('+Inf', 'seconds')).toBeNull();
    expect(boundMs('Inf', 'milliseconds')).toBeNull();
    expect(boundMs('', 'seconds')).toBeNull();
    expect(boundMs('abc', 'seconds')).toBeNull();
  });

  test('bucket readings of a series are told from other series', () => {
    expect(isBucketOf('latency', 'latency_le_300')).toBe(true);
    expect(isBucketOf('latency', 'latency_le_2.5')).toBe(true);
    expect(isBucketOf('latency', 'latency_le_')).toBe(false);
    expect(isBucketOf('latency', 'latency_p99_ms')).toBe(false);
    expect(isBucketOf('latency', 'latency_le_x')).toBe(false);
  });
});
