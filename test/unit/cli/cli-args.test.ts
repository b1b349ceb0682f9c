import { resolve } from 'node:path';
import { runCli } from '../../harness/cli';
import { CANARY_POLICY, REPO_ROOT, SCENARIOS } from './helpers';

/**
 * Mistakes a user makes at the command line: each is refused with exit 2 and
 * one clear message before anything touches a server (none runs here).
 */
const ripcord = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(args, { cwd: REPO_ROOT, env: { RIPCORD_PROFILE: '', RIPCORD_ACTOR: '', RIPCORD_ROLE: '', ...env } });

const GUARD = [
  'guard',
  '--policy',
  CANARY_POLICY,
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

function withFlag(args: string[], flag: string, value: string): string[] {
  const copy = [...args];
  copy[copy.indexOf(flag) + 1] = value;
  return copy;
}

const NO_STACK = /\n\s+at .+:\d+:\d+\)?/;

describe('usage errors exit 2 with a message that names the problem', () => {
  it.each([
    {
      what: 'a missing required flag',
      args: GUARD.filter((a, i) => a !== '--previous' && GUARD[i - 1] !== '--previous'),
      stderr: "required option '--previous <version>' not specified",
    },
    {
      what: 'a service that is not the policy’s',
      args: withFlag(GUARD, '--service', 'shop'),
      stderr: 'ripcord: --service "shop" does not match the policy\'s metadata.service "checkout"',
    },
    {
      what: 'an environment that is not the policy’s',
      args: withFlag(GUARD, '--env', 'staging'),
      stderr: 'ripcord: --env "staging" does not match the policy\'s metadata.environment "production"',
    },
    {
      what: 'a malformed deployment id',
      args: withFlag(GUARD, '--deployment-id', 'Deploy #1'),
      stderr: 'ripcord: --deployment-id: must be lowercase letters',
    },
    {
      what: 'a policy that does not validate',
      args: withFlag(GUARD, '--policy', resolve(REPO_ROOT, 'test/fixtures/policies/several-problems.yaml')),
      stderr: 'several-problems.yaml: 5 problem(s)\n  mode (line 13): is not an allowed value',
    },
    {
      what: 'a policy file that does not exist',
      args: withFlag(GUARD, '--policy', '/nonexistent/policy.yaml'),
      stderr: 'ripcord: cannot read /nonexistent/policy.yaml: no such file',
    },
    {
      what: 'an unknown connection profile',
      args: [...GUARD, '--profile', 'no-such-profile'],
      stderr: 'ripcord: connection profile "no-such-profile" not found',
    },
    {
      what: 'an action without a role',
      args: ['abort', 'd-1', '--as', 'alice'],
      stderr: 'ripcord: a role is required: pass --role <role> or set RIPCORD_ROLE',
    },
    {
      what: 'an action without an actor',
      args: ['approve', 'd-1', '--role', 'sre'],
      env: { USER: '' },
      stderr: 'ripcord: who is asking? pass --as <actor> or set RIPCORD_ACTOR',
    },
    {
      what: 'a scenario with another interval than the policy',
      args: ['rehearse', '--policy', CANARY_POLICY, '--scenario', resolve(SCENARIOS, 'healthy-01.json')],
      stderr:
        'the policy evaluates every 30 s (evaluation.intervalSeconds) but the scenario "healthy-01" has one value every 15 s',
    },
    {
      what: 'a speed that is not a positive number',
      args: [
        'rehearse',
        '--policy',
        CANARY_POLICY,
        '--scenario',
        resolve(SCENARIOS, 'healthy-00.json'),
        '--speed',
        'fast',
      ],
      stderr: "option '--speed <n>' argument 'fast' is invalid",
    },
    {
      what: 'a scenario file that does not exist',
      args: ['rehearse', '--policy', CANARY_POLICY, '--scenario', '/nonexistent/scenario.json'],
      stderr: 'ripcord: cannot read scenario /nonexistent/scenario.json: no such file',
    },
  ])('$what', ({ args, env, stderr }) => {
    const result = ripcord(args, env);
    expect(result.stderr).toContain(stderr);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(NO_STACK);
  });
});

describe('help says what the identity flags are worth', () => {
  it.each(['approve', 'reject', 'abort', 'pause', 'resume', 'rollback'])('%s --help', (command) => {
    const result = ripcord([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Identity: a signed token says who acts.');
    expect(result.stdout).toContain('--token <jws>');
    expect(result.stdout).toContain('--key <file>');
    expect(result.stdout).toContain('as unverified claims');
    expect(result.stdout).toContain('--role <role>');
  });

  it('guard --help and rehearse --help list the exit codes', () => {
    for (const command of ['guard', 'rehearse']) {
      const result = ripcord([command, '--help']);
      expect(result.stdout).toMatch(/10 +rolled back/);
      expect(result.stdout).toMatch(/30 +aborted/);
    }
  });
});
