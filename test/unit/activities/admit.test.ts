import { createActivities } from '../../../src/activities';
import { defaultActivityDeps } from '../../../src/worker/composition';
import { admitDeployment, INVALID_DEPLOYMENT_ERROR } from '../../../src/activities/admit';
import type { AdmitInput } from '../../../src/model/activity-contract';
import { contentHash } from '../../../src/policy';
import type { DeploymentInfo } from '../../../src/model/guardian';
import { deploymentFor, examplePolicy, failureOf, fixedNow, tempDir, viaJson } from './helpers';

const admit = admitDeployment(fixedNow);

describe('admitDeployment', () => {
  test.each(['canary.yaml', 'blue-green.yaml', 'feature-flag.yaml', 'with-migration.yaml'])(
    'admits a well-formed deployment of %s, even after the JSON round trip through history',
    async (name) => {
      const { policy, hash } = await examplePolicy(name);
      const input = viaJson({ workflowId: 'w', deployment: deploymentFor(policy), policy, policyHash: hash });
      await expect(admit(input)).resolves.toEqual({
        admittedAt: '2026-01-01T12:00:00.000Z',
        tokensRequired: true,
      });
    },
  );

  const bad: Array<[string, Partial<DeploymentInfo>, string]> = [
    ['an upper-case service', { service: 'Checkout' }, 'deployment.service'],
    ['an environment with a space', { environment: 'prod uction' }, 'deployment.environment'],
    ['a deployment id with a slash', { deploymentId: 'a/b' }, 'deployment.deploymentId'],
    ['an empty deployment id', { deploymentId: '' }, 'deployment.deploymentId'],
    ['a version with a space', { version: 'v 2' }, 'deployment.version'],
    ['a missing previous version', { previousVersion: undefined }, 'deployment.previousVersion'],
    ['the same version twice', { previousVersion: 'v2.4.0' }, 'deployment.previousVersion'],
    ['a short artifact digest', { artifactDigest: 'sha256:abc' }, 'deployment.artifactDigest'],
    [
      'an upper-case previous digest',
      { previousDigest: `sha256:${'B'.repeat(64)}` },
      'deployment.previousDigest',
    ],
    ['a deployedAt without a zone', { deployedAt: '2026-01-01T11:00:00' }, 'deployment.deployedAt'],
    ['a deployedAt that is no date', { deployedAt: '2026-13-45T11:00:00Z' }, 'deployment.deployedAt'],
    ['a deployer with a newline', { deployer: 'alice\nbob' }, 'deployment.deployer'],
  ];
  test.each(bad)('refuses %s, naming the field, without retries', async (_label, overrides, field) => {
    const { policy, hash } = await examplePolicy('canary.yaml');
    const deployment = { ...deploymentFor(policy), ...overrides };
    const failure = await failureOf(() => admit({ workflowId: 'w', deployment, policy, policyHash: hash }));
    expect(failure.type).toBe(INVALID_DEPLOYMENT_ERROR);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`${field}:`);
  });

  test('refuses a plan that reverts the artifact when there is no digest to return to', async () => {
    // with-migration.yaml's revert-artifact step pins no digest: it returns to the deployment's previous one.
    const { policy, hash } = await examplePolicy('with-migration.yaml');
    const deployment = { ...deploymentFor(policy), previousDigest: undefined };
    const failure = await failureOf(() => admit({ workflowId: 'w', deployment, policy, policyHash: hash }));
    expect(failure.type).toBe(INVALID_DEPLOYMENT_ERROR);
    expect(failure.message).toContain(
      'deployment.previousDigest: required, because plan.steps[1] ("previous-image")',
    );

    const pinned = {
      ...policy,
      plan: {
        ...policy.plan,
        steps: policy.plan.steps.map((step) =>
          step.type === 'revert-artifact' ? { ...step, previousDigest: `sha256:${'d'.repeat(64)}` } : step,
        ),
      },
    };
    await expect(
      admit({ workflowId: 'w', deployment, policy: pinned, policyHash: contentHash(pinned) }),
    ).resolves.toEqual({ admittedAt: '2026-01-01T12:00:00.000Z', tokensRequired: true });
  });

  test('reports every problem at once', async () => {
    const { policy, hash } = await examplePolicy('canary.yaml');
    const deployment = { ...deploymentFor(policy), version: 'v 2', artifactDigest: 'md5:x' };
    const failure = await failureOf(() => admit({ workflowId: 'w', deployment, policy, policyHash: hash }));
    expect(failure.message).toContain('deployment.version:');
    expect(failure.message).toContain('deployment.artifactDigest:');
  });

  test('refuses a policy hash that does not match the policy', async () => {
    const { policy } = await examplePolicy('canary.yaml');
    const policyHash = `sha256:${'0'.repeat(64)}`;
    const failure = await failureOf(() =>
      admit({ workflowId: 'w', deployment: deploymentFor(policy), policy, policyHash }),
    );
    expect(failure.type).toBe(INVALID_DEPLOYMENT_ERROR);
    expect(failure.message).toContain('policyHash:');
    expect(failure.message).toContain(contentHash(policy));
  });

  test('refuses a policy changed after its hash was pinned', async () => {
    const { policy, hash } = await examplePolicy('canary.yaml');
    const loosened = { ...policy, evaluation: { ...policy.evaluation, alpha: 0.2 } };
    const failure = await failureOf(() =>
      admit({ workflowId: 'w', deployment: deploymentFor(policy), policy: loosened, policyHash: hash }),
    );
    expect(failure.message).toContain('policyHash:');
  });

  test('refuses a policy that is not valid, naming the policy field', async () => {
    const { policy } = await examplePolicy('canary.yaml');
    const broken = { ...policy, mode: 'yolo' } as unknown as typeof policy;
    const failure = await failureOf(() =>
      admit({
        workflowId: 'w',
        deployment: deploymentFor(policy),
        policy: broken,
        policyHash: contentHash(broken),
      }),
    );
    expect(failure.message).toContain('policy.mode:');
  });

  test("refuses a deployment of another service than the policy's", async () => {
    const { policy, hash } = await examplePolicy('canary.yaml');
    const deployment = deploymentFor(policy, { service: 'billing' });
    const failure = await failureOf(() => admit({ workflowId: 'w', deployment, policy, policyHash: hash }));
    expect(failure.message).toContain(
      'deployment.service: "billing" is not the policy\'s service "checkout"',
    );
  });
});

describe('admitDeployment on a worker that refuses replay (production)', () => {
  const production = admitDeployment(fixedNow, { refuseReplay: true });
  const REFUSAL =
    'a replay source reads scenario files; this worker serves production and never reads replay data ' +
    '(only --dry-run or --accept-replay workers do)';

  async function withReplaySource(): Promise<AdmitInput> {
    const { policy } = await examplePolicy('canary.yaml');
    const sources = { ...policy.sources, leak: { type: 'replay' as const, path: '/etc/hostname' } };
    const series = { ...policy.series, errors: { source: 'leak', query: 'errors' } };
    const attack = { ...policy, sources, series };
    return viaJson({
      workflowId: 'w',
      deployment: deploymentFor(policy),
      policy: attack,
      policyHash: contentHash(attack),
    });
  }

  test('refuses a policy with a source of type replay, naming the source, without retries', async () => {
    const failure = await failureOf(async () => production(await withReplaySource()));
    expect(failure.type).toBe(INVALID_DEPLOYMENT_ERROR);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`policy.sources.leak: ${REFUSAL}`);
    expect(failure.message).not.toContain('/etc/hostname');
  });

  test('refuses a rehearsal input (replay) as well', async () => {
    const { policy, hash } = await examplePolicy('canary.yaml');
    const failure = await failureOf(() =>
      production({
        workflowId: 'w',
        deployment: deploymentFor(policy),
        policy,
        policyHash: hash,
        replay: { scenarioFile: '/etc/hostname' },
      }),
    );
    expect(failure.type).toBe(INVALID_DEPLOYMENT_ERROR);
    expect(failure.message).toContain(
      'replay: a rehearsal replays a scenario file; this worker serves production',
    );
  });

  test('refuses a replay source even when the policy is otherwise invalid', async () => {
    const input = await withReplaySource();
    const broken = { ...input, policy: { ...input.policy, mode: 'yolo' } } as unknown as AdmitInput;
    const failure = await failureOf(() => production(broken));
    expect(failure.message).toContain('policy.sources.leak: a replay source');
  });

  test('admits a production policy, and a dry-run or --accept-replay worker admits a replay source', async () => {
    const { policy, hash } = await examplePolicy('canary.yaml');
    await expect(
      production({ workflowId: 'w', deployment: deploymentFor(policy), policy, policyHash: hash }),
    ).resolves.toMatchObject({ admittedAt: '2026-01-01T12:00:00.000Z' });
    await expect(admit(await withReplaySource())).resolves.toMatchObject({
      admittedAt: '2026-01-01T12:00:00.000Z',
    });
  });

  test('the worker built by createActivities refuses replay unless it is a dry run', async () => {
    const input = await withReplaySource();
    const prod = createActivities(defaultActivityDeps({ stateDir: tempDir(), insecureClaims: true }));
    expect((await failureOf(() => prod.admitDeployment(input))).message).toContain('policy.sources.leak:');
    const dryRun = createActivities(defaultActivityDeps({ stateDir: tempDir(), dryRun: true }));
    await expect(dryRun.admitDeployment(input)).resolves.toMatchObject({ admittedAt: expect.any(String) });
  });
});
