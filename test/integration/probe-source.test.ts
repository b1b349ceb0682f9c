import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { evaluateHealth } from '../../src/activities/health';
import type { EvaluateHealthInput } from '../../src/model/activity-contract';
import { findFreePort } from '../../src/dev/ports';
import { SourceRegistry } from '../../src/sources';
import { ProbeHealthSource } from '../../src/sources/probe';

/**
 * The probe source as the guardian's health activity uses it, against a
 * service running in its own process: version 1.0.0 answers every purchase,
 * version 2.0.0 fails every fourth one with a 500 and is 40 ms slower. Each
 * evaluation sends its probes anew; the failures show up as errors of the
 * canary only, the extra latency as its p50.
 */

const PROBES = 10;
const SLOW_MS = 40;

const SERVICE_JS = `
const http = require('node:http');
const counts = {};
http
  .createServer((req, res) => {
    const match = /^\\/shop\\/([^/]+)\\/buy$/.exec(req.url);
    if (!match || req.method !== 'POST' || req.headers.authorization !== 'Bearer ' + process.env.PROBE_TOKEN) {
      res.writeHead(403); res.end(); return;
    }
    const version = match[1];
    const n = (counts[version] = (counts[version] || 0) + 1);
    const fail = version === '2.0.0' && n % 4 === 0;
    const delay = version === '2.0.0' ? ${SLOW_MS} : 0;
    setTimeout(() => { res.writeHead(fail ? 500 : 201); res.end(fail ? 'out of stock' : 'ordered'); }, delay);
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
`;

let dir: string;
let service: ChildProcess | undefined;
let baseUrl: string;
let output = '';

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ripcord-probe-it-'));
  const file = path.join(dir, 'shop.js');
  writeFileSync(file, SERVICE_JS);
  const port = await findFreePort();
  baseUrl = `http://127.0.0.1:${port}`;
  service = spawn(process.execPath, [file], {
    env: { ...process.env, PORT: String(port), PROBE_TOKEN: 'shop-probe-token' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the shop did not start: ${output}`)), 15_000);
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (output.includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    service?.stdout?.on('data', keep);
    service?.stderr?.on('data', keep);
    service?.once('exit', (code) => reject(new Error(`the shop exited (${code}): ${output}`)));
  });
});

afterAll(async () => {
  if (service && service.exitCode === null) {
    const exited = new Promise((resolve) => service?.once('exit', resolve));
    service.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

function input(index: number): EvaluateHealthInput {
  return {
    deployment: {
      deploymentId: 'build-482',
      service: 'shop',
      environment: 'production',
      version: '2.0.0',
      previousVersion: '1.0.0',
      deployedAt: new Date().toISOString(),
    },
    index,
    intervalSeconds: 30,
    sources: {
      'shop-probe': {
        type: 'probe',
        url: `${baseUrl}/{{service}}/{{version}}/buy`,
        method: 'POST',
        expectStatus: 201,
        timeoutSeconds: 5,
        auth: { scheme: 'bearer', secret: '${secret:SHOP_PROBE_TOKEN}' },
      },
    },
    series: {
      requests: { source: 'shop-probe', query: 'requests' },
      errors: { source: 'shop-probe', query: 'errors' },
      probe_success: { source: 'shop-probe', query: 'success' },
      latency_p50_ms: { source: 'shop-probe', query: 'latency_p50_ms' },
      latency_p99_ms: { source: 'shop-probe', query: 'latency_p99_ms' },
    },
  };
}

describe('probe health source against a service in its own process', () => {
  const registry = new SourceRegistry({
    probe: new ProbeHealthSource({
      probesPerGroup: PROBES,
      secrets: {
        get: (name) => (name === 'SHOP_PROBE_TOKEN' ? 'shop-probe-token' : undefined),
        describe: (n) => n,
      },
    }),
  });
  const evaluate = evaluateHealth(registry);

  it('sees the canary fail some purchases and the baseline none, evaluation after evaluation', async () => {
    const first = await evaluate(input(0));
    const second = await evaluate(input(1));
    for (const observation of [first, second]) {
      expect(observation.requests).toEqual({ baseline: PROBES, canary: PROBES });
      expect(observation.errors?.baseline).toBe(0);
      expect(observation.errors?.error).toBeUndefined();
      expect(observation.probe_success?.baseline).toBe(1);
    }
    // Every fourth purchase of 2.0.0 fails: 5 of the 20 probes sent over two evaluations.
    expect((first.errors?.canary ?? 0) + (second.errors?.canary ?? 0)).toBe(5);
    expect(first.probe_success?.canary).toBe(1 - (first.errors?.canary ?? 0) / PROBES);
  });

  it('measures the canary as slower by at least what the service adds', async () => {
    const observation = await evaluate(input(2));
    expect(observation.latency_p50_ms?.canary).toBeGreaterThanOrEqual(SLOW_MS);
    expect(observation.latency_p99_ms?.canary).toBeGreaterThanOrEqual(
      observation.latency_p50_ms?.canary ?? Infinity,
    );
    expect(observation.latency_p50_ms?.baseline).toEqual(expect.any(Number));
  });

  it('turns a service that went away into failed probes, not a crash', async () => {
    const nobody = await findFreePort();
    const base = input(3);
    const probe = base.sources['shop-probe'];
    if (probe?.type !== 'probe') throw new Error('test input has no probe source');
    const observation = await evaluate({
      ...base,
      sources: { 'shop-probe': { ...probe, url: `http://127.0.0.1:${nobody}/{{version}}` } },
    });
    expect(observation.errors).toEqual({ baseline: PROBES, canary: PROBES });
    expect(observation.latency_p99_ms).toEqual({ baseline: null, canary: null });
  });
});
