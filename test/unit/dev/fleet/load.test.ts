import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findFreePort } from '../../../../src/dev/ports';
import { errorRatio, type LoadCounts, type LoadGenerator, startLoad } from '../../../../src/dev/fleet/load';

/** The load generator against tiny servers of this test. */

const servers: Server[] = [];
let load: LoadGenerator | undefined;
afterEach(async () => {
  await load?.stop();
  load = undefined;
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(version: string | undefined, status: (n: number) => number) {
  let requests = 0;
  let connections = 0;
  const server = createServer((_req, res) => {
    requests += 1;
    res.writeHead(status(requests), version === undefined ? {} : { 'x-version': version });
    res.end('ok');
  });
  server.on('connection', () => (connections += 1));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    stats: () => ({ requests, connections }),
  };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 20));
}

function answered(counts: LoadCounts): number {
  const byVersion = Object.values(counts.byVersion).flatMap((s) => Object.values(s));
  return byVersion.reduce((a, b) => a + b, 0) + Object.values(counts.failures).reduce((a, b) => a + b, 0);
}

test('outcomes are counted by X-Version and status, every request exactly once', async () => {
  const v1 = await serve('1.9.0', () => 200);
  const v2 = await serve('2.0.0', (n) => (n % 4 === 0 ? 503 : 200));
  load = startLoad({ targets: [v1.url, v2.url], ratePerSecond: 200 });
  await until(() => load!.counts().sent >= 40);
  await load.stop();
  const counts = load.counts();
  expect(counts.inFlight).toBe(0);
  expect(answered(counts)).toBe(counts.sent);
  expect(Object.keys(counts.byVersion).sort()).toEqual(['1.9.0', '2.0.0']);
  expect(counts.byVersion['1.9.0']).toEqual({ '200': v1.stats().requests });
  expect(counts.byVersion['2.0.0']?.['503']).toBe(Math.floor(v2.stats().requests / 4));
  expect(errorRatio(counts, '1.9.0')).toBe(0);
  expect(errorRatio(counts, '2.0.0')).toBeGreaterThan(0.2);
  expect(errorRatio(counts, '3.0.0')).toBeUndefined();
});

test('connections are kept alive and reused', async () => {
  const server = await serve('1.9.0', () => 200);
  load = startLoad({ targets: server.url, ratePerSecond: 100 });
  await until(() => server.stats().requests >= 30);
  await load.stop();
  expect(server.stats().connections).toBeLessThan(server.stats().requests / 3);
});

test('answers without X-Version count as "none"; refused connections by their error code', async () => {
  const bare = await serve(undefined, () => 502);
  const closed = `http://127.0.0.1:${await findFreePort()}/`;
  load = startLoad({ targets: [bare.url, closed], ratePerSecond: 200 });
  await until(() => load!.counts().sent >= 20);
  await load.stop();
  const counts = load.counts();
  expect(counts.byVersion).toEqual({ none: { '502': bare.stats().requests } });
  expect(counts.failures.ECONNREFUSED).toBe(counts.sent - bare.stats().requests);
});

test('setTargets moves the next requests; a rate of 0 sends nothing', async () => {
  const first = await serve('1', () => 200);
  const second = await serve('2', () => 200);
  load = startLoad({ targets: first.url, ratePerSecond: 200 });
  await until(() => first.stats().requests >= 5);
  load.setTargets(second.url);
  await until(() => second.stats().requests >= 5);
  load.setRate(0);
  const sent = load.counts().sent;
  await new Promise((r) => setTimeout(r, 200));
  expect(load.counts().sent).toBe(sent);
});

test('bad targets and rates are refused', () => {
  expect(() => startLoad({ targets: [], ratePerSecond: 1 })).toThrow(/at least one target/);
  expect(() => startLoad({ targets: 'https://example.com', ratePerSecond: 1 })).toThrow(/only http/);
  expect(() => startLoad({ targets: 'http://127.0.0.1:1', ratePerSecond: -1 })).toThrow(/ratePerSecond/);
});
