import { type ActionTokenVerifier, authorizeAction } from '../../../src/activities/authorize';
import type { AuthorizeInput } from '../../../src/model/activity-contract';
import type { ActionRequest, GuardianAction } from '../../../src/model/actions';

const PLAN = `sha256:${'1'.repeat(64)}`;
const approval = {
  roles: ['sre-oncall', 'billing-lead'],
  quorum: 1,
  distinctRoles: false,
  allowSelfApproval: false,
  timeoutSeconds: 1800,
  onTimeout: 'escalate' as const,
};

function input(
  action: GuardianAction,
  request: Partial<ActionRequest>,
  overrides: Partial<AuthorizeInput> = {},
) {
  return {
    workflowId: 'ripcord/production/billing/d-1',
    deployment: {
      deploymentId: 'd-1',
      service: 'billing',
      environment: 'production',
      version: 'v2',
      previousVersion: 'v1',
      deployer: 'alice',
      deployedAt: '2026-01-01T00:00:00Z',
    },
    action,
    request: { actor: 'bob', role: 'sre-oncall', ...request },
    approval,
    owners: ['team-billing', 'carol'],
    planHash: PLAN,
    trustedKeyIds: [],
    ...overrides,
  } satisfies AuthorizeInput;
}

const authorize = authorizeAction(undefined);

describe('authorizeAction (interim, before signed tokens)', () => {
  const cases: Array<[string, AuthorizeInput, boolean, string]> = [
    [
      'an approver with the right role and plan',
      input('approve', { planHash: PLAN }),
      true,
      'bob may approve as sre-oncall',
    ],
    [
      'a role the policy does not name',
      input('approve', { role: 'intern', planHash: PLAN }),
      false,
      'role "intern" may not approve',
    ],
    [
      'an approval of another plan',
      input('approve', { planHash: `sha256:${'2'.repeat(64)}` }),
      false,
      'but the current plan is',
    ],
    [
      'an approval before any plan exists',
      input('approve', { planHash: PLAN }, { planHash: undefined }),
      false,
      'no rollback plan to approve yet',
    ],
    [
      'the deployer approving their own rollback',
      input('approve', { actor: 'alice', planHash: PLAN }),
      false,
      'alice deployed this version',
    ],
    [
      'the deployer rejecting their own rollback',
      input('reject', { actor: 'alice', planHash: PLAN }),
      false,
      'may not reject its rollback',
    ],
    [
      'the deployer when self-approval is allowed',
      input(
        'approve',
        { actor: 'alice', planHash: PLAN },
        { approval: { ...approval, allowSelfApproval: true } },
      ),
      true,
      'alice may approve',
    ],
    [
      'an approval when the policy names no approvers',
      input('approve', { planHash: PLAN }, { approval: undefined }),
      false,
      'names no approvers',
    ],
    ['an abort by an approver role', input('abort', {}), true, 'bob may abort as sre-oncall'],
    [
      'a pause by an owner without the role',
      input('pause', { actor: 'carol', role: 'developer' }),
      true,
      'as an owner of the service',
    ],
    [
      'a manual rollback by a stranger',
      input('rollbackNow', { actor: 'mallory', role: 'developer' }),
      false,
      'rollbackNow needs a role in sre-oncall, billing-lead or an owner',
    ],
    [
      'a resume by an owner when no approval section exists',
      input('resume', { actor: 'carol', role: 'x' }, { approval: undefined }),
      true,
      'as an owner',
    ],
  ];

  test.each(cases)('%s', async (_label, request, authorized, words) => {
    const result = await authorize(request);
    expect(result.authorized).toBe(authorized);
    expect(result.reason).toContain(words);
    expect(result.reason).toContain('interim check');
    expect(result.subject).toBe(request.request.actor);
    expect(result.tokenId).toBeUndefined();
  });

  test('an unknown action is denied, not thrown', async () => {
    const result = await authorize(input('explode' as GuardianAction, {}));
    expect(result).toMatchObject({ authorized: false });
  });
});

describe('authorizeAction with a token verifier', () => {
  const verifier: ActionTokenVerifier = {
    async verify(token) {
      if (token !== 'good') throw new Error('signature does not verify');
      return { subject: 'dave', role: 'billing-lead', tokenId: 'tok-1' };
    },
  };
  const withTokens = authorizeAction(verifier);

  test('only the verified identity counts, and the token id comes back for single use', async () => {
    const result = await withTokens(
      input('approve', { actor: 'alice', role: 'intern', planHash: PLAN, token: 'good' }),
    );
    expect(result).toMatchObject({
      authorized: true,
      subject: 'dave',
      role: 'billing-lead',
      tokenId: 'tok-1',
    });
    expect(result.reason).toContain('verified token');
  });

  test.each([
    ['no token', undefined, 'approve requires a signed token'],
    ['a bad token', 'forged', 'the token was not accepted: signature does not verify'],
  ])('%s is denied with a reason that shows no token content', async (_label, token, reason) => {
    const result = await withTokens(input('approve', { planHash: PLAN, ...(token ? { token } : {}) }));
    expect(result).toMatchObject({ authorized: false, reason });
    expect(result.reason).not.toContain('forged');
  });
});
