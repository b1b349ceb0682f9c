import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { stepIdempotencyKey } from '../../../../src/activities/plan/idempotency';
import type { PlannedStep } from '../../../../src/model/plan';
import { generateSigningKey, type SigningKey, writeTrustedKeysFile } from '../../../../src/security/keys';
import type { StepContext } from '../../../../src/targets';
import { createRelease, currentLink, type Release, signRelease } from '../../../../src/targets/artifact';
import type { DeploymentInfo } from '../../../../src/model/guardian';

export const SERVICE = 'checkout';
export const PLAN_HASH = 'plan-hash-for-artifact-tests';

export interface ReleaseFixture {
  releasesDir: string;
  trustedKeysFile: string;
  key: SigningKey;
  v1: Release;
  v2: Release;
}

/** Two signed releases of `checkout` and a trusted keys file holding the signing key. */
export async function twoSignedReleases(dir: string, files: (version: string) => Record<string, string>) {
  const releasesDir = path.join(dir, 'releases');
  const key = generateSigningKey('release-key');
  const trustedKeysFile = path.join(dir, 'trusted-keys.json');
  await writeTrustedKeysFile(trustedKeysFile, [key]);
  const v1 = await createRelease({ releasesDir, service: SERVICE, version: '1.0.0', files: files('1.0.0') });
  const v2 = await createRelease({ releasesDir, service: SERVICE, version: '2.0.0', files: files('2.0.0') });
  await signRelease({ releasesDir, service: SERVICE, version: '1.0.0', key });
  await signRelease({ releasesDir, service: SERVICE, version: '2.0.0', key });
  return { releasesDir, trustedKeysFile, key, v1, v2 } satisfies ReleaseFixture;
}

export function deployment(overrides: Partial<DeploymentInfo> = {}): DeploymentInfo {
  return {
    deploymentId: 'deploy-42',
    service: SERVICE,
    environment: 'production',
    version: '2.0.0',
    previousVersion: '1.0.0',
    deployedAt: '2026-01-01T12:00:00Z',
    ...overrides,
  };
}

export function revertStep(digest: string, signedBy: string, index = 0): PlannedStep {
  return {
    index,
    name: 'redeploy-previous',
    idempotencyKey: stepIdempotencyKey('deploy-42', PLAN_HASH, index),
    action: { type: 'revert-artifact', digest, signedBy },
    timeoutSeconds: 120,
    retries: { maxAttempts: 3, initialSeconds: 1, multiplier: 2, maxSeconds: 10 },
    verify: { targetState: true, signals: [], settleSeconds: 0, timeoutSeconds: 60 },
    irreversible: false,
  };
}

/** A step context with real waits (the target polls the service between them). */
export function liveContext(info: DeploymentInfo = deployment()): StepContext & { beats: unknown[] } {
  const beats: unknown[] = [];
  return {
    deployment: info,
    planHash: PLAN_HASH,
    beats,
    heartbeat: (details) => beats.push(details),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    signal: new AbortController().signal,
  };
}

/**
 * A stand-in for the service inside the test process: it answers /version with
 * the manifest that `current` points to at the moment of the request, so a
 * restart is instant. `override` makes it report something else.
 */
export async function inProcessService(releasesDir: string): Promise<{
  url: string;
  server: Server;
  override: { body?: unknown; status?: number };
  close: () => Promise<void>;
}> {
  const override: { body?: unknown; status?: number } = {};
  const server = createServer((_req, res) => {
    let body: unknown = override.body;
    if (body === undefined) {
      try {
        const manifest = JSON.parse(
          readFileSync(path.join(currentLink(releasesDir, SERVICE), 'manifest.json'), 'utf8'),
        ) as { version: string; digest: string };
        body = { version: manifest.version, digest: manifest.digest };
      } catch {
        res.writeHead(503);
        res.end();
        return;
      }
    }
    res.writeHead(override.status ?? 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/version`;
  return {
    url,
    server,
    override,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
