import path from 'node:path';
import type { DeploymentInfo } from '../../../src/model/guardian';
import { RecordingTarget, TargetRegistry } from '../../../src/targets';
import { MigrationsTarget, MigrationsTargetConfig } from '../../../src/targets/migrations';
import { NginxTrafficTarget } from '../../../src/targets/nginx';
import { tempDir } from './helpers';

/**
 * `serves`: whether a registry carries out a step type for a deployment,
 * asked by the execute plane before it runs anything (issue #21). A target
 * addressed by service serves only the services it is configured for; the
 * others serve every deployment; an unregistered type is served by nobody.
 */
const deployment = (service: string): DeploymentInfo => ({
  deploymentId: 'd-1',
  service,
  environment: 'production',
  version: '2.0.0',
  previousVersion: '1.9.0',
  deployedAt: '2026-01-01T00:00:00Z',
});

function registry(): TargetRegistry {
  const dir = tempDir();
  return new TargetRegistry({
    'shift-traffic': new NginxTrafficTarget({
      type: 'nginx',
      nginxBinary: '/bin/false',
      confFile: path.join(dir, 'nginx.conf'),
      pidFile: path.join(dir, 'nginx.pid'),
      upstreamsDir: path.join(dir, 'upstreams'),
      stateDir: path.join(dir, 'state'),
      services: { checkout: { pattern: 'canary', baseline: '127.0.0.1:8081', canary: '127.0.0.1:8082' } },
    }),
    'down-migration': new MigrationsTarget(
      MigrationsTargetConfig.parse({
        type: 'postgres-migrations',
        services: { billing: { migrationsDir: 'orders', connectionSecret: '${secret:BILLING_DB}' } },
      }),
    ),
    webhook: new RecordingTarget({ journalFile: path.join(dir, 'journal.jsonl') }),
  });
}

test('a service-addressed target serves only its configured services', () => {
  const targets = registry();
  expect(targets.serves('shift-traffic', deployment('checkout'))).toEqual({ ok: true });
  expect(targets.serves('shift-traffic', deployment('billing'))).toEqual({
    ok: false,
    reason: 'nginx: no service "billing" is configured (configured: checkout)',
  });
  expect(targets.serves('down-migration', deployment('billing'))).toEqual({ ok: true });
  expect(targets.serves('down-migration', deployment('constructor'))).toEqual({
    ok: false,
    reason:
      'postgres migrations (node-pg-migrate): no migrations are configured for service "constructor" (configured: billing)',
  });
});

test('a target without a service list serves every deployment; an unregistered type, none', () => {
  const targets = registry();
  expect(targets.serves('webhook', deployment('anything'))).toEqual({ ok: true });
  expect(targets.serves('disable-flag', deployment('checkout'))).toEqual({
    ok: false,
    reason: expect.stringContaining('no rollback target handles "disable-flag" steps in this worker'),
  });
});
