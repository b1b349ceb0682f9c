import { type ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stepIdempotencyKey } from '../../src/activities/plan/idempotency';
import type { PlannedStep } from '../../src/model/plan';
import { findFreePort } from '../../src/dev/ports';
import { generateSigningKey, writeTrustedKeysFile } from '../../src/security/keys';
import { PermanentStepError, type StepContext } from '../../src/targets';
import {
  activateRelease,
  ArtifactTarget,
  createRelease,
  currentLink,
  parseArtifactTargetConfig,
  type Release,
  signRelease,
} from '../../src/targets/artifact';

/**
 * The artifact target against real processes: two signed releases of a tiny
 * Node HTTP server that reports the manifest of the release it runs from, kept
 * running by a small supervisor (as a process manager would) that restarts it
 * from `current` on SIGHUP. The target reverts 2.0.0 → 1.0.0 and back, and
 * refuses releases that are altered or signed by a key it does not trust.
 */

const SERVICE = 'checkout';
const PLAN_HASH = 'integration-plan';

// The service: reads the manifest of the directory it was started from (Node resolves the `current` symlink).
const SERVER_JS = `
const http = require('node:http');
const manifest = require('./manifest.json');
http
  .createServer((req, res) => {
    if (req.url !== '/version') { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ version: manifest.version, digest: manifest.digest, pid: process.pid }));
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

// The supervisor: runs <current>/server.js; on SIGHUP stops it and starts it again from what current points to now.
const SUPERVISOR_JS = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const [serverPath, pidFile] = process.argv.slice(2);
let child;
let restarting = false;
function start() {
  child = spawn(process.execPath, [serverPath], { stdio: 'inherit' });
  child.on('exit', () => {
    if (restarting) { restarting = false; start(); }
  });
}
process.on('SIGHUP', () => {
  if (restarting) return;
  restarting = true;
  child.kill('SIGTERM');
});
process.on('SIGTERM', () => { restarting = false; child.kill('SIGTERM'); process.exit(0); });
fs.writeFileSync(pidFile, String(process.pid));
start();
`;

let dir: string;
let releasesDir: string;
let trustedKeysFile: string;
let pidFile: string;
let versionUrl: string;
let supervisor: ChildProcess | undefined;
let output = '';
let v1: Release;
let v2: Release;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ripcord-artifact-it-'));
  releasesDir = path.join(dir, 'releases');
  trustedKeysFile = path.join(dir, 'trusted-keys.json');
  pidFile = path.join(dir, 'checkout.pid');
  const key = generateSigningKey('release-2026');
  await writeTrustedKeysFile(trustedKeysFile, [key]);
  const release = async (version: string): Promise<Release> => {
    const created = await createRelease({
      releasesDir,
      service: SERVICE,
      version,
      files: { 'server.js': SERVER_JS, VERSION: `${version}\n` },
    });
    await signRelease({ releasesDir, service: SERVICE, version, key });
    return created;
  };
  v1 = await release('1.0.0');
  v2 = await release('2.0.0');
  await activateRelease({ releasesDir, service: SERVICE, version: '2.0.0' });

  const port = await findFreePort();
  versionUrl = `http://127.0.0.1:${port}/version`;
  const supervisorFile = path.join(dir, 'supervisor.js');
  writeFileSync(supervisorFile, SUPERVISOR_JS);
  supervisor = spawn(
    process.execPath,
    [supervisorFile, path.join(currentLink(releasesDir, SERVICE), 'server.js'), pidFile],
    { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  supervisor.stdout?.on('data', keep);
  supervisor.stderr?.on('data', keep);
  await until(async () => (await running())?.version === '2.0.0', 'the service to start on 2.0.0');
});

afterAll(async () => {
  if (supervisor && supervisor.exitCode === null) {
    const exited = new Promise((resolve) => supervisor?.once('exit', resolve));
    supervisor.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function running(): Promise<{ version: string; digest: string; pid: number } | undefined> {
  try {
    const response = await fetch(versionUrl, { signal: AbortSignal.timeout(1000) });
    return (await response.json()) as { version: string; digest: string; pid: number };
  } catch {
    return undefined;
  }
}

async function until(check: () => Promise<boolean>, what: string, withinMs = 15_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; supervisor output:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function target(restart: { pidFile: string } | { command: string[] }): ArtifactTarget {
  return new ArtifactTarget(
    parseArtifactTargetConfig({
      type: 'local-process',
      releasesDir,
      trustedKeysFile,
      services: { [SERVICE]: { versionUrl, restart, readyTimeoutSeconds: 20 } },
    }),
  );
}

function step(index: number, digest: string, signedBy: string): PlannedStep {
  return {
    index,
    name: 'redeploy-previous',
    idempotencyKey: stepIdempotencyKey('build-481', PLAN_HASH, index),
    action: { type: 'revert-artifact', digest, signedBy },
    timeoutSeconds: 120,
    retries: { maxAttempts: 3, initialSeconds: 1, multiplier: 2, maxSeconds: 10 },
    verify: { targetState: true, signals: [], settleSeconds: 0, timeoutSeconds: 60 },
    irreversible: false,
  };
}

function context(): StepContext {
  return {
    deployment: {
      deploymentId: 'build-481',
      service: SERVICE,
      environment: 'production',
      version: '2.0.0',
      previousVersion: '1.0.0',
      deployedAt: new Date().toISOString(),
    },
    planHash: PLAN_HASH,
    heartbeat: () => undefined,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    signal: new AbortController().signal,
  };
}

describe('revert-artifact on a supervised local process', () => {
  it('reverts 2.0.0 → 1.0.0 by signal, never twice for one key, and compensation brings 2.0.0 back', async () => {
    const artifact = target({ pidFile });
    const revert = step(0, v1.digest, 'release-2026');
    const pidBefore = (await running())?.pid;

    const applied = await artifact.apply(revert, context());
    expect(applied.applied).toBe(true);
    expect(await running()).toMatchObject({ version: '1.0.0', digest: v1.digest });
    expect((await running())?.pid).not.toBe(pidBefore);
    expect(readlinkSync(currentLink(releasesDir, SERVICE))).toBe('releases/1.0.0');
    expect(await artifact.verify(revert, context())).toContain('checkout runs 1.0.0');

    const pidAfterRevert = (await running())?.pid;
    const repeated = await artifact.apply(revert, context());
    expect(repeated.applied).toBe(false);
    expect((await running())?.pid).toBe(pidAfterRevert); // not restarted again

    const compensated = await artifact.compensate(revert, context());
    expect(compensated.compensated).toBe(true);
    expect(await running()).toMatchObject({ version: '2.0.0', digest: v2.digest });
    expect(readlinkSync(currentLink(releasesDir, SERVICE))).toBe('releases/2.0.0');
  });

  it('restarts with a command (execFile, no shell) just as well', async () => {
    const pid = readFileSync(pidFile, 'utf8').trim();
    const artifact = target({ command: ['kill', '-HUP', pid] });
    const revert = step(1, v1.digest, 'release-2026');
    expect((await artifact.apply(revert, context())).applied).toBe(true);
    expect(await running()).toMatchObject({ version: '1.0.0', digest: v1.digest });
    expect((await artifact.compensate(revert, context())).compensated).toBe(true);
    expect(await running()).toMatchObject({ version: '2.0.0', digest: v2.digest });
  });

  it('refuses a release with a tampered file before anything changes', async () => {
    const serverFile = path.join(v1.dir, 'server.js');
    const pristine = path.join(dir, 'server.js.pristine');
    copyFileSync(serverFile, pristine);
    appendFileSync(serverFile, '\n// injected after signing\n');
    try {
      const pidBefore = (await running())?.pid;
      const error = await target({ pidFile })
        .apply(step(2, v1.digest, 'release-2026'), context())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentStepError);
      expect((error as Error).message).toMatch(
        /release 1\.0\.0 of checkout claims it, but its files hash to/,
      );
      expect(await running()).toMatchObject({ version: '2.0.0', pid: pidBefore });
      expect(readlinkSync(currentLink(releasesDir, SERVICE))).toBe('releases/2.0.0');
    } finally {
      copyFileSync(pristine, serverFile);
    }
  });

  it('refuses a release signed by a key that is not trusted', async () => {
    const stranger = generateSigningKey('stranger');
    await signRelease({ releasesDir, service: SERVICE, version: '1.0.0', key: stranger });
    const pidBefore = (await running())?.pid;
    const error = await target({ pidFile })
      .apply(step(3, v1.digest, 'stranger'), context())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentStepError);
    expect((error as Error).message).toMatch(/"stranger" is not a trusted key \(trusted: release-2026\)/);
    expect(await running()).toMatchObject({ version: '2.0.0', pid: pidBefore });
    expect(readlinkSync(currentLink(releasesDir, SERVICE))).toBe('releases/2.0.0');
  });
});
