import { InvalidArgumentError } from 'commander';
import { durationWithUnit } from '../../../src/cli/duration';
import { UserFacingError } from '../../../src/cli/errors';
import { buildGuardianInput, type GuardFlags } from '../../../src/cli/guard-input';
import { loadPolicyFile, type LoadedPolicy } from '../../../src/policy';
import { runCli } from '../../harness/cli';
import { CANARY_POLICY, REPO_ROOT } from './helpers';

/**
 * `ripcord guard --watch 5` was read as five seconds and watched one interval
 * of an unreadable Prometheus, then promoted (issue 17). --watch needs a unit,
 * and a watch that ends before any interval after the warm-up is refused.
 */
const NOW = new Date('2026-01-01T12:00:00.000Z');
const FLAGS: GuardFlags = {
  service: 'checkout',
  env: 'production',
  version: '2.0.0',
  previous: '1.9.0',
  deploymentId: 'd-42',
};

let canary: LoadedPolicy;
beforeAll(async () => {
  canary = await loadPolicyFile(CANARY_POLICY);
});

function refusal(flags: GuardFlags, loaded: LoadedPolicy = canary): string {
  try {
    buildGuardianInput(loaded, flags, NOW);
  } catch (err) {
    if (err instanceof UserFacingError) return err.message;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('--watch', () => {
  const watch = durationWithUnit('--watch');

  it('takes a duration with its unit', () => {
    expect(watch('5m')).toBe(300);
    expect(watch('300s')).toBe(300);
    expect(watch('1h')).toBe(3600);
  });

  it('refuses a bare number, naming the flag and both readings', () => {
    expect(() => watch('5')).toThrow(InvalidArgumentError);
    expect(() => watch('5')).toThrow('--watch needs a unit: "5" could be 5s or 5m; write e.g. 5m or 5s');
  });

  it('refuses a watch shorter than one evaluation interval, naming --watch and the interval', () => {
    expect(refusal({ ...FLAGS, watch: 5 })).toBe(
      `--watch 5s is shorter than one evaluation interval, evaluation.intervalSeconds (30s) in ${canary.filename}: ` +
        'it would end before any health data is judged; use --watch 30s or longer',
    );
  });

  it('counts the warm-up, which judges nothing', () => {
    const warm: LoadedPolicy = {
      ...canary,
      policy: { ...canary.policy, evaluation: { ...canary.policy.evaluation, warmupSeconds: 60 } },
    };
    expect(refusal({ ...FLAGS, watch: 60 }, warm)).toContain(
      'evaluation.warmupSeconds (60s) plus one evaluation interval, evaluation.intervalSeconds (30s)',
    );
    expect(buildGuardianInput(warm, { ...FLAGS, watch: 90 }, NOW).watchSeconds).toBe(90);
  });

  it('accepts one interval or more', () => {
    expect(buildGuardianInput(canary, { ...FLAGS, watch: 30 }, NOW).watchSeconds).toBe(30);
    expect(buildGuardianInput(canary, { ...FLAGS, watch: 60 }, NOW).watchSeconds).toBe(60);
  });

  it('ripcord guard --watch 5 exits 2 before anything is started', () => {
    const args = ['guard', '--policy', CANARY_POLICY, '--service', 'checkout', '--env', 'production'];
    args.push('--version', '2.0.0', '--previous', '1.9.0', '--deployment-id', 'd-1', '--watch');
    const env = { RIPCORD_PROFILE: '', RIPCORD_ACTOR: '', RIPCORD_ROLE: '' };
    const bare = runCli([...args, '5'], { cwd: REPO_ROOT, env });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('--watch needs a unit');
    const short = runCli([...args, '10s'], { cwd: REPO_ROOT, env });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('--watch 10s is shorter than one evaluation interval');
  });
});
