import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BehaviourInput } from '../../../../src/dev/fleet/behaviour';
import {
  type DemoService,
  type DependencyCall,
  startDemoService,
} from '../../../../src/dev/fleet/demo-service';
import {
  activateRelease,
  createRelease,
  currentLink,
  directoryDigest,
} from '../../../../src/targets/artifact';

/** The demo service in this process, on a release written by the test; requests take about 20 ms. */

let dir: string;
const services: DemoService[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-demo-service-'));
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

function fast(errorRate: number): BehaviourInput {
  return { name: 'fast', phases: [{ fromSeconds: 0, errorRate, latency: { medianMs: 20, p99Ms: 22 } }] };
}

async function start(
  version: string,
  behaviour: BehaviourInput,
  options: { service?: string; calls?: DependencyCall } = {},
): Promise<DemoService> {
  const name = options.service ?? 'checkout';
  await createRelease({
    releasesDir: dir,
    service: name,
    version,
    files: { 'behaviour.json': JSON.stringify(behaviour) },
  });
  await activateRelease({ releasesDir: dir, service: name, version });
  const service = await startDemoService({
    release: currentLink(dir, name),
    port: 0,
    seed: 1,
    ...(options.calls ? { calls: options.calls } : {}),
  });
  services.push(service);
  return service;
}

function metricValue(text: string, name: string, labels: string): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && labels.split(',').every((p) => l.includes(p)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

test('the business endpoints answer with the release version in X-Version', async () => {
  const service = await start('2.0.0', fast(0));
  for (const path of ['/', '/checkout']) {
    const res = await fetch(`${service.url}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-version')).toBe('2.0.0');
    expect(await res.json()).toMatchObject({ ok: true, version: '2.0.0' });
  }
});

test('/version is the manifest of the release that `current` pointed at when it started', async () => {
  const before = Date.now();
  const service = await start('1.9.0', fast(0));
  const res = await fetch(`${service.url}/version`);
  const body = (await res.json()) as { startedAt: string };
  expect(body).toEqual({
    service: 'checkout',
    version: '1.9.0',
    digest: service.release.manifest.digest,
    startedAt: expect.any(String),
  });
  // When its behaviour's phases start counting: the demo marks the story's onset from it.
  expect(Date.parse(body.startedAt)).toBeGreaterThanOrEqual(before);
  expect(Date.parse(body.startedAt)).toBeLessThanOrEqual(Date.now());
  expect(service.release.dir).toBe(join(dir, 'checkout', 'releases', '1.9.0'));
  // The digest an artifact revert waits to see: the one it computes from the release's files.
  expect(service.release.manifest.digest).toBe(await directoryDigest(service.release.dir));
});

test('/metrics counts business requests by code and times them in the histogram the policy reads', async () => {
  const service = await start('2.0.0', fast(1));
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${service.url}/checkout`);
    expect(res.status).toBe(500);
    expect(res.headers.get('x-version')).toBe('2.0.0');
  }
  await fetch(`${service.url}/version`); // not a business request: not counted
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const labels = 'service="checkout",version="2.0.0"';
  expect(metricValue(text, 'http_requests_total', `${labels},code="500"`)).toBe(3);
  // The success series exists from the start at 0, so a ratio over it is 0, not "no data".
  expect(metricValue(text, 'http_requests_total', `${labels},code="200"`)).toBe(0);
  expect(metricValue(text, 'http_request_duration_seconds_count', labels)).toBe(3);
  expect(metricValue(text, 'http_request_duration_seconds_bucket', `${labels},le="+Inf"`)).toBe(3);
  expect(metricValue(text, 'http_request_duration_seconds_bucket', `le="0.125",${labels}`)).toBe(3);
  expect(metricValue(text, 'http_request_duration_seconds_bucket', `le="0.01",${labels}`)).toBe(0);
});

test('a missing behaviour file stops the start with the file named', async () => {
  await createRelease({
    releasesDir: dir,
    service: 'checkout',
    version: '1.0.0',
    files: { VERSION: '1.0.0' },
  });
  await expect(
    startDemoService({ release: join(dir, 'checkout', 'releases', '1.0.0'), port: 0 }),
  ).rejects.toThrow(/cannot read .*1\.0\.0\/behaviour\.json/);
});

test('other paths are 404, other methods 405', async () => {
  const service = await start('1.9.0', fast(0));
  expect((await fetch(`${service.url}/nope`)).status).toBe(404);
  expect((await fetch(`${service.url}/checkout`, { method: 'POST' })).status).toBe(405);
});

test("the fault switch: while on, requests follow the behaviour's fault; off, its phases again", async () => {
  const service = await start('2.0.0', {
    ...fast(0),
    fault: { name: 'new payment path', errorRate: 1, latency: { medianMs: 20, p99Ms: 22 } },
  });
  expect((await fetch(`${service.url}/`)).status).toBe(200);
  const on = await fetch(`${service.url}/fault/on`, { method: 'POST' });
  expect(await on.json()).toMatchObject({ fault: true, effect: 'new payment path' });
  expect((await fetch(`${service.url}/`)).status).toBe(500);
  await fetch(`${service.url}/fault/off`, { method: 'POST' });
  expect((await fetch(`${service.url}/`)).status).toBe(200);
  // Without a fault in its behaviour, the switch changes nothing.
  const plain = await start('1.9.0', fast(0), { service: 'payments' });
  expect(await (await fetch(`${plain.url}/fault/on`, { method: 'POST' })).json()).toMatchObject({
    fault: true,
    effect: 'none',
  });
  expect((await fetch(`${plain.url}/`)).status).toBe(200);
});

test('with calls, each request calls the dependency first (with its Host) and fails when the dependency does', async () => {
  const dependency = await start('1.0.0', fast(0), { service: 'db-proxy' });
  const hosts: string[] = [];
  // A stand-in front that notes the Host and passes the call on, as nginx routing by Host would.
  const { createServer } = await import('node:http');
  const front = createServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    fetch(`${dependency.url}${req.url ?? '/'}`).then(
      async (answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(await answer.text());
      },
      () => {
        res.writeHead(502);
        res.end();
      },
    );
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (front.address() as { port: number }).port;
    const caller = await start('1.9.0', fast(0), {
      service: 'payments',
      calls: { url: `http://127.0.0.1:${port}/`, host: 'db-proxy' },
    });
    expect((await fetch(`${caller.url}/`)).status).toBe(200);
    expect(hosts).toEqual(['db-proxy']);

    await fetch(`${dependency.url}/fault/on`, { method: 'POST' }); // no fault in its behaviour: still fine
    await dependency.close();
    const failed = await fetch(`${caller.url}/`);
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({
      error: expect.stringContaining('payments cannot work: db-proxy'),
    });
    const text = await (await fetch(`${caller.url}/metrics`)).text();
    const labels = 'service="payments",version="1.9.0"';
    expect(metricValue(text, 'http_requests_total', `${labels},code="502"`)).toBe(1);
    expect(metricValue(text, 'http_requests_total', `${labels},code="200"`)).toBe(1);
  } finally {
    await new Promise((r) => front.close(r));
  }
});
