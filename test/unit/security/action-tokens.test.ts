import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT, importJWK, type JWK } from 'jose';
import { authorizeAction } from '../../../src/activities/authorize';
import { actionTokenVerifier } from '../../../src/worker/composition';
import type { AuthorizeInput } from '../../../src/model/activity-contract';
import { generateActionKey, writeActionKey } from '../../../src/security/action-keys';
import {
  ACTION_TOKEN_TYPE,
  type IssueActionTokenInput,
  issueActionToken,
  JoseActionTokenVerifier,
  RefuseAllActionTokens,
} from '../../../src/security/action-tokens';
import type { ExpectedAction } from '../../../src/security/action-token-types';

const PLAN = `sha256:${'a'.repeat(64)}`;
const OTHER_PLAN = `sha256:${'b'.repeat(64)}`;
const WORKFLOW = 'ripcord/production/billing/build-481';
const NOW = new Date('2026-03-01T12:00:00Z');

let dir: string;
let trusted: JWK;
let trustedEs: JWK;
let impostor: JWK;
let verifier: JoseActionTokenVerifier;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ripcord-tokens-'));
  const ed = await generateActionKey('approvals-2026');
  const es = await generateActionKey('approvals-es', 'ES256');
  await writeActionKey(dir, ed);
  await writeActionKey(dir, es);
  trusted = ed.privateJwk;
  trustedEs = es.privateJwk;
  // Same key id, different key: what a forger who knows the id but not the key would make.
  impostor = (await generateActionKey('approvals-2026')).privateJwk;
  verifier = new JoseActionTokenVerifier({ keys: path.join(dir, 'jwks.json'), now: () => NOW });
});

function token(overrides: Partial<IssueActionTokenInput> = {}): Promise<string> {
  return issueActionToken({
    privateJwk: trusted,
    subject: 'bob',
    roles: ['sre-oncall'],
    action: 'approve',
    deployment: 'build-481',
    plan: PLAN,
    ttlSeconds: 600,
    issuer: 'ripcord-cli',
    now: () => NOW,
    ...overrides,
  });
}

function expected(overrides: Partial<ExpectedAction> = {}): ExpectedAction {
  return {
    workflowId: WORKFLOW,
    deploymentId: 'build-481',
    action: 'approve',
    trustedKeyIds: ['approvals-2026', 'approvals-es'],
    role: 'sre-oncall',
    planHash: PLAN,
    ...overrides,
  };
}

async function refusal(tokenText: string, expectation: ExpectedAction, using = verifier): Promise<string> {
  try {
    await using.verify(tokenText, expectation);
  } catch (error) {
    const message = (error as Error).message;
    // Never any part of the token in a reason: not the whole, not a segment.
    for (const part of [tokenText, ...tokenText.split('.')].filter((p) => p.length > 8)) {
      expect(message).not.toContain(part);
    }
    return message;
  }
  throw new Error('the token was accepted');
}

describe('JoseActionTokenVerifier accepts', () => {
  test('a token signed by a trusted Ed25519 key, bound to this deployment, action, role and plan', async () => {
    const claims = await verifier.verify(await token({ tokenId: 'tok-1' }), expected());
    expect(claims).toEqual({
      subject: 'bob',
      role: 'sre-oncall',
      tokenId: 'tok-1',
      planHash: PLAN,
      expiresAt: '2026-03-01T12:10:00.000Z',
    });
  });

  test('an ES256 token, and the full workflow id as deployment', async () => {
    const claims = await verifier.verify(
      await token({ privateJwk: trustedEs, action: 'abort', deployment: WORKFLOW, plan: undefined }),
      expected({ action: 'abort', planHash: undefined }),
    );
    expect(claims.subject).toBe('bob');
  });

  test('a token granting several roles, acting in one of them', async () => {
    const claims = await verifier.verify(
      await token({ roles: ['developer', 'sre-oncall'] }),
      expected({ role: 'sre-oncall' }),
    );
    expect(claims.role).toBe('sre-oncall');
  });
});

describe('JoseActionTokenVerifier refuses, saying why', () => {
  test('a forged signature (right key id, wrong key)', async () => {
    expect(await refusal(await token({ privateJwk: impostor }), expected())).toMatch(
      /signature does not verify with key "approvals-2026"/,
    );
  });

  test('a token whose claims were altered after signing', async () => {
    const [header, payload, signature] = (await token()).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const altered = Buffer.from(JSON.stringify({ ...claims, roles: ['billing-lead'] })).toString('base64url');
    expect(await refusal(`${header}.${altered}.${signature}`, expected({ role: 'billing-lead' }))).toMatch(
      /signature does not verify/,
    );
  });

  test('an expired token', async () => {
    const old = await token({ now: () => new Date(NOW.getTime() - 3600_000), ttlSeconds: 600 });
    expect(await refusal(old, expected())).toMatch(/the token expired at 2026-03-01T11:10:00.000Z/);
  });

  test('a role the token does not grant', async () => {
    expect(await refusal(await token({ roles: ['developer'] }), expected())).toMatch(
      /does not grant role "sre-oncall" \(it grants developer\)/,
    );
  });

  test('an approval bound to another plan', async () => {
    expect(await refusal(await token({ plan: OTHER_PLAN }), expected())).toContain(
      `bound to plan ${OTHER_PLAN}, but the guardian holds plan ${PLAN}`,
    );
  });

  test('an approval that names no plan', async () => {
    const bare = await signRaw(trusted, {
      sub: 'bob',
      roles: ['sre-oncall'],
      action: 'approve',
      deployment: 'build-481',
    });
    expect(await refusal(bare, expected())).toMatch(/must name the plan it judges/);
  });

  test('another action', async () => {
    expect(await refusal(await token({ action: 'abort', plan: undefined }), expected())).toMatch(
      /the token is for abort, not approve/,
    );
  });

  test('another deployment', async () => {
    expect(await refusal(await token({ deployment: 'build-482' }), expected())).toMatch(
      /for deployment "build-482", not build-481/,
    );
  });

  test('a key the policy does not trust, even though the worker has it', async () => {
    expect(await refusal(await token(), expected({ trustedKeyIds: ['approvals-es'] }))).toMatch(
      /signed with key "approvals-2026", which the policy does not trust/,
    );
  });

  test('a policy that trusts no key at all', async () => {
    expect(await refusal(await token(), expected({ trustedKeyIds: [] }))).toMatch(/trusts no approval keys/);
  });

  test('a key id the worker does not have', async () => {
    const stranger = (await generateActionKey('unknown-key')).privateJwk;
    expect(
      await refusal(await token({ privateJwk: stranger }), expected({ trustedKeyIds: ['unknown-key'] })),
    ).toMatch(/key "unknown-key" is not in the worker's key set/);
  });

  test('a token meant to live longer than a day', async () => {
    expect(await refusal(await token({ ttlSeconds: 2 * 86_400 }), expected())).toMatch(/at most 86400 s/);
  });

  test('an unsigned token (alg none) and an HMAC token', async () => {
    const header = Buffer.from(
      JSON.stringify({ alg: 'none', kid: 'approvals-2026', typ: ACTION_TOKEN_TYPE }),
    ).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: 'bob' })).toString('base64url');
    expect(await refusal(`${header}.${body}.`, expected())).toMatch(/algorithm is not accepted/);
    const hmac = await new SignJWT({ sub: 'bob' })
      .setProtectedHeader({ alg: 'HS256', kid: 'approvals-2026', typ: ACTION_TOKEN_TYPE })
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await refusal(hmac, expected())).toMatch(/algorithm is not accepted/);
  });

  test('a token for another audience or of another type', async () => {
    const claims = {
      sub: 'bob',
      roles: ['sre-oncall'],
      action: 'approve',
      deployment: 'build-481',
      plan: PLAN,
    };
    expect(await refusal(await signRaw(trusted, claims, { aud: 'elsewhere' }), expected())).toMatch(
      /not meant for ripcord/,
    );
    expect(await refusal(await signRaw(trusted, claims, { typ: 'JWT' }), expected())).toMatch(
      /not a ripcord action token/,
    );
  });

  test('an issuer the worker does not accept', async () => {
    const strict = new JoseActionTokenVerifier({
      keys: path.join(dir, 'jwks.json'),
      issuers: ['sso.example.com'],
      now: () => NOW,
    });
    expect(await refusal(await token(), expected(), strict)).toMatch(/issuer "ripcord-cli" is not trusted/);
  });

  test('garbage', async () => {
    expect(await refusal('not-a-token', expected())).toMatch(/not a well-formed JWS/);
  });

  test('a worker without keys refuses everything with the same reason', async () => {
    const closed = new RefuseAllActionTokens('no keys configured');
    expect(await refusal(await token(), expected(), closed as unknown as JoseActionTokenVerifier)).toBe(
      'no keys configured',
    );
  });
});

describe('key sets', () => {
  test('a rotated JWKS file counts without a restart', async () => {
    const rotating = mkdtempSync(path.join(tmpdir(), 'ripcord-rotate-'));
    const first = await generateActionKey('k-1');
    await writeActionKey(rotating, first);
    const live = new JoseActionTokenVerifier({ keys: path.join(rotating, 'jwks.json'), now: () => NOW });
    const trust = expected({ trustedKeyIds: ['k-1', 'k-2'] });
    await live.verify(await token({ privateJwk: first.privateJwk }), trust);
    const second = await generateActionKey('k-2');
    await writeActionKey(rotating, second);
    await expect(live.verify(await token({ privateJwk: second.privateJwk }), trust)).resolves.toMatchObject({
      subject: 'bob',
    });
  });

  test('a private key in a key set is refused', async () => {
    const leaky = path.join(mkdtempSync(path.join(tmpdir(), 'ripcord-leak-')), 'jwks.json');
    writeFileSync(leaky, JSON.stringify({ keys: [trusted] }));
    const bad = new JoseActionTokenVerifier({ keys: leaky, now: () => NOW });
    expect(await refusal(await token(), expected(), bad)).toMatch(/is a private key/);
  });
});

describe('authorizeAction with the JOSE verifier', () => {
  const approval = {
    roles: ['sre-oncall', 'billing-lead'],
    quorum: 2,
    distinctRoles: false,
    allowSelfApproval: false,
    timeoutSeconds: 1800,
    onTimeout: 'escalate' as const,
  };
  const input = (tokenText: string, request: Partial<AuthorizeInput['request']> = {}): AuthorizeInput => ({
    workflowId: WORKFLOW,
    deployment: {
      deploymentId: 'build-481',
      service: 'billing',
      environment: 'production',
      version: 'v2',
      previousVersion: 'v1',
      deployer: 'alice',
      deployedAt: '2026-03-01T11:00:00Z',
    },
    action: 'approve',
    request: { actor: 'bob', role: 'sre-oncall', planHash: PLAN, token: tokenText, ...request },
    approval,
    owners: ['team-billing'],
    planHash: PLAN,
    trustedKeyIds: ['approvals-2026'],
  });

  test('the verified subject counts, not the claimed actor: the deployer cannot approve under another name', async () => {
    const authorize = authorizeAction(verifier);
    const result = await authorize(input(await token({ subject: 'alice' }), { actor: 'mallory' }));
    expect(result).toMatchObject({ authorized: false, subject: 'alice' });
    expect(result.reason).toContain('alice deployed this version and may not approve its rollback');
  });

  test('a valid approval comes back with its token id for single use', async () => {
    const result = await authorizeAction(verifier)(input(await token({ tokenId: 'once' })));
    expect(result).toMatchObject({ authorized: true, subject: 'bob', role: 'sre-oncall', tokenId: 'once' });
    expect(result.reason).toContain('verified token');
  });

  test('a verified team role counts as ownership for abort; a claimed one does not', async () => {
    const abort = await token({ action: 'abort', plan: undefined, roles: ['team-billing'] });
    const verified = await authorizeAction(verifier)({
      ...input(abort, { role: 'team-billing' }),
      action: 'abort',
    });
    expect(verified).toMatchObject({ authorized: true });
    const claimed = await authorizeAction(undefined)({
      ...input('', { actor: 'mallory', role: 'team-billing' }),
      action: 'abort',
    });
    expect(claimed).toMatchObject({ authorized: false });
  });
});

/** A token with arbitrary claims and header, signed by `jwk` (for the cases issueActionToken refuses to make). */
async function signRaw(
  jwk: JWK,
  claims: Record<string, unknown>,
  options: { aud?: string; typ?: string } = {},
): Promise<string> {
  const now = Math.floor(NOW.getTime() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid!, typ: options.typ ?? ACTION_TOKEN_TYPE })
    .setIssuer('ripcord-cli')
    .setAudience(options.aud ?? 'ripcord')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setJti(`raw-${Math.random()}`)
    .sign(await importJWK(jwk, 'EdDSA'));
}

describe('which verifier a worker gets (actionTokenVerifier)', () => {
  test('keys: tokens are verified, also in a dry run', () => {
    expect(actionTokenVerifier({ approvalKeys: path.join(dir, 'jwks.json') })).toBeInstanceOf(
      JoseActionTokenVerifier,
    );
    expect(actionTokenVerifier({ approvalKeys: path.join(dir, 'jwks.json'), dryRun: true })).toBeInstanceOf(
      JoseActionTokenVerifier,
    );
  });

  test('no keys: claims only when asked for (--insecure-claims) or in a dry run; otherwise everything is refused', async () => {
    expect(actionTokenVerifier({ insecureClaims: true })).toBeUndefined();
    expect(actionTokenVerifier({ dryRun: true })).toBeUndefined();
    const closed = actionTokenVerifier({});
    expect(closed).toBeInstanceOf(RefuseAllActionTokens);
    const result = await authorizeAction(closed)({
      workflowId: WORKFLOW,
      deployment: {
        deploymentId: 'build-481',
        service: 'billing',
        environment: 'production',
        version: 'v2',
        previousVersion: 'v1',
        deployedAt: '2026-03-01T11:00:00Z',
      },
      action: 'abort',
      request: {
        actor: 'carol',
        role: 'sre-oncall',
        token: await token({ action: 'abort', plan: undefined }),
      },
      owners: ['carol'],
      trustedKeyIds: ['approvals-2026'],
    });
    expect(result).toMatchObject({ authorized: false });
    expect(result.reason).toContain('this worker has no trusted keys for action tokens');
  });
});
