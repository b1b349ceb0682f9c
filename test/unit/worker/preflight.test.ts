import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { preflightWorker, secretReferences, setting } from '../../../src/worker/preflight';
import { parseTargetsFile } from '../../../src/worker/targets-file';
import { envSecretProvider } from '../../../src/security/secrets';

/**
 * Issue 17: a worker checks every file and secret it will need before it
 * starts, one line per problem naming the flag, never a secret's value.
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ripcord-preflight-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string) => {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return full;
};
const TARGETS = `apiVersion: ripcord/v1
kind: WorkerTargets
targets:
  flags: { type: unleash, url: 'https://unleash.internal:4242', tokenSecret: '\${secret:UNLEASH_ADMIN_TOKEN}' }
  webhooks: { type: webhook }
`;
const noEnv = { env: {} as NodeJS.ProcessEnv };

test('nothing configured: nothing to complain about', async () => {
  expect((await preflightWorker({ dryRun: false }, noEnv)).problems).toEqual([]);
});

test('approval keys: a missing file, one with no keys, one with a private key, plain http off loopback', async () => {
  const empty = file('empty.jwks.json', '{"keys":[]}');
  const priv = file(
    'private.jwks.json',
    '{"keys":[{"kid":"k1","kty":"OKP","crv":"Ed25519","x":"a","d":"SECRETD"}]}',
  );
  const problems = async (value: string) =>
    (await preflightWorker({ approvalKeys: { value, label: '--approval-keys' }, dryRun: false }, noEnv))
      .problems;
  expect(await problems('/nonexistent.json')).toEqual([
    '--approval-keys: key set /nonexistent.json does not exist (make one with `ripcord token keygen`)',
  ]);
  expect(await problems(empty)).toEqual([
    `--approval-keys: key set ${empty} holds no keys: every signed action would be refused`,
  ]);
  const [privateProblem] = await problems(priv);
  expect(privateProblem).toMatch(/^--approval-keys: key set .* is a private key$/);
  expect(privateProblem).not.toContain('SECRETD');
  expect(await problems('http://keys.example.com/jwks.json')).toEqual([
    '--approval-keys: key set URL http://keys.example.com: https is required off loopback',
  ]);
});

test('a key set URL is fetched: unreachable, or not a key set, is said at start', async () => {
  const run = (fetchKeySet: (url: string) => Promise<unknown>) =>
    preflightWorker(
      {
        approvalKeys: { value: 'https://keys.example.com/jwks.json', label: '--approval-keys' },
        dryRun: false,
      },
      { ...noEnv, fetchKeySet },
    );
  expect((await run(async () => ({ keys: [{ kid: 'k' }] }))).problems).toEqual([]);
  expect((await run(async () => ({ nope: 1 }))).problems).toEqual([
    '--approval-keys: key set https://keys.example.com/jwks.json: expected { "keys": [ ... ] }',
  ]);
  expect(
    (
      await run(async () => {
        throw new Error('key set https://keys.example.com cannot be reached: ENOTFOUND');
      })
    ).problems,
  ).toEqual(['--approval-keys: key set https://keys.example.com cannot be reached: ENOTFOUND']);
});

test('a setting from the environment names the flag and the variable', () => {
  expect(
    setting('--approval-keys', undefined, 'RIPCORD_APPROVAL_KEYS', { RIPCORD_APPROVAL_KEYS: '/k' }),
  ).toEqual({
    value: '/k',
    label: '--approval-keys',
    variable: 'RIPCORD_APPROVAL_KEYS',
  });
  expect(
    setting('--approval-keys', '/flag', 'RIPCORD_APPROVAL_KEYS', { RIPCORD_APPROVAL_KEYS: '/k' }),
  ).toEqual({
    value: '/flag',
    label: '--approval-keys',
  });
});

test('every problem at once, one line each: keys, audit key, codec keys, an unset secret of the targets file', async () => {
  const targets = file('targets.yaml', TARGETS);
  const { problems } = await preflightWorker(
    {
      approvalKeys: {
        value: '/nonexistent.json',
        label: '--approval-keys',
        variable: 'RIPCORD_APPROVAL_KEYS',
      },
      auditKey: { value: path.join(dir, 'missing.private.jwk.json'), label: '--audit-key' },
      auditDb: { value: '${secret:AUDIT_DB}', label: '--audit-db' },
      codecKeys: path.join(dir, 'missing-keyring.json'),
      targets: { value: targets, label: '--targets' },
      dryRun: false,
    },
    noEnv,
  );
  expect(problems).toHaveLength(5);
  expect(problems[0]).toBe(
    '--approval-keys: key set /nonexistent.json does not exist (make one with `ripcord token keygen`) (set by $RIPCORD_APPROVAL_KEYS)',
  );
  expect(problems[1]).toMatch(/^--audit-key: cannot read audit key .*missing\.private\.jwk\.json: ENOENT$/);
  expect(problems[2]).toMatch(/^--audit-db: secret "AUDIT_DB" is not set \(environment variable /);
  expect(problems[3]).toMatch(/^--codec-keys: .*missing-keyring\.json/);
  expect(problems[4]).toBe(
    `--targets ${targets}: targets.flags.tokenSecret: secret "UNLEASH_ADMIN_TOKEN" is not set ` +
      '(environment variable RIPCORD_SECRET_UNLEASH_ADMIN_TOKEN or UNLEASH_ADMIN_TOKEN)',
  );
});

test('a targets file whose secrets are set builds its targets; secret values never appear', async () => {
  const targets = file('targets-ok.yaml', TARGETS);
  const env = { RIPCORD_SECRET_UNLEASH_ADMIN_TOKEN: 'tok-very-secret' };
  const result = await preflightWorker(
    { targets: { value: targets, label: '--targets' }, dryRun: false },
    { env, secrets: envSecretProvider(env) },
  );
  expect(result.problems).toEqual([]);
  expect(result.targets?.describe()).toBeTruthy();
  expect(result.targets?.describe()).not.toContain('tok-very-secret');
});

test('a dry run does not use the targets file, so it is not checked', async () => {
  const { problems } = await preflightWorker(
    { targets: { value: '/nonexistent-targets.yaml', label: '--targets' }, dryRun: true },
    noEnv,
  );
  expect(problems).toEqual([]);
});

test('a broken targets file says each of its problems on a line of its own', async () => {
  const targets = file(
    'broken.yaml',
    'apiVersion: ripcord/v1\nkind: WorkerTargets\ntargets:\n  nope: 1\n  flags: { type: unleash }\n',
  );
  const { problems } = await preflightWorker(
    { targets: { value: targets, label: '--targets' }, dryRun: false },
    noEnv,
  );
  expect(problems.length).toBeGreaterThanOrEqual(2);
  for (const problem of problems) expect(problem.startsWith(`--targets ${targets}: targets`)).toBe(true);
});

test('secret references are found wherever the file puts them', () => {
  const config = parseTargetsFile(TARGETS);
  expect(secretReferences(config)).toEqual([
    { where: 'targets.flags.tokenSecret', reference: '${secret:UNLEASH_ADMIN_TOKEN}' },
  ]);
});
