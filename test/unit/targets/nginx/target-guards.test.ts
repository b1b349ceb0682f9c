import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PlannedStep, ResolvedAction } from '../../../../src/model/plan';
import { PermanentStepError, StepVerificationError } from '../../../../src/targets';
import { NginxTrafficTarget } from '../../../../src/targets/nginx';
import type { DeploymentInfo } from '../../../../src/model/guardian';
import { tempDir, testContext } from '../helpers';

/**
 * What the nginx target decides before it touches nginx: steps it must refuse
 * for good, and the answers of verify/compensate for a step never applied.
 * Real nginx behaviour is covered by test/integration/nginx-target.test.ts.
 */
const deployment: DeploymentInfo = {
  deploymentId: 'd-1',
  service: 'checkout',
  environment: 'production',
  version: '2.0.0',
  previousVersion: '1.9.0',
  deployedAt: '2026-01-01T00:00:00Z',
};

function step(action: ResolvedAction, index = 0): PlannedStep {
  return {
    index,
    name: `step ${index}`,
    idempotencyKey: `${index}`.padStart(64, 'f'),
    action,
    timeoutSeconds: 60,
    retries: { maxAttempts: 3, initialSeconds: 1, multiplier: 2, maxSeconds: 10 },
    verify: { targetState: true, signals: [], settleSeconds: 0, timeoutSeconds: 30 },
    irreversible: false,
  };
}

function target(dir = tempDir()): NginxTrafficTarget {
  return new NginxTrafficTarget({
    type: 'nginx',
    nginxBinary: '/bin/false',
    confFile: path.join(dir, 'nginx.conf'),
    pidFile: path.join(dir, 'nginx.pid'),
    upstreamsDir: path.join(dir, 'upstreams'),
    stateDir: path.join(dir, 'state'),
    services: {
      checkout: { pattern: 'canary', baseline: '127.0.0.1:8081', canary: '127.0.0.1:8082' },
      payments: { pattern: 'blue-green', blue: '127.0.0.1:9081', green: '127.0.0.1:9082' },
    },
  });
}

const ctx = (service = 'checkout') => testContext({ ...deployment, service }, 'plan-hash');
const drain = step({ type: 'shift-traffic', weights: [10, 0], pauseSeconds: 1 });

describe('nginx target: refused before nginx is touched', () => {
  test.each([
    [
      'a service it does not know',
      drain,
      'unknown',
      /no service "unknown" \(configured: checkout, payments\)/,
    ],
    [
      'a shift on a blue-green service',
      drain,
      'payments',
      /shift-traffic, but service payments is configured as blue-green/,
    ],
    ['a swap on a canary service', step({ type: 'swap-blue-green' }), 'checkout', /configured as canary/],
    [
      'a weight above 100',
      step({ type: 'shift-traffic', weights: [150, 0], pauseSeconds: 0 }),
      'checkout',
      /not 150/,
    ],
    [
      'no stages',
      step({ type: 'shift-traffic', weights: [], pauseSeconds: 0 }),
      'checkout',
      /no traffic stages/,
    ],
    [
      'an action of another kind',
      step({ type: 'disable-flag', flag: 'f', project: 'p' }),
      'checkout',
      /not disable-flag/,
    ],
  ])('%s', async (_name, planned, service, message) => {
    const apply = target().apply(planned, ctx(service));
    await expect(apply).rejects.toBeInstanceOf(PermanentStepError);
    await expect(target().apply(planned, ctx(service))).rejects.toThrow(message);
  });

  test('a swap when no colour can be read as live has nothing to swap back to', async () => {
    const dir = tempDir();
    const apply = target(dir).apply(step({ type: 'swap-blue-green' }), ctx('payments'));
    await expect(apply).rejects.toThrow(/cannot tell which colour of payments is live/);
  });

  test('nginx missing where the config says is a permanent failure that names the binary', async () => {
    const dir = tempDir();
    const t = new NginxTrafficTarget({ ...target(dir).config, nginxBinary: path.join(dir, 'no-nginx') });
    await expect(t.apply(drain, ctx())).rejects.toThrow(/no-nginx \(from the config\) is missing/);
  });

  test('a failing nginx -t leaves no half-written upstream behind', async () => {
    const dir = tempDir();
    const t = target(dir); // nginxBinary /bin/false: every test fails
    await expect(t.apply(drain, ctx())).rejects.toThrow(
      /nginx -t rejected canary weight 10% for service checkout/,
    );
    await expect(t.verify(drain, ctx())).rejects.toBeInstanceOf(StepVerificationError);
    expect(readdirSync(path.join(dir, 'upstreams'))).toEqual([]);
  });
});

describe('nginx target: a step never applied', () => {
  test('verify says it is not applied; compensate has nothing to undo', async () => {
    const t = target();
    await expect(t.verify(drain, ctx())).rejects.toThrow(/has not been applied through nginx/);
    expect(await t.compensate(drain, ctx())).toEqual({
      compensated: false,
      detail: 'never applied: nothing to undo',
    });
  });

  test('a failing nginx -t puts a hand-edited upstream file back byte for byte', async () => {
    const dir = tempDir();
    const t = target(dir);
    const upstreams = path.join(dir, 'upstreams');
    mkdirSync(upstreams);
    writeFileSync(path.join(upstreams, 'checkout.conf'), 'upstream checkout { server 10.1.1.1:80; }\n');
    await expect(t.apply(drain, ctx())).rejects.toBeInstanceOf(PermanentStepError);
    expect(readFileSync(path.join(upstreams, 'checkout.conf'), 'utf8')).toBe(
      'upstream checkout { server 10.1.1.1:80; }\n',
    );
  });
});
