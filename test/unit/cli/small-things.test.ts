import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../harness/cli';
import { CANARY_POLICY, REPO_ROOT } from './helpers';

/**
 * Issue 17, "small things" a newcomer meets at the command line, none of which
 * needs a server: each runs `ripcord` as a process.
 */
const ripcord = (args: string[]) =>
  runCli(args, { cwd: REPO_ROOT, env: { RIPCORD_PROFILE: '', RIPCORD_ACTOR: '', RIPCORD_ROLE: '' } });

const guard = (policy: string) => [
  'guard',
  '--policy',
  policy,
  '--service',
  'checkout',
  '--env',
  'production',
  '--version',
  '2.0.0',
  '--previous',
  '1.9.0',
  '--deployment-id',
  'd-1',
];

describe('guard and policy validate give the same exit code for the same file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-exit-'));
  const syntaxError = join(dir, 'syntax-error.yaml');
  writeFileSync(syntaxError, readFileSync(CANARY_POLICY, 'utf8').replace("version: '3'", "version: '3"));
  const schemaError = resolve(REPO_ROOT, 'test/fixtures/policies/several-problems.yaml');
  const missing = join(dir, 'missing.yaml');

  it.each([
    ['a YAML syntax error', syntaxError],
    ['a policy that does not validate', schemaError],
    ['a file that does not exist', missing],
  ])('%s: both exit 2 (usage error)', (_name, file) => {
    const validated = ripcord(['policy', 'validate', file]);
    const guarded = ripcord(guard(file));
    expect({ validate: validated.code, guard: guarded.code }).toEqual({ validate: 2, guard: 2 });
  });

  it('explain says the same', () => {
    expect(ripcord(['policy', 'explain', schemaError]).code).toBe(2);
  });
});

describe('a usage mistake prints the error and one usage line, not the whole help', () => {
  it.each([
    ['a missing required flag', ['guard', '--policy', CANARY_POLICY], "required option '--service <name>'"],
    ['a missing argument', ['policy', 'validate'], "missing required argument 'files'"],
    ['an unknown option', ['list', '--no-such-flag'], "unknown option '--no-such-flag'"],
    ['a bad value', ['dev', 'server', '--port', 'abc'], "option '--port <port>' argument 'abc' is invalid"],
  ])('%s', (_name, args, error) => {
    const result = ripcord(args);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(error);
    expect(lines[1]).toMatch(/^Usage: ripcord .+--help/);
    expect(result.stderr).not.toContain('Options:');
    expect(result.stdout).toBe('');
  });

  it('--help still prints the whole help', () => {
    const result = ripcord(['guard', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Options:');
  });
});
