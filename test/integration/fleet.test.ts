import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Fleet, startFleet } from '../../src/dev/fleet';
import { PortInUseError } from '../../src/dev/ports';
import { queryPrometheus, startPrometheus } from '../../src/dev/prometheus';
import { loadPolicyFile, type Source } from '../../src/policy';
import type { HealthReadRequest, SeriesReadings } from '../../src/sources';
import { verifyDigestSignature } from '../../src/security/artifact-signature';
import { generateSigningKey } from '../../src/security/keys';
import { PrometheusHealthSource } from '../../src/sources/prometheus';
import {
  activateRelease,
  findReleaseByDigest,
  listReleases,
  signatureFile,
} from '../../src/targets/artifact';

/**
 * The demo fleet on real parts: two supervised `checkout` instances (baseline
 * 1.9.0, canary 2.0.0 that degrades after a short warm-up), the real
 * Prometheus scraping both, and steady load straight at the instances. What a
 * guardian would see is read the way it reads it: the Prometheus health source
 * with the series queries of policies/examples/canary-p99-only.yaml (one number per series).
 */

type PrometheusConfig = Extract<Source, { type: 'prometheus' }>;

const POLICY = resolve(__dirname, '..', '..', 'policies', 'examples', 'canary-p99-only.yaml');
const WARMUP_SECONDS = 3;
/** The evaluation window of the queries ({{interval}}); starts after the warm-up, holds ~300 requests per group. */
const INTERVAL_SECONDS = 15;

let dir: string;
let fleet: Fleet | undefined;
let canaryStartedAt = 0;
const signingKey = generateSigningKey('demo-release-key');
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-fleet-'));
  fleet = await startFleet({
    dir,
    warmupSeconds: WARMUP_SECONDS,
    scrapeIntervalSeconds: 1,
    seed: 20260,
    // As in the demo: the canary is deployed while Prometheus already runs.
    deferCanary: true,
    load: { ratePerSecond: 40 },
    signingKey,
  });
  expect(fleet.canary.supervisor).toBeUndefined();
  await fleet.startCanary();
  canaryStartedAt = Date.now();
}, 90_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await fleet?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function theFleet(): Fleet {
  if (fleet === undefined) throw new Error('the fleet did not start');
  return fleet;
}

async function readAsTheGuardian(versions: { baseline: string; canary: string }): Promise<SeriesReadings> {
  const { policy } = await loadPolicyFile(POLICY);
  // The policy's own source names a bearer secret; the local Prometheus has no auth.
  const source: PrometheusConfig = { type: 'prometheus', url: theFleet().prometheus.url, timeoutSeconds: 5 };
  const request: HealthReadRequest<PrometheusConfig> = {
    sourceName: 'prometheus-main',
    source,
    series: Object.entries(policy.series).map(([name, series]) => ({ name, ...series })),
    deployment: {
      deploymentId: 'fleet-test',
      service: 'checkout',
      environment: 'production',
      version: versions.canary,
      previousVersion: versions.baseline,
      deployedAt: new Date(canaryStartedAt).toISOString(),
    },
    index: 0,
    intervalSeconds: INTERVAL_SECONDS,
    groups: { baseline: { version: versions.baseline }, canary: { version: versions.canary } },
    signal: AbortSignal.timeout(10_000),
  };
  return new PrometheusHealthSource().read(request);
}

async function poll<T>(what: string, timeoutMs: number, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Alive and not a zombie (an orphan's zombie lingers where nobody reaps it). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('nothing outlives a parent that is killed outright', async () => {
  // A second, small fleet in a child process that is then SIGKILLed: no cleanup code runs in it.
  const script = join(dir, 'doomed-parent.ts');
  writeFileSync(
    script,
    [
      `import { startFleet } from ${JSON.stringify(resolve(__dirname, '..', '..', 'src', 'dev', 'fleet'))};`,
      `startFleet({ dir: ${JSON.stringify(join(dir, 'doomed'))}, scrapeIntervalSeconds: 1, load: { ratePerSecond: 5 } })`,
      '  .then((f) => console.log(JSON.stringify({ pids: [f.baseline.supervisor?.running()?.pid,',
      '    f.canary.supervisor?.running()?.pid, f.prometheus.pid] })));',
    ].join('\n'),
  );
  const parent = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(parent);
  let output = '';
  parent.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  parent.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const { pids } = await poll('the doomed fleet', 60_000, async () => {
    const line = output.split('\n').find((l) => l.startsWith('{"pids"'));
    return line === undefined ? undefined : (JSON.parse(line) as { pids: number[] });
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${output}`);
  });
  expect(pids).toHaveLength(3);
  expect(pids.every((pid) => typeof pid === 'number' && isAlive(pid))).toBe(true);

  parent.kill('SIGKILL');
  await poll('the fleet of a killed parent to go away', 15_000, async () =>
    pids.some(isAlive) ? undefined : true,
  );
});

test('after the warm-up the canary reads worse than the baseline through the policy queries', async () => {
  // Wait until a whole query window lies after the canary's warm-up, plus two scrapes.
  const windowReadyAt = canaryStartedAt + (WARMUP_SECONDS + INTERVAL_SECONDS + 2) * 1000;
  await new Promise((r) => setTimeout(r, Math.max(0, windowReadyAt - Date.now())));

  const readings = await readAsTheGuardian({ baseline: '1.9.0', canary: '2.0.0' });
  const { requests, errors, latency_p99_ms: p99 } = readings;
  for (const reading of [requests, errors, p99]) {
    expect(reading?.error).toBeUndefined();
    expect(reading?.baseline).not.toBeNull();
    expect(reading?.canary).not.toBeNull();
  }
  const baseline = { requests: requests!.baseline!, errors: errors!.baseline!, p99: p99!.baseline! };
  const canary = { requests: requests!.canary!, errors: errors!.canary!, p99: p99!.canary! };
  // ~20 req/s per instance over the window: enough for the policy's minRequestsPerGroup (100).
  expect(baseline.requests).toBeGreaterThan(100);
  expect(canary.requests).toBeGreaterThan(100);
  expect(canary.errors / canary.requests).toBeGreaterThan(baseline.errors / baseline.requests);
  expect(canary.p99).toBeGreaterThan(baseline.p99);
  // And plausibly the model's numbers, not just any order: v1's p99 ≈ 120 ms, v2's several times that.
  expect(baseline.p99).toBeLessThan(300);
  expect(canary.p99).toBeGreaterThan(400);

  // The load generator saw both versions answer through their X-Version header.
  const counts = theFleet().load!.counts();
  expect(Object.keys(counts.byVersion).sort()).toEqual(['1.9.0', '2.0.0']);
});

test('the releases on every host are what an artifact revert accepts: found by digest, signed by the key', async () => {
  const f = theFleet();
  const trustedKeys = new Map([[signingKey.kid, signingKey.publicKey]]);
  for (const host of [f.baseline, f.canary]) {
    expect(await listReleases(host.releasesDir, f.service)).toEqual(Object.keys(host.releases).sort());
    for (const release of Object.values(host.releases)) {
      // The target recomputes the digest from the files: a fleet release must not look tampered.
      const lookup = await findReleaseByDigest(host.releasesDir, f.service, release.digest);
      expect(lookup).toEqual({ kind: 'found', release });
      const signature = readFileSync(signatureFile(host.releasesDir, f.service, release.version), 'utf8');
      const check = verifyDigestSignature({
        digest: release.digest,
        signature,
        keyId: signingKey.kid,
        trustedKeys,
      });
      expect(check).toEqual({ ok: true, keyId: signingKey.kid });
    }
  }
  expect(Object.keys(f.canary.releases).sort()).toEqual(['1.9.0', '2.0.0']);
  // The same content on two hosts is the same release.
  expect(f.canary.releases['1.9.0']!.digest).toBe(f.baseline.releases['1.9.0']!.digest);
});

test('SIGHUP to the pid file restarts the canary from a switched `current`', async () => {
  const f = theFleet();
  const canary = f.canary.supervisor!;
  const before = canary.running()!;
  expect(before.version).toBe('2.0.0');
  const pid = Number(readFileSync(f.canary.pidFile, 'utf8'));
  expect(pid).toBe(before.pid);

  // What an artifact revert does: point `current` at the old release, then HUP the service.
  await activateRelease({ releasesDir: f.canary.releasesDir, service: f.service, version: '1.9.0' });
  const restarted = canary.nextStart();
  process.kill(pid, 'SIGHUP');
  const after = await restarted;

  expect(after.version).toBe('1.9.0');
  expect(after.pid).not.toBe(pid);
  expect(Number(readFileSync(f.canary.pidFile, 'utf8'))).toBe(after.pid);
  const live = (await (await fetch(`${f.canary.url}/version`)).json()) as { version: string; digest: string };
  // The same release content as the baseline host's: the digest a revert verifies.
  expect(live).toEqual({
    service: 'checkout',
    version: '1.9.0',
    digest: f.baseline.releases['1.9.0']!.digest,
    startedAt: expect.any(String),
  });
  // Prometheus sees the canary instance serve 1.9.0 now.
  await poll('1.9.0 traffic on the canary instance', 20_000, async () => {
    const samples = await queryPrometheus(
      f.prometheus.url,
      'sum(http_requests_total{job="checkout",group="canary",version="1.9.0"})',
    );
    return (samples[0]?.value ?? 0) > 0 ? true : undefined;
  });
});

test('Prometheus refuses a port that is taken, and names it', async () => {
  const f = theFleet();
  const otherDir = join(dir, 'second-prometheus');
  await expect(
    startPrometheus({ dir: otherDir, port: f.prometheus.port, scrapeTargets: [], scrapeIntervalSeconds: 1 }),
  ).rejects.toThrow(PortInUseError);
  await expect(
    startPrometheus({ dir: otherDir, port: f.prometheus.port, scrapeTargets: [], scrapeIntervalSeconds: 1 }),
  ).rejects.toThrow(`Prometheus port ${f.prometheus.port} on 127.0.0.1 is already in use`);
  expect(existsSync(join(otherDir, 'data'))).toBe(false);
});
