import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from 'jose';
import type {
  ActionTokenVerifier,
  ExpectedAction,
  SignedButRefused,
  VerifiedClaims,
} from './action-token-types';
import type { GuardianAction } from '../model/actions';

/**
 * Signed operator actions (docs/architecture.md §5, "who may act"). A token is a compact JWS
 * (EdDSA over Ed25519, or ES256) whose claims say who (`sub`, `roles`), what
 * (`action`), on which deployment (`deployment`), for which plan (`plan`,
 * approve and reject only), until when (`exp`), once (`jti`), issued by whom
 * (`iss`), for ripcord (`aud`). The worker holds the public keys (a JWKS file
 * or URL); the policy names which of their key ids it trusts.
 *
 * Nothing here ever puts the token, or any part of it, in an error message.
 */

export const ACTION_TOKEN_AUDIENCE = 'ripcord';
/** The JWS `typ`: a token minted for something else (an ID token, say) is never an action token. */
export const ACTION_TOKEN_TYPE = 'ripcord-action+jwt';
export const ACTION_TOKEN_ALGORITHMS = ['EdDSA', 'ES256'] as const;
export type ActionTokenAlgorithm = (typeof ACTION_TOKEN_ALGORITHMS)[number];
export const ACTIONS: readonly GuardianAction[] = [
  'approve',
  'reject',
  'abort',
  'pause',
  'resume',
  'rollbackNow',
];
/** Longer-lived tokens are refused: an action token is minted for one decision, not kept. */
export const DEFAULT_MAX_TTL_SECONDS = 24 * 3600;
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Why a token was refused, in words safe to show (never token content). When
 * the signature verified and a claim was refused, it carries the token's id
 * (`signedTokenId`), so that the token is spent although refused.
 */
export class ActionTokenError extends Error implements Partial<SignedButRefused> {
  override readonly name = 'ActionTokenError';
  readonly signedTokenId?: string;
  readonly expiresAt?: string;
  readonly subject?: string;

  constructor(message: string, signed?: SignedButRefused) {
    super(message);
    if (signed !== undefined) {
      this.signedTokenId = signed.signedTokenId;
      if (signed.expiresAt !== undefined) this.expiresAt = signed.expiresAt;
      if (signed.subject !== undefined) this.subject = signed.subject;
    }
  }
}

/** The id and expiry of a token whose signature verified, if it names an id. */
function signedBy(payload: Record<string, unknown> | undefined): SignedButRefused | undefined {
  const jti = payload?.jti;
  if (typeof jti !== 'string' || jti === '') return undefined;
  const expiresAt = expiry(payload?.exp);
  const sub = payload?.sub;
  return {
    signedTokenId: jti,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(typeof sub === 'string' && sub !== '' ? { subject: sub } : {}),
  };
}

/** `exp` as an ISO time, or undefined when it is missing or beyond the dates JavaScript can show. */
function expiry(exp: unknown): string | undefined {
  if (typeof exp !== 'number') return undefined;
  const at = new Date(exp * 1000);
  return Number.isFinite(at.getTime()) ? at.toISOString() : undefined;
}

/** A claim value from the token, shortened and stripped of control characters before it is echoed. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}

/** `rollback` (the CLI's word) and `rollbackNow` (the update's name) are the same action. */
export function parseAction(value: string): GuardianAction {
  const action = value === 'rollback' ? 'rollbackNow' : value;
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new ActionTokenError(
      `unknown action "${shown(value)}"; expected one of approve, reject, abort, pause, resume, rollback`,
    );
  }
  return action as GuardianAction;
}

// ---- key sets ------------------------------------------------------------------

/** Where the worker reads trusted public keys: a JWKS file (re-read when it changes) or an http(s) URL. */
export function keySetResolver(location: string): JWTVerifyGetKey {
  if (/^https?:\/\//i.test(location)) {
    const url = new URL(location);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    // Keys fetched in the clear could be swapped by anyone on the path.
    if (url.protocol !== 'https:' && !loopback) {
      throw new ActionTokenError(`key set URL ${url.origin}: https is required off loopback`);
    }
    return createRemoteJWKSet(url, { timeoutDuration: 5_000, cooldownDuration: 30_000 });
  }
  return fileKeySet(location);
}

function fileKeySet(file: string): JWTVerifyGetKey {
  let cached: { mtimeMs: number; size: number; resolve: JWTVerifyGetKey } | undefined;
  return async (header, token) => {
    let info;
    try {
      info = await stat(file);
    } catch (error) {
      throw new ActionTokenError(
        `the worker cannot read its key set ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    if (cached === undefined || cached.mtimeMs !== info.mtimeMs || cached.size !== info.size) {
      cached = { mtimeMs: info.mtimeMs, size: info.size, resolve: createLocalJWKSet(await readKeySet(file)) };
    }
    return cached.resolve(header, token);
  };
}

/** Reads a JWKS file of public keys; a private key in it is refused (a signing key was copied where it should not be). */
export async function readKeySet(file: string): Promise<JSONWebKeySet> {
  let document: unknown;
  try {
    document = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ActionTokenError(`key set ${file} ${code ? `cannot be read (${code})` : 'is not JSON'}`);
  }
  const keys = (document as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw new ActionTokenError(`key set ${file}: expected { "keys": [ ... ] }`);
  keys.forEach((key: JWK, index) => {
    if (typeof key !== 'object' || key === null || typeof key.kid !== 'string') {
      throw new ActionTokenError(`key set ${file}: keys.${index} has no "kid"`);
    }
    if ('d' in key) {
      throw new ActionTokenError(`key set ${file}: keys.${index} ("${shown(key.kid)}") is a private key`);
    }
  });
  return { keys: keys as JWK[] };
}

// ---- verification ----------------------------------------------------------------

export interface JoseVerifierOptions {
  /** JWKS file path or URL with the public keys; the policy's `trustedKeys.approvals` picks among them. */
  keys: string | JWTVerifyGetKey;
  /** Accepted issuers (`iss`); empty or absent: any issuer, but the claim must be present. */
  issuers?: string[];
  maxTtlSeconds?: number;
  clockToleranceSeconds?: number;
  now?: () => Date;
}

/**
 * Verifies action tokens with jose: signature against a trusted key, then
 * every claim against what the guardian expects. Each refusal throws an
 * ActionTokenError naming the one thing that is wrong.
 */
export class JoseActionTokenVerifier implements ActionTokenVerifier {
  private readonly resolveKey: JWTVerifyGetKey;

  constructor(private readonly options: JoseVerifierOptions) {
    this.resolveKey = typeof options.keys === 'string' ? keySetResolver(options.keys) : options.keys;
  }

  async verify(token: string, expected: ExpectedAction): Promise<VerifiedClaims> {
    const header = safeHeader(token);
    const kid = header.kid;
    if (typeof kid !== 'string' || kid === '')
      throw new ActionTokenError('the token names no signing key (kid)');
    if (expected.trustedKeyIds.length === 0) {
      throw new ActionTokenError(
        'the policy trusts no approval keys (trustedKeys.approvals is empty), so no signed action can be verified',
      );
    }
    if (!expected.trustedKeyIds.includes(kid)) {
      throw new ActionTokenError(
        `the token is signed with key "${shown(kid)}", which the policy does not trust ` +
          `(trustedKeys.approvals: ${expected.trustedKeyIds.join(', ')})`,
      );
    }
    const now = expected.at ?? this.options.now?.() ?? new Date();
    const tolerance = this.options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
    let payload: Record<string, unknown>;
    try {
      const issuers = this.options.issuers?.filter((i) => i !== '') ?? [];
      ({ payload } = await jwtVerify(token, this.resolveKey, {
        algorithms: [...ACTION_TOKEN_ALGORITHMS],
        audience: ACTION_TOKEN_AUDIENCE,
        typ: ACTION_TOKEN_TYPE,
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'iss'],
        clockTolerance: tolerance,
        currentDate: now,
        ...(issuers.length > 0 ? { issuer: issuers } : {}),
      }));
    } catch (error) {
      throw explainJoseError(error, kid, token);
    }
    // From here on the signature has verified: a refusal names the token's id, so the token is spent.
    try {
      return checkClaims(payload, expected, {
        maxTtlSeconds: this.options.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS,
      });
    } catch (error) {
      if (error instanceof ActionTokenError && error.signedTokenId === undefined) {
        throw new ActionTokenError(error.message, signedBy(payload));
      }
      throw error;
    }
  }
}

/**
 * Refuses every action with the same reason: a worker with no trusted keys and
 * no explicit --insecure-claims fails closed instead of trusting claims.
 */
export class RefuseAllActionTokens implements ActionTokenVerifier {
  constructor(readonly reason: string) {}
  verify(): Promise<VerifiedClaims> {
    return Promise.reject(new ActionTokenError(this.reason));
  }
}

function safeHeader(token: string): { kid?: unknown; alg?: unknown } {
  try {
    return decodeProtectedHeader(token);
  } catch {
    throw new ActionTokenError('the token is not a well-formed JWS (compact serialization)');
  }
}

function explainJoseError(error: unknown, kid: string, token: string): ActionTokenError {
  if (error instanceof ActionTokenError) return error;
  const explained = explainJose(error, kid, token);
  // jose checks claims (exp, iat, nbf, aud, iss, typ, required claims) only after the signature verified,
  // and hands over the verified claims with the error: the token is genuine, so it is spent.
  if (error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired) {
    const signed = signedBy(error.payload as Record<string, unknown> | undefined);
    if (signed !== undefined) return new ActionTokenError(explained.message, signed);
  }
  return explained;
}

function explainJose(error: unknown, kid: string, token: string): ActionTokenError {
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new ActionTokenError(
      `the signature does not verify with key "${shown(kid)}" (forged or altered token)`,
    );
  }
  if (error instanceof errors.JWTExpired) {
    const exp = safeClaims(token).exp;
    // A signed but absurd exp (beyond the dates JavaScript can show) must not turn into a RangeError.
    const at = typeof exp === 'number' ? new Date(exp * 1000) : undefined;
    const when = at !== undefined && Number.isFinite(at.getTime()) ? ` at ${at.toISOString()}` : '';
    return new ActionTokenError(`the token expired${when}`);
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new ActionTokenError(
      `key "${shown(kid)}" is not in the worker's key set (or its algorithm does not match)`,
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new ActionTokenError(
      `the token's algorithm is not accepted (only ${ACTION_TOKEN_ALGORITHMS.join(' or ')})`,
    );
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claims = safeClaims(token);
    switch (error.claim) {
      case 'aud':
        return new ActionTokenError(
          `the token is not meant for ripcord (aud must be "${ACTION_TOKEN_AUDIENCE}")`,
        );
      case 'iss':
        return new ActionTokenError(`issuer "${shown(claims.iss)}" is not trusted by this worker`);
      case 'typ':
        return new ActionTokenError(
          `the token is not a ripcord action token (typ must be "${ACTION_TOKEN_TYPE}")`,
        );
      case 'nbf':
      case 'iat':
        return new ActionTokenError(`the token is not valid yet (${error.claim} is in the future)`);
      default:
        return new ActionTokenError(`claim "${shown(error.claim)}" is missing or invalid`);
    }
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new ActionTokenError('the token is not a well-formed signed JWT');
  }
  if (error instanceof errors.JOSENotSupported) {
    return new ActionTokenError(`key "${shown(kid)}" or the token's algorithm is not supported`);
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JOSEError) {
    return new ActionTokenError(
      `the worker could not check the token against key "${shown(kid)}" (${error.code})`,
    );
  }
  return new ActionTokenError('the token could not be verified');
}

function safeClaims(token: string): Record<string, unknown> {
  try {
    return decodeJwt(token);
  } catch {
    return {};
  }
}

/** The claims that bind a verified token to this guardian, this action, this role and this plan. */
export function checkClaims(
  payload: Record<string, unknown>,
  expected: ExpectedAction,
  limits: { maxTtlSeconds: number },
): VerifiedClaims {
  const { sub, jti, iat, exp } = payload;
  if (typeof sub !== 'string' || sub === '') throw new ActionTokenError('the token names no subject (sub)');
  if (typeof jti !== 'string' || jti === '') throw new ActionTokenError('the token has no unique id (jti)');
  if (typeof iat === 'number' && typeof exp === 'number' && exp - iat > limits.maxTtlSeconds) {
    throw new ActionTokenError(
      `the token lives ${Math.round(exp - iat)} s; at most ${limits.maxTtlSeconds} s is accepted`,
    );
  }
  let action: GuardianAction;
  try {
    action = parseAction(String(payload.action ?? ''));
  } catch {
    throw new ActionTokenError(`the token's action "${shown(payload.action)}" is not a ripcord action`);
  }
  if (action !== expected.action) {
    throw new ActionTokenError(`the token is for ${action}, not ${expected.action}`);
  }
  const deployment = payload.deployment;
  if (deployment !== expected.deploymentId && deployment !== expected.workflowId) {
    throw new ActionTokenError(
      `the token is for deployment "${shown(deployment)}", not ${expected.deploymentId} (${expected.workflowId})`,
    );
  }
  const roles = payload.roles;
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r) => typeof r === 'string')) {
    throw new ActionTokenError('the token grants no roles (roles must be a list of names)');
  }
  if (!roles.includes(expected.role)) {
    throw new ActionTokenError(
      `the token does not grant role "${shown(expected.role)}" (it grants ${roles.map(shown).join(', ')})`,
    );
  }
  const plan = payload.plan;
  if (expected.action === 'approve' || expected.action === 'reject') {
    if (typeof plan !== 'string' || plan === '') {
      throw new ActionTokenError(`an ${expected.action} token must name the plan it judges (plan)`);
    }
    if (expected.planHash === undefined) {
      throw new ActionTokenError(`the guardian holds no plan to ${expected.action}`);
    }
    if (plan !== expected.planHash) {
      throw new ActionTokenError(
        `the token is bound to plan ${shown(plan)}, but the guardian holds plan ${expected.planHash}`,
      );
    }
  }
  const expiresAt = expiry(exp);
  return {
    subject: sub,
    role: expected.role,
    tokenId: jti,
    ...(typeof plan === 'string' ? { planHash: plan } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}

// ---- issuing ---------------------------------------------------------------------

export interface IssueActionTokenInput {
  /** A private JWK with `kid` and `alg` (EdDSA or ES256), as `token keygen` writes it. */
  privateJwk: JWK;
  subject: string;
  roles: string[];
  action: GuardianAction;
  /** A deployment id, or the guardian's workflow id (unambiguous across services). */
  deployment: string;
  plan?: string;
  ttlSeconds: number;
  issuer: string;
  now?: () => Date;
  tokenId?: string;
}

export async function issueActionToken(input: IssueActionTokenInput): Promise<string> {
  const { privateJwk } = input;
  const alg = jwkAlgorithm(privateJwk);
  if (typeof privateJwk.kid !== 'string' || privateJwk.kid === '') {
    throw new ActionTokenError('the private key has no "kid": the verifier could not tell which key signed');
  }
  if (typeof privateJwk.d !== 'string') throw new ActionTokenError('the key is not a private key (no "d")');
  if (input.roles.length === 0) throw new ActionTokenError('at least one role is required');
  if (!(input.ttlSeconds > 0)) throw new ActionTokenError('the lifetime must be positive');
  if ((input.action === 'approve' || input.action === 'reject') && !input.plan) {
    throw new ActionTokenError(`an ${input.action} token must name the plan hash it judges (--plan)`);
  }
  const key = await importJWK(privateJwk, alg);
  const now = Math.floor((input.now?.() ?? new Date()).getTime() / 1000);
  return new SignJWT({
    roles: input.roles,
    action: input.action,
    deployment: input.deployment,
    ...(input.plan ? { plan: input.plan } : {}),
  })
    .setProtectedHeader({ alg, kid: privateJwk.kid, typ: ACTION_TOKEN_TYPE })
    .setSubject(input.subject)
    .setIssuer(input.issuer)
    .setAudience(ACTION_TOKEN_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + Math.round(input.ttlSeconds))
    .setJti(input.tokenId ?? randomUUID())
    .sign(key);
}

function jwkAlgorithm(jwk: JWK): ActionTokenAlgorithm {
  if (jwk.alg === 'EdDSA' || jwk.alg === 'Ed25519' || (jwk.kty === 'OKP' && jwk.crv === 'Ed25519'))
    return 'EdDSA';
  if (jwk.alg === 'ES256' || (jwk.kty === 'EC' && jwk.crv === 'P-256')) return 'ES256';
  throw new ActionTokenError('the key is neither Ed25519 (EdDSA) nor P-256 (ES256)');
}

/** Reads a private JWK file as written by `token keygen`. Errors name the file, never its content. */
export async function readPrivateJwk(file: string): Promise<JWK> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ActionTokenError(
      `private key ${file} ${code ? `cannot be read (${code})` : 'is not a JWK (JSON)'}`,
    );
  }
  if (typeof jwk !== 'object' || jwk === null || typeof jwk.d !== 'string') {
    throw new ActionTokenError(`${file} is not a private JWK`);
  }
  jwkAlgorithm(jwk);
  return jwk;
}

/** What a token says, unverified: for the CLI to fill in the actor and role it sends alongside. */
export function peekActionToken(token: string): { subject?: string; roles: string[]; plan?: string } {
  const claims = safeClaims(token);
  return {
    ...(typeof claims.sub === 'string' ? { subject: claims.sub } : {}),
    roles: Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [],
    ...(typeof claims.plan === 'string' ? { plan: claims.plan } : {}),
  };
}
