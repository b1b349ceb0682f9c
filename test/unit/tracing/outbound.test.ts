import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliver } from '../../../src/activities/notify/delivery';
import { readRunningVersion } from '../../../src/targets/artifact/running-version';
import { probeVersions } from '../../../src/targets/nginx/probe';
import { CircuitBreakers } from '../../../src/targets/support/circuit-breaker';
import { sendOutbound } from '../../../src/targets/support/outbound-http';
import { startTracing, stopTracing } from '../../../src/tracing';

/**
 * Issue 21: every HTTP call ripcord makes to a target or a receiver carries
 * the traceparent of the span running it (the step's or the notification's
 * activity) when the process traces, and no trace header when it does not.
 * The shared helpers are sendOutbound (Unleash, webhooks) and deliver
 * (notifications); the artifact target's version read and the nginx probe
 * make their own calls.
 */

const TRACE = '5bf92f3577b34da6a3ce929d0e0e4737';
const PARENT = '10f067aa0ba902b8';

let server: Server;
let base: string;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'x-version': '1.9.0' });
    res.end(JSON.stringify({ version: '1.9.0', digest: 'sha256:00' }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await stopTracing(1_000);
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
});

/** One call through each helper; the headers each request arrived with. */
async function callEach(): Promise<Record<string, IncomingHttpHeaders>> {
  const signal = new AbortController().signal;
  const breakers = new CircuitBreakers();
  const calls: Record<string, () => Promise<unknown>> = {
    sendOutbound: () =>
      sendOutbound(breakers, {
        url: new URL(`${base}/hook`),
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
        timeoutMs: 2_000,
        signal,
        what: 'a receiver',
        secrets: [],
      }),
    deliver: () =>
      deliver({ url: new URL(`${base}/notify`), headers: {}, body: '{}', what: 'a receiver', secrets: [] }),
    readRunningVersion: () => readRunningVersion(`${base}/version`, signal),
    probeVersions: () =>
      probeVersions(
        { url: `${base}/`, count: 1, timeoutMs: 2_000, version: { header: 'x-version' } },
        signal,
      ),
  };
  const headers: Record<string, IncomingHttpHeaders> = {};
  try {
    for (const [name, call] of Object.entries(calls)) {
      seen.length = 0;
      await call();
      expect({ name, requests: seen.length }).toEqual({ name, requests: 1 });
      headers[name] = seen[0]!;
    }
  } finally {
    breakers.shutdown();
  }
  return headers;
}

test('not tracing: no trace header on any call', async () => {
  for (const [name, headers] of Object.entries(await callEach()))
    expect({ name, traceparent: headers.traceparent }).toEqual({ name, traceparent: undefined });
});

test("tracing: every call carries the current span's traceparent", async () => {
  // Nothing listens on port 9: the spans are not the point here.
  const { tracing } = startTracing(
    'ripcord-test',
    { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' },
    () => {},
  );
  const span = tracing!.commandSpan('step', {}, { TRACEPARENT: `00-${TRACE}-${PARENT}-01` });
  const headers = await span.run(callEach);
  span.end();
  const parents = new Set<string>();
  for (const [name, h] of Object.entries(headers)) {
    const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(h.traceparent));
    expect({ name, trace: match?.[1] }).toEqual({ name, trace: TRACE });
    parents.add(match![2]!);
  }
  // All four from the one span that made them, not from the pipeline's.
  expect(parents.size).toBe(1);
  expect(parents.has(PARENT)).toBe(false);
});
