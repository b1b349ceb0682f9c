import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goodBehaviour } from '../../../../src/dev/fleet/behaviour';
import {
  type SupervisedService,
  type SupervisorEvent,
  superviseService,
} from '../../../../src/dev/fleet/supervisor';
import { findFreePort } from '../../../../src/dev/ports';
import { activateRelease, createRelease } from '../../../../src/targets/artifact';

/** The supervisor with real demo-service children (each start takes about a second). */

let dir: string;
let supervised: SupervisedService | undefined;
let events: SupervisorEvent[];
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-supervisor-'));
  events = [];
  for (const version of ['1.0.0', '2.0.0']) {
    await createRelease({
      releasesDir: dir,
      service: 'checkout',
      version,
      files: { 'behaviour.json': JSON.stringify(goodBehaviour()) },
    });
  }
  await activateRelease({ releasesDir: dir, service: 'checkout', version: '2.0.0' });
});
afterEach(async () => {
  await supervised?.stop();
  supervised = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function supervise(version?: string, port?: number): Promise<SupervisedService> {
  supervised = await superviseService({
    releasesDir: dir,
    service: 'checkout',
    version,
    port: port ?? (await findFreePort()),
    pidFile: join(dir, 'run', 'checkout.pid'),
    name: 'checkout canary',
    onEvent: (event) => events.push(event),
  });
  return supervised;
}

async function liveVersion(service: SupervisedService): Promise<string> {
  const body = (await (await fetch(`${service.url}/version`)).json()) as { version: string };
  return body.version;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('starts from `current`, writes the pid file, and restart() serves what `current` points at now', async () => {
  const service = await supervise();
  const first = service.running()!;
  expect(first.version).toBe('2.0.0');
  expect(readFileSync(service.pidFile, 'utf8').trim()).toBe(String(first.pid));
  expect(await liveVersion(service)).toBe('2.0.0');

  await activateRelease({ releasesDir: dir, service: 'checkout', version: '1.0.0' });
  const second = await service.restart();
  expect(second.version).toBe('1.0.0');
  expect(second.pid).not.toBe(first.pid);
  expect(alive(first.pid)).toBe(false);
  expect(readFileSync(service.pidFile, 'utf8').trim()).toBe(String(second.pid));
  expect(await liveVersion(service)).toBe('1.0.0');
  expect(events.map((e) => (e.type === 'exited' ? `exited:${e.reason}` : e.type))).toEqual([
    'started',
    'exited:restart',
    'started',
  ]);
});

test('a named version is served first; restarts still follow `current`', async () => {
  const service = await supervise('1.0.0');
  expect(await liveVersion(service)).toBe('1.0.0');
  expect((await service.restart()).version).toBe('2.0.0');
});

test('a crash is reported, not hidden by a restart; restart() revives it', async () => {
  const service = await supervise();
  const pid = service.running()!.pid;
  process.kill(pid, 'SIGKILL');
  while (service.running() !== undefined) await new Promise((r) => setTimeout(r, 20));
  expect(events.at(-1)).toEqual({ type: 'exited', pid, code: null, signal: 'SIGKILL', reason: 'crashed' });
  expect(existsSync(service.pidFile)).toBe(false);
  await new Promise((r) => setTimeout(r, 300));
  expect(service.running()).toBeUndefined();

  const revived = await service.restart();
  expect(revived.version).toBe('2.0.0');
  expect(await liveVersion(service)).toBe('2.0.0');
});

test('stop() ends the service and removes the pid file', async () => {
  const service = await supervise();
  const pid = service.running()!.pid;
  await service.stop();
  expect(alive(pid)).toBe(false);
  expect(existsSync(service.pidFile)).toBe(false);
  expect(events.at(-1)).toMatchObject({ type: 'exited', reason: 'stopped' });
  await expect(service.restart()).rejects.toThrow(/stopped/);
});

test('a taken port is refused before anything starts', async () => {
  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    await expect(supervise(undefined, port)).rejects.toThrow(
      `checkout canary service port ${port} on 127.0.0.1 is already in use`,
    );
  } finally {
    await new Promise((r) => blocker.close(r));
  }
});

test('a release that cannot be served fails the start with the service’s own words', async () => {
  rmSync(join(dir, 'checkout', 'releases', '2.0.0', 'behaviour.json'));
  await expect(supervise()).rejects.toThrow(/exited before it listened[\s\S]*cannot read .*behaviour\.json/);
  expect(events).toEqual([expect.objectContaining({ type: 'start-failed' })]);
});
