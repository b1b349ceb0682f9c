import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeConnection,
  loadConnectionProfile,
  ProfileError,
} from '../../../src/client/connection-profile';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-profile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function profile(name: string, text: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

test('the local profile is the default and points at the embedded dev server', () => {
  const conn = loadConnectionProfile(undefined, {});
  expect(conn).toMatchObject({
    profileName: 'local',
    address: '127.0.0.1:7233',
    namespace: 'default',
    taskQueue: 'ripcord',
  });
  expect(conn.tls).toBeUndefined();
});

test('environment overrides address, namespace and task queue', () => {
  const conn = loadConnectionProfile('local', {
    TEMPORAL_ADDRESS: '10.0.0.5:7233',
    TEMPORAL_NAMESPACE: 'ops',
    RIPCORD_TASK_QUEUE: 'ripcord-prod',
  });
  expect(conn).toMatchObject({ address: '10.0.0.5:7233', namespace: 'ops', taskQueue: 'ripcord-prod' });
});

test('the cloud example takes its API key from the named variable and never prints it', () => {
  const conn = loadConnectionProfile('cloud.example', { TEMPORAL_API_KEY: 'very-secret-key' });
  expect(conn.apiKey).toBe('very-secret-key');
  expect(conn.tls).toEqual({});
  expect(describeConnection(conn)).not.toContain('very-secret-key');
});

test('a missing API key is a clear error that names the variable, not the key', () => {
  expect(() => loadConnectionProfile('cloud.example', {})).toThrow(/needs an API key in \$TEMPORAL_API_KEY/);
});

test('an unreadable TLS file names the field and path', () => {
  expect(() => loadConnectionProfile('production.example', {})).toThrow(
    /tls\.serverRootCACertPath \/etc\/ripcord\/tls\/ca\.pem cannot be read/,
  );
});

test.each([
  ['address without port', 'address: temporal\nnamespace: x\n', /address: host:port/],
  ['unknown field', 'address: a:1\nnamespace: x\npassword: hunter2\n', /Unrecognized key/],
  [
    'cert without key',
    'address: a:1\nnamespace: x\ntls: { clientCertPath: /c.pem }\n',
    /clientCertPath and clientKeyPath go together/,
  ],
  [
    'bad env name',
    'address: a:1\nnamespace: x\napiKeyEnv: my key\n',
    /apiKeyEnv: the name of an environment variable/,
  ],
])('invalid profile: %s', (_name, text, message) => {
  const file = profile(_name.replace(/\W/g, '-'), text);
  expect(() => loadConnectionProfile(file, {})).toThrow(ProfileError);
  expect(() => loadConnectionProfile(file, {})).toThrow(message);
});

test('an unknown profile name says where it looked', () => {
  expect(() => loadConnectionProfile('nope', {})).toThrow(/connection profile "nope" not found/);
});
