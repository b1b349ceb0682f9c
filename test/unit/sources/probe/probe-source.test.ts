import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findFreePort } from '../../../../src/dev/ports';
import type { Source } from '../../../../src/policy';
import { envSecretProvider } from '../../../../src/security/secrets';
import type { HealthReadRequest } from '../../../../src/sources';
import { ProbeHealthSource } from '../../../../src/sources/probe';

type ProbeConfig = Extract<Source, { type: 'probe' }>;

const TOKEN = 'probe-token-7c1e-secret';
const PROBES = 6;

interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}
/** How the fake service answers a request to /<service>/<version>/buy: the nth request to that version. */
type Behaviour = (n: number, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let seen: Seen[];
let behaviours: Record<string, Behaviour>;
const counters = new Map<string, number>();

const answer =
  (status: number): Behaviour =>
  (_n, res) => {
    res.writeHead(status);
    res.end('ok');
  };

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    const version = /^\/[^/]+\/([^/]+)\/buy/.exec(req.url ?? '')?.[1] ?? '';
    const n = (counters.get(version) ?? 0) + 1;
    counters.set(version, n);
    (behaviours[decodeURIComponent(version)] ?? answer(404))(n, res);
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
  counters.clear();
  behaviours = { '1.0.0': answer(200), '2.0.0': answer(200) };
});

function request(
  source: Partial<ProbeConfig> = {},
  queries: Record<string, string> = { requests: 'requests', errors: 'errors' },
  signal = new AbortController().signal,
): HealthReadRequest<ProbeConfig> {
  return {
    sourceName: 'checkout-probe',
    source: {
      type: 'probe',
      url: `${baseUrl}/{{service}}/{{version}}/buy?group={{group}}`,
      method: 'GET',
      expectStatus: 200,
      timeoutSeconds: 5,
      ...source,
    },
    series: Object.entries(queries).map(([name, query]) => ({ name, source: 'checkout-probe', query })),
    deployment: {
      deploymentId: 'd-1',
      service: 'checkout',
      environment: 'production',
      version: '2.0.0',
      previousVersion: '1.0.0',
      deployedAt: '2026-01-01T00:00:00Z',
    },
    index: 3,
    intervalSeconds: 60,
    groups: { baseline: { version: '1.0.0' }, canary: { version: '2.0.0' } },
    signal,
  };
}

const source = (env: NodeJS.ProcessEnv = {}) =>
  new ProbeHealthSource({ probesPerGroup: PROBES, secrets: envSecretProvider(env) });

describe('ProbeHealthSource', () => {
  it('probes each group at its own URL and counts the probes that failed', async () => {
    behaviours['2.0.0'] = (n, res) => answer(n % 3 === 0 ? 503 : 200)(n, res);
    const readings = await source().read(
      request({}, { requests: 'requests', errors: 'errors', ok: 'success', p99: 'latency_p99_ms' }),
    );
    expect(readings.requests).toEqual({ baseline: PROBES, canary: PROBES });
    expect(readings.errors).toEqual({ baseline: 0, canary: 2 });
    expect(readings.ok).toEqual({ baseline: 1, canary: 4 / 6 });
    expect(readings.p99?.baseline).toEqual(expect.any(Number));
    expect(readings.p99?.canary).toEqual(expect.any(Number));
    const paths = seen.map((s) => s.path).sort();
    expect(paths).toEqual([
      ...Array<string>(PROBES).fill('/checkout/1.0.0/buy?group=baseline'),
      ...Array<string>(PROBES).fill('/checkout/2.0.0/buy?group=canary'),
    ]);
  });

  it('measures latency to the last byte', async () => {
    behaviours['2.0.0'] = (_n, res) => {
      res.writeHead(200);
      res.write('partial');
      setTimeout(() => res.end('rest'), 120);
    };
    const readings = await source().read(request({}, { p50: 'latency_p50_ms' }));
    expect(readings.p50?.canary).toBeGreaterThanOrEqual(120);
  });

  it('sends the method and the credentials the policy names, and echoes no secret', async () => {
    const readings = await source({ PROBE_TOKEN: TOKEN }).read(
      request({ method: 'POST', auth: { scheme: 'bearer', secret: '${secret:PROBE_TOKEN}' } }),
    );
    expect(readings.errors).toEqual({ baseline: 0, canary: 0 });
    expect(seen.every((s) => s.method === 'POST' && s.headers.authorization === `Bearer ${TOKEN}`)).toBe(
      true,
    );
    expect(JSON.stringify(readings)).not.toContain(TOKEN);
  });

  it('turns a secret that is not set into an error reading naming the secret', async () => {
    const readings = await source().read(
      request({ auth: { scheme: 'basic', secret: '${secret:PROBE_LOGIN}' } }),
    );
    expect(readings.errors).toMatchObject({
      baseline: null,
      canary: null,
      error: expect.stringContaining('PROBE_LOGIN'),
    });
    expect(seen).toEqual([]);
  });

  it('counts any status other than the expected one as a failure, redirects included', async () => {
    behaviours['1.0.0'] = answer(204);
    behaviours['2.0.0'] = (_n, res) => {
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    };
    const readings = await source().read(request({ expectStatus: 204 }));
    expect(readings.errors).toEqual({ baseline: 0, canary: PROBES });
    expect(seen.some((s) => s.path === '/elsewhere')).toBe(false);
  });

  it('counts a probe that times out as a failure, slow at least as long as it waited', async () => {
    behaviours['2.0.0'] = () => undefined; // never answers
    const readings = await source().read(
      request({ timeoutSeconds: 1 }, { errors: 'errors', p99: 'latency_p99_ms' }),
    );
    expect(readings.errors).toEqual({ baseline: 0, canary: PROBES });
    expect(readings.p99?.canary).toBeGreaterThanOrEqual(500);
  });

  it('counts an unreachable service as failures with no latency', async () => {
    const port = await findFreePort();
    const readings = await source().read(
      request({ url: `http://127.0.0.1:${port}/{{version}}` }, { errors: 'errors', p99: 'latency_p99_ms' }),
    );
    expect(readings.errors).toEqual({ baseline: PROBES, canary: PROBES });
    expect(readings.p99).toEqual({ baseline: null, canary: null });
  });

  it('probes a URL that cannot tell the versions apart once, as the canary', async () => {
    const readings = await source().read(request({ url: `${baseUrl}/checkout/2.0.0/buy` }));
    expect(readings.requests).toEqual({ baseline: null, canary: PROBES });
    expect(seen).toHaveLength(PROBES);
  });

  it('reports a query that is not a probe measure on its own series only', async () => {
    const readings = await source().read(request({}, { errors: 'errors', rate: 'sum(rate(errors[5m]))' }));
    expect(readings.errors).toEqual({ baseline: 0, canary: 0 });
    expect(readings.rate).toMatchObject({
      baseline: null,
      canary: null,
      error: expect.stringContaining('latency_pNN_ms'),
    });
  });

  it('reports a URL with an unknown placeholder instead of probing something else', async () => {
    const readings = await source().read(request({ url: `${baseUrl}/{{region}}/{{version}}` }));
    expect(readings.errors?.error).toContain('{{region}}');
    expect(seen).toEqual([]);
  });

  it('URL-encodes the values it fills in', async () => {
    const base = request();
    const readings = await source().read({
      ...base,
      groups: { baseline: { version: '1.0.0' }, canary: { version: '2.0.0+build/7' } },
    });
    expect(readings.requests?.canary).toBe(PROBES);
    expect(seen.filter((s) => s.path.startsWith('/checkout/2.0.0%2Bbuild%2F7/buy'))).toHaveLength(PROBES);
  });

  it('reports cancelled probes as an error, not as failures of the service', async () => {
    behaviours['2.0.0'] = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const readings = await source().read(request({}, undefined, controller.signal));
    expect(readings.errors).toMatchObject({ baseline: null, canary: null, error: 'probes cancelled' });
  });
});
