import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlannedStep, ResolvedAction } from '../../src/model/plan';
import { type NginxServer, startNginx } from '../../src/dev/nginx';
import { findFreePort } from '../../src/dev/ports';
import { PermanentStepError, type StepContext } from '../../src/targets';
import {
  NginxTrafficTarget,
  type NginxTargetConfigInput,
  probeService,
  readServiceState,
  setCanaryWeight,
  setLiveColour,
} from '../../src/targets/nginx';
import type { DeploymentInfo } from '../../src/model/guardian';

/**
 * The nginx traffic target against a real nginx (Debian package) run by
 * src/dev/nginx.ts on a free port, in front of two tiny backends that answer
 * with their version: the canary of `checkout` is drained, retried, undone and
 * refused a broken config; `payments` swaps back to its previous colour.
 */
const OLD = '1.9.0';
const NEW = '2.0.0';

let dir: string;
let nginx: NginxServer | undefined;
const backends: Server[] = [];
let config: NginxTargetConfigInput;

function backend(version: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'x-version': version, 'content-type': 'text/plain' });
    res.end(`checkout ${version}\n`);
  });
  backends.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-nginx-'));
  const [v1, v2] = await Promise.all([backend(OLD), backend(NEW)]);
  nginx = await startNginx({ dir, port: await findFreePort(), services: ['checkout', 'payments'] });
  const probe = (host: string) => ({ url: `${nginx!.url}/`, host, count: 20 });
  config = {
    type: 'nginx',
    ...nginx.targetPaths,
    pauseScale: 0.001,
    services: {
      checkout: { pattern: 'canary', baseline: v1, canary: v2, probe: probe('checkout') },
      payments: { pattern: 'blue-green', blue: v1, green: v2, probe: probe('payments') },
    },
  };
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  await Promise.all(backends.map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

const deployment = (service: string): DeploymentInfo => ({
  deploymentId: 'build-481',
  service,
  environment: 'production',
  version: NEW,
  previousVersion: OLD,
  deployedAt: '2026-01-01T00:00:00Z',
});

/** A step context whose pauses run `onPause` (to look at nginx between stages). */
function context(service: string, onPause: () => Promise<void> = async () => undefined) {
  const beats: unknown[] = [];
  const ctx: StepContext = {
    deployment: deployment(service),
    planHash: 'plan-hash',
    heartbeat: (details) => beats.push(details),
    sleep: onPause,
    signal: new AbortController().signal,
  };
  return { ctx, beats };
}

let keys = 0;
function step(action: ResolvedAction): PlannedStep {
  keys++;
  return {
    index: 0,
    name: action.type,
    idempotencyKey: `${Date.now().toString(16)}${keys}`.padStart(64, '0'),
    action,
    timeoutSeconds: 120,
    retries: { maxAttempts: 3, initialSeconds: 1, multiplier: 2, maxSeconds: 10 },
    verify: { targetState: true, signals: [], settleSeconds: 0, timeoutSeconds: 30 },
    irreversible: false,
  };
}

const drain = () => step({ type: 'shift-traffic', weights: [10, 0], pauseSeconds: 1 });
const upstreamFile = (service: string) => readFileSync(join(nginx!.upstreamsDir, `${service}.conf`), 'utf8');

async function versionsSeen(service: string): Promise<string[]> {
  return Object.keys((await probeService(config, service)).byVersion).sort();
}

describe('nginx traffic target: canary', () => {
  beforeEach(async () => {
    // Deploy time: the canary takes 25%, as the demo's pipeline does.
    expect(await setCanaryWeight(config, 'checkout', 25)).toBe('canary weight 25% (nginx reloaded)');
  });

  test('at deploy time both versions answer through nginx', async () => {
    expect(await readServiceState(config, 'checkout')).toEqual({
      state: { pattern: 'canary', canaryWeight: 25 },
      problems: [],
    });
    expect(await versionsSeen('checkout')).toEqual([OLD, NEW]);
  });

  test('shift-traffic [10, 0] drains the canary through 10%; a repeated apply changes nothing', async () => {
    const target = new NginxTrafficTarget(config);
    const between: unknown[] = [];
    const { ctx, beats } = context('checkout', async () => {
      between.push((await readServiceState(config, 'checkout')).state);
    });
    const planned = drain();

    const applied = await target.apply(planned, ctx);
    expect(applied).toEqual({
      applied: true,
      detail: 'checkout: canary weight 25% → canary weight 0% in 2 stage(s) (nginx reloaded)',
    });
    expect(between).toEqual([{ pattern: 'canary', canaryWeight: 10 }]);
    expect(beats).toEqual(
      expect.arrayContaining([
        { step: 0, stage: 0, weight: 10 },
        { step: 0, stage: 1, weight: 0 },
      ]),
    );
    expect(await target.verify(planned, ctx)).toBe(
      `canary weight 0% (nginx reloaded, 20/20 probes answered by ${OLD})`,
    );
    expect(await versionsSeen('checkout')).toEqual([OLD]);

    const fileAfter = upstreamFile('checkout');
    const again = await new NginxTrafficTarget(config).apply(planned, ctx);
    expect(again.applied).toBe(false);
    expect(again.detail).toMatch(/already applied .*canary weight 0%; not applied again/);
    expect(upstreamFile('checkout')).toBe(fileAfter);
  });

  test('compensation restores the weight from before the step, once', async () => {
    const target = new NginxTrafficTarget(config);
    const { ctx } = context('checkout');
    const planned = drain();
    await target.apply(planned, ctx);
    expect(await versionsSeen('checkout')).toEqual([OLD]);

    const undone = await target.compensate(planned, ctx);
    expect(undone.compensated).toBe(true);
    expect(undone.detail).toMatch(
      /^restored canary weight 25% \(nginx reloaded, 20 probes: \d+ by 1\.9\.0, \d+ by 2\.0\.0\)$/,
    );
    expect((await readServiceState(config, 'checkout')).state).toEqual({
      pattern: 'canary',
      canaryWeight: 25,
    });
    expect(await versionsSeen('checkout')).toEqual([OLD, NEW]);

    expect(await target.compensate(planned, ctx)).toEqual({
      compensated: true,
      detail: 'already undone: canary weight 25%',
    });
    await expect(target.apply(planned, ctx)).rejects.toThrow(/already undone; it needs a new plan/);
  });

  test('an attempt cut off between stages is resumed by the next, and undone to the state before the first', async () => {
    const target = new NginxTrafficTarget(config);
    const planned = drain();
    const cut = context('checkout', () => Promise.reject(new Error('worker lost')));
    await expect(target.apply(planned, cut.ctx)).rejects.toThrow('worker lost');
    expect((await readServiceState(config, 'checkout')).state).toEqual({
      pattern: 'canary',
      canaryWeight: 10,
    });

    const retry = context('checkout');
    expect((await target.apply(planned, retry.ctx)).applied).toBe(true);
    expect(retry.beats).toContainEqual({ step: 0, stage: 1, weight: 0 });
    expect(retry.beats).not.toContainEqual({ step: 0, stage: 0, weight: 10 });
    expect(await versionsSeen('checkout')).toEqual([OLD]);

    expect((await target.compensate(planned, retry.ctx)).detail).toMatch(/^restored canary weight 25%/);
  });

  test('a change nginx -t rejects is put back and the previous config stays live', async () => {
    const broken: NginxTargetConfigInput = {
      ...config,
      services: {
        checkout: {
          pattern: 'canary',
          baseline: 'no-such-host.invalid:8081',
          canary: 'no-such-host.invalid:8082',
        },
      },
    };
    const before = upstreamFile('checkout');
    const { ctx } = context('checkout');
    const apply = new NginxTrafficTarget(broken).apply(
      step({ type: 'shift-traffic', weights: [0], pauseSeconds: 0 }),
      ctx,
    );
    await expect(apply).rejects.toBeInstanceOf(PermanentStepError);
    await expect(apply).rejects.toThrow(
      /^nginx -t rejected canary weight 0% for service checkout: \[emerg\] host not found in upstream "no-such-host\.invalid:\d+".*put back as it was; nginx not reloaded\)$/,
    );
    expect(upstreamFile('checkout')).toBe(before);
    expect(await versionsSeen('checkout')).toEqual([OLD, NEW]);
    expect((await nginx!.test()).ok).toBe(true);
  });
});

describe('nginx traffic target: blue-green', () => {
  test('swap-blue-green puts the previous colour back live, once; compensation swaps again', async () => {
    // Deploy time: green runs the new version and is live.
    await setLiveColour(config, 'payments', 'green');
    expect(await versionsSeen('payments')).toEqual([NEW]);

    const target = new NginxTrafficTarget(config);
    const { ctx } = context('payments');
    const swap = step({ type: 'swap-blue-green' });
    expect(await target.apply(swap, ctx)).toEqual({
      applied: true,
      detail: 'payments: live colour green → live colour blue (nginx reloaded)',
    });
    expect(await target.verify(swap, ctx)).toBe(
      `live colour blue (nginx reloaded, 20/20 probes answered by ${OLD})`,
    );

    // A retry must not toggle back to green.
    expect((await target.apply(swap, ctx)).applied).toBe(false);
    expect(await versionsSeen('payments')).toEqual([OLD]);

    expect((await target.compensate(swap, ctx)).detail).toBe(
      `restored live colour green (nginx reloaded, 20/20 probes answered by ${NEW})`,
    );
    expect(await versionsSeen('payments')).toEqual([NEW]);
  });
});

describe('the project-owned nginx', () => {
  test('says plainly when its port is taken or nginx is missing', async () => {
    const other = mkdtempSync(join(tmpdir(), 'ripcord-nginx-other-'));
    try {
      await expect(startNginx({ dir: other, port: nginx!.port, services: ['checkout'] })).rejects.toThrow(
        `nginx port ${nginx!.port} on 127.0.0.1 is already in use`,
      );
      await expect(
        startNginx({
          dir: other,
          port: await findFreePort(),
          services: ['checkout'],
          binary: join(other, 'nginx'),
        }),
      ).rejects.toThrow(/nginx binary .* is missing or not executable/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('stop ends the master and its workers and frees the port', async () => {
    const other = mkdtempSync(join(tmpdir(), 'ripcord-nginx-other-'));
    const port = await findFreePort();
    const second = await startNginx({ dir: other, port, services: ['checkout'], workerProcesses: 2 });
    try {
      const workers = readFileSync(`/proc/${second.pid}/task/${second.pid}/children`, 'utf8')
        .trim()
        .split(/\s+/);
      expect(workers).toHaveLength(2);
      await second.stop();
      for (const pid of [second.pid, ...workers.map(Number)]) {
        expect(() => process.kill(pid, 0)).toThrow();
      }
      const again = await startNginx({ dir: other, port, services: ['checkout'] });
      await again.stop();
    } finally {
      await second.stop();
      rmSync(other, { recursive: true, force: true });
    }
  });
});
