import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findFreePort } from '../../../src/dev/ports';
import type { Source } from '../../../src/policy';
import { envSecretProvider } from '../../../src/security/secrets';
import type { HealthReadRequest } from '../../../src/sources';
import { PrometheusHealthSource } from '../../../src/sources/prometheus';

type PrometheusConfig = Extract<Source, { type: 'prometheus' }>;

const TOKEN = 'tok-3f9a-very-secret';
const NOW_MS = 1_700_000_123_456;

/** What the fake Prometheus saw, and how it answers. */
interface Seen {
  path: string;
  params: URLSearchParams;
  headers: IncomingHttpHeaders;
}
type Handler = (seen: Seen, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let handler: Handler;
let seen: Seen[];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const entry = { path: url.pathname, params: url.searchParams, headers: req.headers };
    seen.push(entry);
    handler(entry, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Answers each group's query with the value given for the version it filters on. */
function byVersion(values: Record<string, string | string[]>): Handler {
  return ({ params }, res) => {
    const version = /version="([^"]+)"/.exec(params.get('query') ?? '')?.[1] ?? '';
    const value = values[version] ?? [];
    const samples = Array.isArray(value) ? value : [value];
    json(res, 200, {
      status: 'success',
      data: {
        resultType: 'vector',
        result: samples.map((v, i) => ({ metric: { i: `${i}` }, value: [1, v] })),
      },
    });
  };
}

const source = new PrometheusHealthSource({
  secrets: envSecretProvider({ RIPCORD_SECRET_PROM_TOKEN: TOKEN }),
  now: () => NOW_MS,
});

function request(
  config: Partial<PrometheusConfig> = {},
  signal: AbortSignal = new AbortController().signal,
): HealthReadRequest<PrometheusConfig> {
  return {
    sourceName: 'metrics',
    source: { type: 'prometheus', url: baseUrl, timeoutSeconds: 5, ...config },
    series: [
      {
        name: 'requests',
        source: 'metrics',
        query: 'sum(rate(http_requests_total{version="{{version}}"}[{{interval}}]))',
      },
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
    signal,
  };
}

describe('Prometheus health source (fake server)', () => {
  test('one instant query per group, templated for that group, at the end of the interval', async () => {
    handler = byVersion({ '1.0': '10.5', '2.0': '3' });
    const readings = await source.read(request());
    expect(readings).toEqual({ requests: { baseline: 10.5, canary: 3 } });
    expect(seen.map((s) => s.path)).toEqual(['/api/v1/query', '/api/v1/query']);
    expect(seen.map((s) => s.params.get('query')).sort()).toEqual([
      'sum(rate(http_requests_total{version="1.0"}[30s]))',
      'sum(rate(http_requests_total{version="2.0"}[30s]))',
    ]);
    expect(seen.every((s) => s.params.get('time') === '1700000123.456')).toBe(true);
    expect(seen[0]?.headers.authorization).toBeUndefined();
  });

  test('a base URL with a path prefix keeps it', async () => {
    handler = byVersion({ '1.0': '1', '2.0': '2' });
    await source.read(request({ url: `${baseUrl}/prom/` }));
    expect(seen.map((s) => s.path)).toEqual(['/prom/api/v1/query', '/prom/api/v1/query']);
  });

  test('NaN and an empty result are no data for that group, never a value', async () => {
    handler = byVersion({ '1.0': 'NaN', '2.0': [] });
    expect(await source.read(request())).toEqual({ requests: { baseline: null, canary: null } });
  });

  test('one group with no data keeps the other group’s value', async () => {
    handler = byVersion({ '1.0': '7', '2.0': [] });
    expect(await source.read(request())).toEqual({ requests: { baseline: 7, canary: null } });
  });

  test('+Inf or several series make the reading an error with null values', async () => {
    handler = byVersion({ '1.0': '+Inf', '2.0': ['1', '2'] });
    expect(await source.read(request())).toEqual({
      requests: {
        baseline: null,
        canary: null,
        error:
          'baseline: query returned +Inf (division by zero?); canary: query returned 2 series; aggregate it to one (e.g. sum(...))',
      },
    });
  });

  test('a query Prometheus refuses is an error reading with its message', async () => {
    handler = (_seen, res) =>
      json(res, 400, { status: 'error', errorType: 'bad_data', error: 'parse error' });
    const { requests } = await source.read(request());
    expect(requests).toEqual({
      baseline: null,
      canary: null,
      error: 'baseline: HTTP 400: bad_data: parse error; canary: HTTP 400: bad_data: parse error',
    });
  });

  test('a server error that is not JSON is an error reading with the status', async () => {
    handler = (_seen, res) => {
      res.writeHead(503);
      res.end('upstream unavailable');
    };
    const { requests } = await source.read(request());
    expect(requests?.error).toContain('HTTP 503: upstream unavailable');
    expect(requests).toMatchObject({ baseline: null, canary: null });
  });

  test('no answer within timeoutSeconds is an error reading, not a hang', async () => {
    handler = () => undefined; // never answers
    const { requests } = await source.read(request({ timeoutSeconds: 1 }));
    expect(requests).toEqual({
      baseline: null,
      canary: null,
      error: 'baseline: timed out after 1s; canary: timed out after 1s',
    });
  });

  test("the caller's signal cancels the requests", async () => {
    handler = () => undefined;
    const controller = new AbortController();
    const reading = source.read(request({}, controller.signal));
    setTimeout(() => controller.abort(), 50);
    expect((await reading).requests?.error).toBe('baseline: cancelled; canary: cancelled');
  });

  test('a server that is not there is an error reading naming the address', async () => {
    const closed = `http://127.0.0.1:${await findFreePort()}`;
    const { requests } = await source.read(request({ url: closed }));
    expect(requests?.error).toBe(
      `baseline: cannot reach ${closed}: ECONNREFUSED; canary: cannot reach ${closed}: ECONNREFUSED`,
    );
  });

  test('bearer auth sends the resolved secret, and an echo of it never reaches the error', async () => {
    // A hostile or careless proxy that repeats the credentials back in its error page.
    handler = ({ headers }, res) => {
      res.writeHead(401);
      res.end(`denied: ${headers.authorization ?? ''}`);
    };
    const { requests } = await source.read(
      request({ auth: { scheme: 'bearer', secret: '${secret:PROM_TOKEN}' } }),
    );
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(requests?.error).toContain('HTTP 401: denied: Bearer [redacted]');
    expect(JSON.stringify(requests)).not.toContain(TOKEN);
  });

  test('basic auth sends user:password in base64, never echoed either', async () => {
    const basic = new PrometheusHealthSource({
      secrets: envSecretProvider({ PROM_BASIC: 'ripcord:pa55w0rd' }),
    });
    handler = ({ headers }, res) => {
      res.writeHead(403);
      res.end(`no: ${headers.authorization ?? ''}`);
    };
    const { requests } = await basic.read(
      request({ auth: { scheme: 'basic', secret: '${secret:PROM_BASIC}' } }),
    );
    const encoded = Buffer.from('ripcord:pa55w0rd').toString('base64');
    expect(seen[0]?.headers.authorization).toBe(`Basic ${encoded}`);
    expect(JSON.stringify(requests)).not.toContain(encoded);
    expect(JSON.stringify(requests)).not.toContain('pa55w0rd');
  });

  test('a secret that is not set is an error reading naming it, and nothing is sent', async () => {
    handler = byVersion({});
    const { requests } = await source.read(
      request({ auth: { scheme: 'bearer', secret: '${secret:MISSING}' } }),
    );
    expect(requests).toEqual({
      baseline: null,
      canary: null,
      error: 'secret "MISSING" is not set (environment variable RIPCORD_SECRET_MISSING or MISSING)',
    });
    expect(seen).toEqual([]);
  });
});

describe('Prometheus preflight (fake server)', () => {
  test('ready when /-/ready answers 2xx, with the credentials', async () => {
    handler = (_seen, res) => {
      res.writeHead(200);
      res.end('Prometheus Server is Ready.');
    };
    const result = await source.preflight({
      type: 'prometheus',
      url: baseUrl,
      timeoutSeconds: 5,
      auth: { scheme: 'bearer', secret: '${secret:PROM_TOKEN}' },
    });
    expect(result).toEqual({ ok: true, detail: 'ready' });
    expect(seen.map((s) => [s.path, s.headers.authorization])).toEqual([['/-/ready', `Bearer ${TOKEN}`]]);
  });

  test('falls back to the build info API when /-/ready is not exposed', async () => {
    handler = ({ path }, res) =>
      path === '/-/ready'
        ? json(res, 404, {})
        : json(res, 200, { status: 'success', data: { version: '2.42.0' } });
    expect(await source.preflight({ type: 'prometheus', url: baseUrl, timeoutSeconds: 5 })).toEqual({
      ok: true,
      detail: 'API answers',
    });
    expect(seen.map((s) => s.path)).toEqual(['/-/ready', '/api/v1/status/buildinfo']);
  });

  test('not ready, or unreachable, says why without the secret', async () => {
    handler = ({ headers }, res) => {
      res.writeHead(503);
      res.end(`starting ${headers.authorization ?? ''}`);
    };
    const auth = { scheme: 'bearer' as const, secret: '${secret:PROM_TOKEN}' };
    const notReady = await source.preflight({ type: 'prometheus', url: baseUrl, timeoutSeconds: 5, auth });
    expect(notReady).toEqual({ ok: false, error: 'HTTP 503: starting Bearer [redacted]' });
    const closed = `http://127.0.0.1:${await findFreePort()}`;
    const unreachable = await source.preflight({ type: 'prometheus', url: closed, timeoutSeconds: 5 });
    expect(unreachable).toEqual({ ok: false, error: `cannot reach ${closed}: ECONNREFUSED` });
  });
});
