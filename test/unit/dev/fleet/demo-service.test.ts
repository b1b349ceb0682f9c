import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BehaviourInput } from '../../../../src/dev/fleet/behaviour';
import { type DemoService, startDemoService } from '../../../../src/dev/fleet/demo-service';
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

async function start(version: string, behaviour: BehaviourInput): Promise<DemoService> {
  await createRelease({
    releasesDir: dir,
    service: 'checkout',
    version,
    files: { 'behaviour.json': JSON.stringify(behaviour) },
  });
  await activateRelease({ releasesDir: dir, service: 'checkout', version });
  const service = await startDemoService({ release: currentLink(dir, 'checkout'), port: 0, seed: 1 });
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
