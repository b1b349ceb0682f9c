import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JWK } from 'jose';
import { type ActionTokenVerifier, authorizeAction } from '../../../src/activities/authorize';
import type { TokenClaim, TokenClaimOutcome, TokenClaimStore } from '../../../src/activities/token-claim';
import type { AuthorizeInput, AuthorizeResult } from '../../../src/model/activity-contract';
import { generateActionKey, writeActionKey } from '../../../src/security/action-keys';
import {
  type IssueActionTokenInput,
  issueActionToken,
  JoseActionTokenVerifier,
} from '../../../src/security/action-tokens';
import type { ActionRequest, GuardianAction } from '../../../src/model/actions';

/**
 * The rules of issue #16 that live in the authorisation activity: identity
 * compared after normalisation, the self-action rule, the token id returned
 * whenever the signature verified (also on refusal), and a single-use claim on
 * the token id that every guardian of the namespace sees.
 */

const PLAN = `sha256:${'1'.repeat(64)}`;
const OTHER_PLAN = `sha256:${'2'.repeat(64)}`;
const NOW = new Date('2026-03-01T12:00:00Z');
const approval = {
  roles: ['sre-oncall', 'billing-lead'],
  quorum: 1,
  distinctRoles: false,
  allowSelfApproval: false,
  timeoutSeconds: 1800,
  onTimeout: 'escalate' as const,
};
const PRODUCTION = 'ripcord/production/billing/d-1';
const STAGING = 'ripcord/staging/billing/d-1';

function input(
  action: GuardianAction,
  request: Partial<ActionRequest>,
  overrides: Partial<AuthorizeInput> = {},
): AuthorizeInput {
  return {
    workflowId: PRODUCTION,
    deployment: {
      deploymentId: 'd-1',
      service: 'billing',
      environment: 'production',
      version: 'v2',
      previousVersion: 'v1',
      deployer: 'dave',
      deployedAt: '2026-03-01T11:00:00Z',
    },
    action,
    request: { actor: 'bob', role: 'sre-oncall', ...request },
    approval,
    owners: ['team-billing', 'dave', 'carol'],
    planHash: PLAN,
    trustedKeyIds: ['approvals-2026'],
    ...overrides,
  };
}

/** A verifier that trusts whatever subject and role it is told: the rules are under test, not the signature. */
function says(subject: string, role = 'sre-oncall', tokenId = 'tok-1'): ActionTokenVerifier {
  return { verify: async () => ({ subject, role, tokenId }) };
}

function expectNoTokenContent(result: AuthorizeResult, tokenText: string) {
  for (const part of [tokenText, ...tokenText.split('.')].filter((p) => p.length > 8)) {
    expect(result.reason).not.toContain(part);
  }
}

describe('identity is compared after normalisation (case, Unicode)', () => {
  test.each([
    ['Dave', 'upper case'],
    ['DAVE', 'all capitals'],
    ['Ｄａｖｅ', 'full-width letters'],
    [' dave ', 'surrounding spaces'],
  ])('the deployer dave approving as "%s" (%s) is refused', async (subject) => {
    const result = await authorizeAction(says(subject))(input('approve', { planHash: PLAN, token: 't' }));
    expect(result.authorized).toBe(false);
    expect(result.reason).toContain('dave deployed this version and may not approve its rollback');
  });

  test('the same holds for claimed identities on an interim worker', async () => {
    const result = await authorizeAction(undefined)(input('approve', { actor: 'Dave', planHash: PLAN }));
    expect(result).toMatchObject({ authorized: false, subject: 'dave' });
  });

  test('the subject and role come back normalised, so the quorum counts people, not spellings', async () => {
    const result = await authorizeAction(says('Bob', 'SRE-Oncall'))(
      input('approve', { role: 'SRE-Oncall', planHash: PLAN, token: 't' }),
    );
    expect(result).toMatchObject({ authorized: true, subject: 'bob', role: 'sre-oncall' });
  });

  test('owners are matched after normalisation, by subject and by verified team role', async () => {
    const carol = await authorizeAction(says('CAROL', 'developer'))(
      input('rollbackNow', { role: 'developer', token: 't' }),
    );
    expect(carol).toMatchObject({ authorized: true, subject: 'carol' });
    expect(carol.reason).toContain('as an owner of the service');
    const team = await authorizeAction(says('erin', 'Team-Billing'))(
      input('resume', { role: 'Team-Billing', token: 't' }),
    );
    expect(team).toMatchObject({ authorized: true });
  });
});

describe('the self-action rule: the deployer may not stop, delay or judge the rollback of their own release', () => {
  test.each(['approve', 'reject', 'abort', 'pause'] as const)(
    'the deployer may not %s, and is told the rule and who may act instead',
    async (action) => {
      // dave is an owner and holds an approver role: only the rule stops him.
      const result = await authorizeAction(says('dave'))(input(action, { planHash: PLAN, token: 't' }));
      expect(result.authorized).toBe(false);
      expect(result.reason).toContain(`dave deployed this version and may not ${action} its rollback`);
      expect(result.reason).toContain('allowSelfApproval');
      expect(result.reason).toContain('sre-oncall, billing-lead');
      if (action === 'abort' || action === 'pause') expect(result.reason).toContain('team-billing, carol');
      expect(result.reason).not.toMatch(/team-billing, dave|dave, carol/);
    },
  );

  test.each(['resume', 'rollbackNow'] as const)(
    'the deployer may still %s: it moves toward safety',
    async (action) => {
      const result = await authorizeAction(says('Dave'))(input(action, { token: 't' }));
      expect(result).toMatchObject({ authorized: true, subject: 'dave' });
    },
  );

  test('with allowSelfApproval the deployer may abort too', async () => {
    const result = await authorizeAction(says('dave'))(
      input('abort', { token: 't' }, { approval: { ...approval, allowSelfApproval: true } }),
    );
    expect(result.authorized).toBe(true);
  });

  test('a policy without an approval section still keeps the deployer from aborting', async () => {
    const result = await authorizeAction(says('dave', 'team-billing'))(
      input('abort', { role: 'team-billing', token: 't' }, { approval: undefined }),
    );
    expect(result.authorized).toBe(false);
    expect(result.reason).toContain('dave deployed this version and may not abort its rollback');
  });

  test('someone else may abort', async () => {
    const result = await authorizeAction(says('carol', 'developer'))(
      input('abort', { role: 'developer', token: 't' }),
    );
    expect(result.authorized).toBe(true);
  });
});

describe('a token whose signature verified is spent, also when the request is refused', () => {
  let trusted: JWK;
  let impostor: JWK;
  let verifier: JoseActionTokenVerifier;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ripcord-authorize-'));
    const key = await generateActionKey('approvals-2026');
    await writeActionKey(dir, key);
    trusted = key.privateJwk;
    impostor = (await generateActionKey('approvals-2026')).privateJwk;
    verifier = new JoseActionTokenVerifier({ keys: path.join(dir, 'jwks.json'), now: () => NOW });
  });

  const token = (overrides: Partial<IssueActionTokenInput> = {}) =>
    issueActionToken({
      privateJwk: trusted,
      subject: 'bob',
      roles: ['sre-oncall'],
      action: 'approve',
      deployment: 'd-1',
      plan: PLAN,
      ttlSeconds: 600,
      issuer: 'ripcord-cli',
      now: () => NOW,
      tokenId: 'jti-1',
      ...overrides,
    });

  test.each<[string, Partial<IssueActionTokenInput>, Partial<ActionRequest>]>([
    ['bound to another plan', { plan: OTHER_PLAN }, { planHash: PLAN }],
    ['for another deployment', { deployment: 'd-2' }, { planHash: PLAN }],
    ['for another action', { action: 'reject' }, { planHash: PLAN }],
    ['not granting the role asked for', { roles: ['developer'] }, { planHash: PLAN }],
    ['expired', { now: () => new Date(NOW.getTime() - 3600_000) }, { planHash: PLAN }],
    ['naming a role the policy does not allow', { roles: ['intern'] }, { role: 'intern', planHash: PLAN }],
    ['of the deployer', { subject: 'dave' }, { planHash: PLAN }],
  ])('a signed token %s is refused and its id comes back', async (_label, claims, request) => {
    const text = await token(claims);
    const result = await authorizeAction(verifier)(input('approve', { ...request, token: text }));
    expect(result.authorized).toBe(false);
    expect(result.tokenId).toBe('jti-1');
    expectNoTokenContent(result, text);
  });

  test('a refused but genuine token names its own subject, never the actor the request claims', async () => {
    // Else an old token of one's own could spend another person's rate limit under their name.
    const text = await token({ subject: 'Bob', plan: OTHER_PLAN });
    const result = await authorizeAction(verifier)(
      input('approve', { actor: 'carol', planHash: PLAN, token: text }),
    );
    expect(result).toMatchObject({ authorized: false, subject: 'bob', tokenId: 'jti-1' });
  });

  test.each<[string, () => Promise<string>, Partial<AuthorizeInput>]>([
    ['a forged signature', () => token({ privateJwk: impostor }), {}],
    ['an untrusted key id', () => token(), { trustedKeyIds: ['other-key'] }],
    ['a malformed token', async () => 'not.a.token', {}],
  ])('%s: nothing is known to be signed, so no id comes back', async (_label, make, overrides) => {
    const result = await authorizeAction(verifier)(
      input('approve', { planHash: PLAN, token: await make() }, overrides),
    );
    expect(result.authorized).toBe(false);
    expect(result.tokenId).toBeUndefined();
  });

  describe('single use across the namespace (a claim every guardian sees)', () => {
    /** What the Temporal store does, in memory: the first claim of an id wins; the same request may claim again. */
    class FakeClaims implements TokenClaimStore {
      readonly held = new Map<string, TokenClaim>();
      readonly calls: TokenClaim[] = [];
      async claim(claim: TokenClaim): Promise<TokenClaimOutcome> {
        this.calls.push(claim);
        const existing = this.held.get(claim.tokenId);
        if (existing === undefined) {
          this.held.set(claim.tokenId, claim);
          return { claimed: true };
        }
        if (existing.claimedBy === claim.claimedBy) return { claimed: true };
        return { claimed: false, reason: 'this token was already used (claimed by another request at then)' };
      }
    }

    const abortAt = async (workflowId: string, requestNonce: string | undefined, text: string) =>
      input(
        'abort',
        { actor: 'bob', token: text },
        {
          workflowId,
          ...(requestNonce !== undefined ? { requestNonce } : {}),
          deployment: { ...input('abort', {}).deployment, environment: workflowId.split('/')[1]! },
        },
      );

    test('an abort token accepted by the staging guardian is refused by the production one (same deployment id)', async () => {
      const claims = new FakeClaims();
      const authorize = authorizeAction(verifier, claims);
      const text = await token({ action: 'abort', plan: undefined, tokenId: 'abort-once' });
      const staging = await authorize(await abortAt(STAGING, `${STAGING}#r1`, text));
      expect(staging).toMatchObject({ authorized: true, tokenId: 'abort-once' });
      const production = await authorize(await abortAt(PRODUCTION, `${PRODUCTION}#r1`, text));
      expect(production).toMatchObject({ authorized: false, tokenId: 'abort-once' });
      expect(production.reason).toContain('this token was already used');
      expectNoTokenContent(production, text);
      expect(claims.calls.map((c) => c.claimedBy)).toEqual([`${STAGING}#r1`, `${PRODUCTION}#r1`]);
      expect(claims.calls[0]!.until).toBe(new Date(NOW.getTime() + 600_000).toISOString());
    });

    test('an activity retry of the same request finds its own claim and is accepted', async () => {
      const claims = new FakeClaims();
      const authorize = authorizeAction(verifier, claims);
      const text = await token({ action: 'abort', plan: undefined, tokenId: 'abort-retry' });
      const request = await abortAt(PRODUCTION, `${PRODUCTION}#r7`, text);
      await expect(authorize(request)).resolves.toMatchObject({ authorized: true });
      await expect(authorize(request)).resolves.toMatchObject({ authorized: true });
    });

    test('without a request nonce the guardian workflow id claims', async () => {
      const claims = new FakeClaims();
      const text = await token({ action: 'abort', plan: undefined, tokenId: 'abort-nonce' });
      await authorizeAction(verifier, claims)(await abortAt(PRODUCTION, undefined, text));
      expect(claims.calls[0]!.claimedBy).toBe(PRODUCTION);
    });

    test('a refused token is claimed too, so another guardian cannot take it up later', async () => {
      const claims = new FakeClaims();
      const authorize = authorizeAction(verifier, claims);
      const text = await token({ tokenId: 'wrong-plan', plan: OTHER_PLAN });
      const first = await authorize(input('approve', { planHash: PLAN, token: text }));
      expect(first).toMatchObject({ authorized: false, tokenId: 'wrong-plan' });
      expect(claims.held.has('wrong-plan')).toBe(true);
    });

    test('a token whose signature does not verify claims nothing', async () => {
      const claims = new FakeClaims();
      await authorizeAction(
        verifier,
        claims,
      )(input('approve', { planHash: PLAN, token: await token({ privateJwk: impostor }) }));
      expect(claims.calls).toEqual([]);
    });
  });
});
