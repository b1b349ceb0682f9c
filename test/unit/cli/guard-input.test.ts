import { UserFacingError } from '../../../src/cli/errors';
import { asFlagProblem, buildGuardianInput, type GuardFlags } from '../../../src/cli/guard-input';
import { loadPolicyFile, type LoadedPolicy } from '../../../src/policy';
import { CANARY_POLICY } from './helpers';

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

function refusal(flags: GuardFlags, loaded: LoadedPolicy = canary): UserFacingError {
  try {
    buildGuardianInput(loaded, flags, NOW);
  } catch (err) {
    if (err instanceof UserFacingError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('ripcord guard: from flags to the guardian input', () => {
  it('pins the policy by its hash and stamps the deploy time', () => {
    const input = buildGuardianInput(
      canary,
      { ...FLAGS, artifact: `sha256:${'a'.repeat(64)}`, deployer: 'alice', watch: 600 },
      NOW,
    );
    expect(input).toEqual({
      deployment: {
        deploymentId: 'd-42',
        service: 'checkout',
        environment: 'production',
        version: '2.0.0',
        previousVersion: '1.9.0',
        artifactDigest: `sha256:${'a'.repeat(64)}`,
        deployer: 'alice',
        deployedAt: '2026-01-01T12:00:00.000Z',
      },
      policy: canary.policy,
      policyHash: canary.hash,
      watchSeconds: 600,
    });
  });

  it('leaves the watch to the policy when --watch is not given', () => {
    expect(buildGuardianInput(canary, FLAGS, NOW)).not.toHaveProperty('watchSeconds');
  });

  it.each([
    [{ service: 'shop' }, '--service "shop" does not match the policy\'s metadata.service "checkout"'],
    [{ env: 'staging' }, '--env "staging" does not match the policy\'s metadata.environment "production"'],
    [{ deploymentId: 'D 1' }, '--deployment-id: must be lowercase letters'],
    [{ previous: '2.0.0' }, '--previous: must differ from version'],
    [{ artifact: 'sha1:abc' }, '--artifact: must be "sha256:" followed by 64 lowercase hex digits'],
    [{ previousDigest: 'latest' }, '--previous-digest: must be "sha256:"'],
    [{ version: '' }, '--version: must be 1-128 characters'],
  ])('refuses %p with a usage error that names the flag', (change, message) => {
    const error = refusal({ ...FLAGS, ...change });
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(message);
  });

  it('refuses a plan that reverts the artifact without --previous-digest, before starting anything', () => {
    const revert = {
      name: 'previous-image',
      type: 'revert-artifact',
      signedBy: 'release-key',
      timeoutSeconds: 60,
    };
    const reverting = {
      ...canary,
      policy: {
        ...canary.policy,
        plan: { ...canary.policy.plan, steps: [...canary.policy.plan.steps, revert] },
      },
    } as LoadedPolicy;
    expect(refusal(FLAGS, reverting).message).toContain(
      '--previous-digest: required, because plan.steps[2] ("previous-image") reverts the artifact',
    );
    expect(() =>
      buildGuardianInput(reverting, { ...FLAGS, previousDigest: `sha256:${'b'.repeat(64)}` }, NOW),
    ).not.toThrow();
  });

  it('lists every problem at once', () => {
    const error = refusal({ ...FLAGS, service: 'shop', env: 'staging', deploymentId: 'X' });
    expect(error.message).toMatch(/^3 problems:\n {2}--service .*\n {2}--env .*\n {2}--deployment-id: /);
  });

  it('keeps a problem it cannot map as it is', () => {
    expect(asFlagProblem('policyHash: does not match')).toBe('policyHash: does not match');
    expect(asFlagProblem('deployment.deployer: must be printable')).toBe('--deployer: must be printable');
  });
});
