import path from 'node:path';
import { PermanentStepError } from '../../../src/targets';
import {
  loadTargetsFile,
  parseTargetsFile,
  TargetsFileError,
  targetRegistryFromFile,
} from '../../../src/worker/targets-file';

const EXAMPLE = path.resolve(__dirname, '../../../examples/worker-targets.yaml');

const minimal = (targets: string) => `apiVersion: ripcord/v1\nkind: WorkerTargets\ntargets:\n${targets}`;

test('the example targets file loads and routes every step type to its target', () => {
  const file = loadTargetsFile(EXAMPLE);
  const registry = targetRegistryFromFile(file, path.dirname(EXAMPLE));
  expect(registry.describe()).toBe(
    'shift-traffic → nginx, swap-blue-green → nginx, revert-artifact → artifact (local process), ' +
      'disable-flag → unleash (https://unleash.internal:4242), down-migration → postgres migrations (node-pg-migrate), ' +
      'webhook → webhook',
  );
});

test('relative paths are resolved against the file, not the working directory', () => {
  const file = parseTargetsFile(
    minimal(
      [
        '  traffic:',
        '    type: nginx',
        '    confFile: edge/nginx.conf',
        '    pidFile: edge/nginx.pid',
        '    upstreamsDir: edge/upstreams',
        '    stateDir: /var/lib/ripcord/nginx',
        '    nginxBinary: nginx',
        '    services: { checkout: { pattern: canary, baseline: "127.0.0.1:1", canary: "127.0.0.1:2" } }',
        '  artifacts:',
        '    type: local-process',
        '    releasesDir: releases',
        '    trustedKeysFile: keys.json',
        '    services: { checkout: { versionUrl: "http://127.0.0.1:2/version", restart: { pidFile: run/c.pid } } }',
      ].join('\n'),
    ),
    '/etc/ripcord/targets.yaml',
  );
  expect(file.targets.traffic?.confFile).toBe('/etc/ripcord/edge/nginx.conf');
  expect(file.targets.traffic?.stateDir).toBe('/var/lib/ripcord/nginx');
  // A bare command name is looked up on PATH, not next to the file.
  expect(file.targets.traffic?.nginxBinary).toBe('nginx');
  expect(file.targets.artifacts?.releasesDir).toBe('/etc/ripcord/releases');
  expect(file.targets.artifacts?.services.checkout?.restart).toMatchObject({
    pidFile: '/etc/ripcord/run/c.pid',
  });
});

test('a step type without a section fails closed', () => {
  const file = parseTargetsFile(minimal('  webhooks: { type: webhook }\n'));
  const registry = targetRegistryFromFile(file, '/tmp');
  expect(registry.resolve('webhook').name).toBe('webhook');
  expect(() => registry.resolve('disable-flag')).toThrow(PermanentStepError);
  expect(() => registry.resolve('disable-flag')).toThrow(/no rollback target handles "disable-flag"/);
});

test('every problem is reported at once, each naming its field', () => {
  let error: unknown;
  try {
    parseTargetsFile(minimal('  traffic: { type: nginx }\n  bogus: 1\n'), 'targets.yaml');
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(TargetsFileError);
  const message = (error as Error).message;
  expect(message).toMatch(/^targets\.yaml: \d+ problem\(s\)/);
  expect(message).toContain('targets.traffic.confFile: missing (required)');
  expect(message).toContain('targets.traffic.services: missing (required)');
  expect(message).toContain('Unrecognized key: "bogus"');
});

test('a secret written into the file instead of a reference is refused without echoing it', () => {
  let message = '';
  try {
    parseTargetsFile(
      minimal('  flags: { type: unleash, url: "http://127.0.0.1:4242", tokenSecret: "s3cr3t-token" }\n'),
    );
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toContain('targets.flags.tokenSecret');
  expect(message).not.toContain('s3cr3t-token');
});

test('unreadable and non-YAML files get a plain message', () => {
  expect(() => loadTargetsFile('/nonexistent/targets.yaml')).toThrow(
    'cannot read targets file /nonexistent/targets.yaml: no such file',
  );
  expect(() => parseTargetsFile('targets: [unclosed', 'bad.yaml')).toThrow(/^bad\.yaml is not valid YAML/);
  expect(() => parseTargetsFile('kind: Something\n', 'k.yaml')).toThrow(/apiVersion/);
});
