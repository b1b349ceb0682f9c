import { type ActionTokenVerifier, authorizeAction } from '../../../src/activities/authorize';
import type { AuthorizeInput } from '../../../src/model/activity-contract';
import type { ActionRequest, GuardianAction } from '../../../src/model/actions';

// A refusal says which --role (or --as) would have been allowed, so a person refused mid-incident
// knows what to pass next instead of reading the policy (issue 17).

const PLAN = `sha256:${'1'.repeat(64)}`;
const approval = {
  roles: ['sre'],
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
    workflowId: 'ripcord/production/payments/d-1',
    deployment: {
      deploymentId: 'd-1',
      service: 'payments',
      environment: 'production',
      version: 'v2',
      previousVersion: 'v1',
      deployer: 'alice',
      deployedAt: '2026-01-01T00:00:00Z',
    },
    action,
    request: { actor: 'bob', role: 'developer', ...request },
    approval,
    owners: ['team-payments'],
    planHash: PLAN,
    trustedKeyIds: [],
    ...overrides,
  } satisfies AuthorizeInput;
}

/** A verifier that grants whatever role is asked for, as a token naming it would. */
const verifier: ActionTokenVerifier = {
  async verify(_token, expected) {
    return { subject: 'bob', role: expected.role, tokenId: `tok-${expected.action}` };
  },
};

describe('a refusal says which --role to pass (signed tokens)', () => {
  const authorize = authorizeAction(verifier);

  test('pause by a role that is neither an approver nor an owner', async () => {
    const result = await authorize(input('pause', { token: 't' }));
    expect(result.authorized).toBe(false);
    expect(result.reason).toContain('pause needs a role in sre or an owner of the service (team-payments)');
    expect(result.reason).toContain('pass --role team-payments with a token that grants it, or --role sre');
  });

  test('the role it names is one that is then allowed', async () => {
    const result = await authorize(input('pause', { token: 't', role: 'team-payments' }));
    expect(result).toMatchObject({ authorized: true });
  });

  test('approve by a role the policy does not name lists the roles to pass', async () => {
    const result = await authorize(
      input(
        'approve',
        { token: 't', planHash: PLAN },
        { approval: { ...approval, roles: ['sre', 'payments-lead'] } },
      ),
    );
    expect(result.authorized).toBe(false);
    expect(result.reason).toContain('role "developer" may not approve; allowed roles: sre, payments-lead');
    expect(result.reason).toContain('pass --role sre or --role payments-lead with a token that grants it');
  });

  test('with no approval roles, the owning team is the role to pass', async () => {
    const result = await authorize(input('abort', { token: 't' }, { approval: undefined }));
    expect(result.reason).toContain('abort needs an owner of the service (team-payments)');
    expect(result.reason).toContain('pass --role team-payments with a token that grants it');
  });

  test('the deployer is told who acts instead, and with which role', async () => {
    // The verifier names bob, so bob is the deployer here.
    const self = await authorize(
      input('pause', { token: 't' }, { deployment: { ...input('pause', {}).deployment, deployer: 'bob' } }),
    );
    expect(self.authorized).toBe(false);
    expect(self.reason).toContain('bob deployed this version and may not pause its rollback');
    expect(self.reason).toContain('may pause instead (with --role sre)');
  });
});

describe('a refusal says which --role or --as to pass (claimed identities)', () => {
  const authorize = authorizeAction(undefined);

  test('an owner acts by name, an approver by role', async () => {
    const result = await authorize(input('pause', {}));
    expect(result.authorized).toBe(false);
    expect(result.reason).toContain('pause needs a role in sre or an owner of the service (team-payments)');
    expect(result.reason).toContain('pass --role sre, or act as an owner (--as team-payments)');
  });

  test('approve by a role the policy does not name', async () => {
    const result = await authorize(input('approve', { planHash: PLAN }));
    expect(result.reason).toContain('allowed roles: sre; pass --role sre');
    expect(result.reason).not.toContain('token');
  });
});
