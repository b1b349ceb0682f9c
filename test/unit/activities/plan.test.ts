import { buildRollbackPlan, PLAN_ERROR } from '../../../src/activities/plan/build';
import { stepIdempotencyKey } from '../../../src/activities/plan/idempotency';
import type { BuildPlanInput } from '../../../src/model/activity-contract';
import type { RollbackPlan } from '../../../src/model/plan';
import { contentHash, type Policy, type RiskRule } from '../../../src/policy';
import { deploymentFor, examplePolicy, failureOf, fixedNow } from './helpers';

const build = buildRollbackPlan(fixedNow);

async function planFor(
  example: string,
  overrides: Partial<BuildPlanInput> = {},
  edit: (policy: Policy) => Policy = (p) => p,
): Promise<RollbackPlan> {
  const { policy: loaded, hash } = await examplePolicy(example);
  const policy = edit(loaded);
  return build({
    deployment: deploymentFor(policy),
    policy,
    policyHash: hash,
    decision: {
      decision: 'rollback',
      decidedAtIndex: 12,
      reason: 'error-rate regressed',
      signal: 'error-rate',
    },
    trigger: 'automatic',
    elapsedSeconds: 0,
    strongEvidence: false,
    ...overrides,
  });
}

describe('traffic weights', () => {
  // canary.yaml: canary 5% (300s) → 25% (600s) → 50% (600s) → 100%; plan weights [10, 0].
  test.each([
    [0, false, [0], '5% → 0%'],
    [299, false, [0], '5% → 0%'],
    [300, false, [10, 0], '25% → 10% → 0%'],
    [1000, false, [10, 0], '50% → 10% → 0%'],
    [5000, false, [10, 0], '100% → 10% → 0%'],
    [5000, true, [0], '100% → 0%'],
  ])(
    'canary.yaml %ss after the deploy (strong evidence: %s) passes through %j',
    async (elapsed, strong, weights, words) => {
      const plan = await planFor('canary.yaml', { elapsedSeconds: elapsed, strongEvidence: strong });
      expect(plan.steps[0]?.action).toEqual({ type: 'shift-traffic', weights, pauseSeconds: 15 });
      expect(plan.changes[0]).toContain(`canary weight ${words}`);
    },
  );

  // with-migration.yaml: canary 10% (900s) → 50% (1800s) → 100%; stepPercent 25.
  test.each([
    [0, [0]],
    [900, [25, 0]],
    [3000, [75, 50, 25, 0]],
  ])('stepPercent 25 from the weight reached at %ss gives %j', async (elapsed, weights) => {
    const plan = await planFor('with-migration.yaml', { elapsedSeconds: elapsed });
    expect(plan.steps[0]?.action).toMatchObject({ type: 'shift-traffic', weights });
  });
});

describe('resolved steps', () => {
  test("revert-artifact returns to the deployment's previous digest and names the signing key", async () => {
    const plan = await planFor('with-migration.yaml');
    expect(plan.steps[1]?.action).toEqual({
      type: 'revert-artifact',
      digest: `sha256:${'b'.repeat(64)}`,
      signedBy: 'release-signing-2025',
    });
  });

  test('a digest pinned in the policy wins over the deployment', async () => {
    const pinned = `sha256:${'c'.repeat(64)}`;
    const plan = await planFor('with-migration.yaml', {}, (policy) => ({
      ...policy,
      plan: {
        steps: policy.plan.steps.map((s) =>
          s.type === 'revert-artifact' ? { ...s, previousDigest: pinned } : s,
        ),
      },
    }));
    expect(plan.steps[1]?.action).toMatchObject({ digest: pinned });
  });

  test('a missing digest is a permanent PlanError naming the field', async () => {
    const { policy, hash } = await examplePolicy('with-migration.yaml');
    const deployment = deploymentFor(policy, { previousDigest: undefined });
    const failure = await failureOf(() =>
      build({
        deployment,
        policy,
        policyHash: hash,
        decision: { decision: 'rollback', decidedAtIndex: 3, reason: 'r' },
        trigger: 'automatic',
        elapsedSeconds: 0,
        strongEvidence: false,
      }),
    );
    expect(failure.type).toBe(PLAN_ERROR);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('plan.steps[1].previousDigest');
  });

  test('migrations: reversible ones run, the irreversible one is marked and explained', async () => {
    const plan = await planFor('with-migration.yaml');
    expect(plan.steps.map((s) => [s.name, s.irreversible])).toEqual([
      ['drain-canary', false],
      ['previous-image', false],
      ['drop-invoice-columns', false],
      ['legacy-table-dropped', true],
    ]);
    expect(plan.steps[2]?.action).toEqual({
      type: 'down-migration',
      migration: '2025_06_add_invoice_v2_columns',
      reversible: true,
      connectionSecret: '${secret:BILLING_DB_MIGRATOR}',
    });
    expect(plan.changes[3]).toContain('cannot be undone by a machine');
  });

  test("disable-flag takes the deployment's flag and project", async () => {
    const plan = await planFor('feature-flag.yaml');
    expect(plan.steps[0]?.action).toEqual({
      type: 'disable-flag',
      flag: 'search.new-ranking',
      project: 'search',
    });
    expect(plan.changes[0]).toBe('feature flag "search.new-ranking" (project search): on → off');
    expect(plan.steps[0]?.retries).toEqual({
      maxAttempts: 5,
      initialSeconds: 5,
      multiplier: 2,
      maxSeconds: 60,
    });
  });

  test('blue-green swaps back, with the verification the policy asks for', async () => {
    const plan = await planFor('blue-green.yaml');
    expect(plan.steps[0]?.action).toEqual({ type: 'swap-blue-green' });
    expect(plan.steps[0]?.verify).toEqual({
      targetState: true,
      signals: ['purchase-probe'],
      settleSeconds: 60,
      timeoutSeconds: 300,
    });
    expect(plan.changes[0]).toBe('live colour: new version v2.4.0 → previous version v2.3.9');
  });

  test('webhook changes show no query string and secrets stay references', async () => {
    const plan = await planFor('canary.yaml');
    expect(plan.steps[1]?.action).toEqual({
      type: 'webhook',
      url: 'https://deploys.example.com/hooks/ripcord',
      method: 'POST',
      hmacSecret: '${secret:DEPLOY_HOOK_HMAC}',
    });
    expect(plan.changes[1]).toBe('POST https://deploys.example.com/hooks/ripcord (signed)');
  });
});

describe('risk', () => {
  const withRules = (rules: RiskRule[], mode?: Policy['mode']) => (policy: Policy) => ({
    ...policy,
    risk: { highRiskWhen: rules },
    ...(mode ? { mode } : {}),
  });
  const cases: Array<[string, RiskRule[], Policy['mode'] | undefined, number, string[]]> = [
    ['no rules', [], undefined, 0, []],
    ['always', [{ when: 'always' }], undefined, 0, ['the policy marks every rollback high-risk']],
    ['touches-migration without a migration', [{ when: 'touches-migration' }], undefined, 0, []],
    [
      'environment that matches',
      [{ when: 'environment', environments: ['production'] }],
      undefined,
      0,
      ['environment "production" is high-risk'],
    ],
    [
      'environment that does not match',
      [{ when: 'environment', environments: ['staging'] }],
      undefined,
      0,
      [],
    ],
    [
      'step-type present',
      [{ when: 'step-type', stepTypes: ['webhook'] }],
      undefined,
      0,
      ['step "announce" is a webhook step'],
    ],
    ['traffic-above, canary still at 5%', [{ when: 'traffic-above', percent: 20 }], undefined, 0, []],
    [
      'traffic-above, canary at 25%',
      [{ when: 'traffic-above', percent: 20 }],
      undefined,
      300,
      ['the new version serves 25% of traffic, above 20%'],
    ],
    ['mode pause', [], 'pause', 0, ['mode is pause: a person decides every rollback']],
  ];
  test.each(cases)('canary.yaml with %s', async (_label, rules, mode, elapsed, reasons) => {
    const plan = await planFor('canary.yaml', { elapsedSeconds: elapsed }, withRules(rules, mode));
    expect(plan.riskReasons).toEqual(reasons);
    expect(plan.risk).toBe(reasons.length > 0 ? 'high' : 'normal');
  });

  test('with-migration.yaml is high-risk for its migrations and its environment', async () => {
    const plan = await planFor('with-migration.yaml');
    expect(plan.risk).toBe('high');
    expect(plan.riskReasons).toEqual([
      'step "drop-invoice-columns" changes the database schema',
      'step "legacy-table-dropped" changes the database schema',
      'environment "production" is high-risk',
    ]);
  });
});

describe('plan identity', () => {
  test('the plan hash covers everything but createdAt and the step keys', async () => {
    const plan = await planFor('canary.yaml');
    const { planHash, createdAt: _createdAt, steps, ...rest } = plan;
    const unkeyed = steps.map(({ idempotencyKey: _key, ...step }) => step);
    expect(planHash).toBe(contentHash({ ...rest, steps: unkeyed }));
    expect(plan.createdAt).toBe('2026-01-01T12:00:00.000Z');
  });

  test('the same inputs give the same hash at another time', async () => {
    const first = await planFor('canary.yaml');
    const { policy } = await examplePolicy('canary.yaml');
    const later = await buildRollbackPlan(() => new Date('2026-03-01T00:00:00Z'))({
      deployment: deploymentFor(policy),
      policy,
      policyHash: first.policyHash,
      decision: { decision: 'rollback', decidedAtIndex: 40, reason: 'another reason' },
      trigger: 'automatic',
      elapsedSeconds: 0,
      strongEvidence: false,
    });
    expect(later.createdAt).not.toBe(first.createdAt);
    expect(later.planHash).toBe(first.planHash);
    expect(later.steps.map((s) => s.idempotencyKey)).toEqual(first.steps.map((s) => s.idempotencyKey));
  });

  // The base plan drains a 25% canary in two stages.
  test.each<[string, Partial<BuildPlanInput>]>([
    ['strong evidence', { strongEvidence: true }],
    ['a manual trigger', { trigger: 'manual' }],
    ['another policy hash', { policyHash: `sha256:${'9'.repeat(64)}` }],
    ['another point of the canary', { elapsedSeconds: 1000 }],
  ])('the hash changes with %s', async (_label, overrides) => {
    const base = await planFor('canary.yaml', { elapsedSeconds: 400 });
    const changed = await planFor('canary.yaml', { elapsedSeconds: 400, ...overrides });
    expect(changed.planHash).not.toBe(base.planHash);
  });

  test('the hash changes with the deployment (id, digest to return to)', async () => {
    const { policy, hash } = await examplePolicy('with-migration.yaml');
    const input = (overrides: Parameters<typeof deploymentFor>[1]) => ({
      deployment: deploymentFor(policy, overrides),
      policy,
      policyHash: hash,
      decision: { decision: 'rollback' as const, decidedAtIndex: 3, reason: 'r' },
      trigger: 'automatic' as const,
      elapsedSeconds: 0,
      strongEvidence: false,
    });
    const hashes = await Promise.all(
      [{}, { deploymentId: 'd-9999' }, { previousDigest: `sha256:${'d'.repeat(64)}` }].map(
        async (o) => (await build(input(o))).planHash,
      ),
    );
    expect(new Set(hashes).size).toBe(3);
  });

  test('idempotency keys are derived from deployment, plan hash and index, and differ per step', async () => {
    const plan = await planFor('with-migration.yaml');
    const keys = plan.steps.map((s) => s.idempotencyKey);
    expect(new Set(keys).size).toBe(plan.steps.length);
    plan.steps.forEach((step, index) => {
      expect(step.index).toBe(index);
      expect(step.idempotencyKey).toBe(stepIdempotencyKey('d-1234', plan.planHash, index));
      expect(step.idempotencyKey).toMatch(/^[0-9a-f]{64}$/);
    });
  });
});
