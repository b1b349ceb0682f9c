import { SHA256_DIGEST } from '../policy/digest';
import { findCredential } from '../model/credential-text';
import { normalizeIdentity } from '../model/identity';
import type { ActionRequest, GuardianAction } from '../model/actions';

/**
 * Shape checks for everything that enters a guardian from outside, run by
 * update validators (synchronous, deterministic) so that a refused request
 * never reaches history. Anyone with update rights can send anything: every
 * key must be known, every field bounded and in its charset, and a request
 * that cannot be authorised (no token where the worker requires one, a token
 * for another deployment or action, expired, already used) is refused here
 * rather than costing an activity, an audit record and history.
 *
 * The token is only *read* here (its claims are not trusted); the signature
 * is verified by the authorizeAction activity.
 */

const ALLOWED_KEYS: ReadonlySet<string> = new Set(['actor', 'role', 'reason', 'planHash', 'token']);
export const MAX_NAME = 128;
export const MAX_REASON = 2_000;
export const MAX_TOKEN = 16_384;
/** Letters, digits and the few signs names and e-mail addresses use. */
const NAME = /^[\p{L}\p{N}._@+-]+$/u;
const PLAN_HASH = SHA256_DIGEST;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** C0 and C1 controls, and the bidirectional overrides that make text read differently than it is stored. */
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** Clock tolerance for a token's expiry, as the verifier allows. */
const EXPIRY_TOLERANCE_MS = 30_000;

export class RequestRefused extends Error {
  override readonly name = 'RequestRefused';
}

/** What the validator may know about the guardian it guards. */
export interface RequestContext {
  deploymentId: string;
  workflowId: string;
  /** The worker verifies signed tokens: a request without one cannot be authorised. */
  tokensRequired: boolean;
  /** Key ids the policy trusts for actions. */
  trustedKeyIds: readonly string[];
  usedTokenIds: ReadonlySet<string>;
  nowMs: number;
}

/**
 * Refuses a malformed request, naming the field. Returns the identity the
 * request claims (the token's subject when there is a token, else the actor),
 * normalised, for per-identity limits: it is not verified here, so it may
 * only be used to refuse requests of an identity already over its limit.
 */
export function validateActionRequest(
  action: GuardianAction,
  request: ActionRequest,
  context?: RequestContext,
): string {
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    throw new RequestRefused('request: expected an object');
  const unknown = Object.keys(request).filter((key) => !ALLOWED_KEYS.has(key));
  if (unknown.length > 0) {
    const names = unknown.slice(0, 3).map((key) => printable(key, 40));
    throw new RequestRefused(
      `request: unknown field${unknown.length > 1 ? 's' : ''} ${names.join(', ')}${unknown.length > 3 ? ', …' : ''} (allowed: ${[...ALLOWED_KEYS].join(', ')})`,
    );
  }
  name(request, 'actor');
  name(request, 'role');
  freeText(request, 'reason', MAX_REASON);
  const planHash = optionalString(request, 'planHash', 71);
  if (planHash !== undefined && !PLAN_HASH.test(planHash))
    throw new RequestRefused('planHash: must be "sha256:" followed by 64 lowercase hex digits');
  if ((action === 'approve' || action === 'reject') && planHash === undefined)
    throw new RequestRefused(`planHash: required to ${action} (the plan you judge)`);
  const token = optionalString(request, 'token', MAX_TOKEN);
  if (token !== undefined && !COMPACT_JWS.test(token))
    throw new RequestRefused('token: must be a compact JWS (three base64url parts separated by ".")');

  if (context === undefined) return normalizeIdentity(request.actor);
  if (!context.tokensRequired) return normalizeIdentity(request.actor);
  if (token === undefined)
    throw new RequestRefused(
      `token: required: this guardian's worker accepts only signed ${action} requests`,
    );
  return precheckToken(action, token, context);
}

/** The token's claims as far as they can be checked without its key: cheap refusals before history. */
function precheckToken(action: GuardianAction, token: string, context: RequestContext): string {
  const [headerPart, payloadPart] = token.split('.');
  const header = decodeJsonPart(headerPart!);
  const claims = decodeJsonPart(payloadPart!);
  if (header === undefined || claims === undefined)
    throw new RequestRefused('token: its header or claims are not base64url JSON');
  if (typeof header.kid !== 'string' || !context.trustedKeyIds.includes(header.kid))
    throw new RequestRefused("token: signed with a key id this guardian's policy does not trust");
  const tokenAction = claims.action === 'rollback' ? 'rollbackNow' : claims.action;
  if (tokenAction !== action) throw new RequestRefused(`token: it is not a ${action} token`);
  if (claims.deployment !== context.deploymentId && claims.deployment !== context.workflowId)
    throw new RequestRefused('token: it is for another deployment');
  if (typeof claims.exp !== 'number' || claims.exp * 1000 + EXPIRY_TOLERANCE_MS < context.nowMs)
    throw new RequestRefused('token: expired');
  if (typeof claims.jti !== 'string' || claims.jti === '')
    throw new RequestRefused('token: it has no unique id (jti)');
  if (context.usedTokenIds.has(claims.jti)) throw new RequestRefused('token: this token was already used');
  if (typeof claims.sub !== 'string' || claims.sub === '')
    throw new RequestRefused('token: it names no subject (sub)');
  return normalizeIdentity(claims.sub);
}

function name(request: ActionRequest, field: 'actor' | 'role'): void {
  const value: unknown = request[field];
  if (typeof value !== 'string' || value.length === 0)
    throw new RequestRefused(`${field}: required, a non-empty string`);
  if (value.length > MAX_NAME) throw new RequestRefused(`${field}: at most ${MAX_NAME} characters`);
  if (!NAME.test(value))
    throw new RequestRefused(
      `${field}: only letters, digits and . _ @ + - are allowed (no spaces, control characters or markup)`,
    );
}

function optionalString(request: ActionRequest, field: keyof ActionRequest, max: number): string | undefined {
  const value: unknown = request[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0)
    throw new RequestRefused(`${field}: must be a non-empty string`);
  if (value.length > max) throw new RequestRefused(`${field}: at most ${max} characters`);
  return value;
}

function freeText(request: ActionRequest, field: 'reason', max: number): void {
  const value = optionalString(request, field, max);
  if (value === undefined) return;
  if (CONTROL.test(value))
    throw new RequestRefused(`${field}: control characters (newlines, escape codes) are not allowed`);
  const credential = findCredential(value);
  if (credential !== undefined)
    throw new RequestRefused(
      `${field}: looks like it contains ${credential}; remove it (reasons are kept in history and the audit trail)`,
    );
}

/** Shown in refusals: never more than `max` characters, never a control character. */
export function printable(value: string, max: number): string {
  // eslint-disable-next-line no-control-regex -- replacing control characters is the point
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

// ---- base64url JSON, without Node builtins (workflow code) ----------------------------

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function decodeJsonPart(part: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(utf8(base64url(part)));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function base64url(text: string): number[] {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const value = ALPHABET.indexOf(char);
    if (value < 0) throw new Error('not base64url');
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return bytes;
}

function utf8(bytes: number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const extra = b < 0x80 ? 0 : b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : -1;
    if (extra < 0 || i + extra >= bytes.length + (extra === 0 ? 1 : 0)) throw new Error('not UTF-8');
    let code = extra === 0 ? b : b & (0x3f >> extra);
    for (let k = 1; k <= extra; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) throw new Error('not UTF-8');
      code = (code << 6) | (next & 0x3f);
    }
    out += String.fromCodePoint(code);
    i += extra + 1;
  }
  return out;
}
