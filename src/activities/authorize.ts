import type { ActionTokenVerifier, SignedButRefused } from '../security/action-token-types';
import { normalizeIdentity, sameIdentity } from '../security/identity';
import { redactSecrets } from '../security/secrets';
import type { TokenClaimStore } from './token-claim';
import type { AuthorizeInput, AuthorizeResult } from '../model/activity-contract';

export type { ActionTokenVerifier, ExpectedAction, VerifiedClaims } from '../security/action-token-types';
export type { TokenClaimStore } from './token-claim';

const INTERIM =
  'interim check: identity as claimed by the requester, not verified (this worker runs with --insecure-claims or --dry-run and no trusted keys)';
const VERIFIED = 'verified token';

/**
 * Decides whether a person may do what they ask. Never throws for a denial: the
 * result says why, in words safe to show the requester (never token content).
 *
 * With a token verifier (the worker's normal mode) a request must carry a
 * signed token and only the verified subject and role count; the verifier
 * also binds the token to this guardian, this action and, for approve and
 * reject, the plan held now. Without one (a worker started with
 * --insecure-claims, or a dry run) the actor and role are trusted as claimed,
 * and every reason says so.
 *
 * Names are compared after normalizeIdentity (NFKC, lower case) everywhere:
 * subject against deployer and owners, role against the policy's roles and
 * owners. The result's subject and role are normalised, so the workflow's
 * "already approved" and distinct-role checks count people, not spellings.
 *
 * Single use: whenever the signature verified, the result carries the token's
 * id, also when the request is refused (the workflow spends it either way: a
 * token refused once is never valid later). With a claim store (a worker with
 * a Temporal client) the id is also claimed once for the whole namespace
 * before anything else is judged, so no other guardian accepts it later.
 * Without one (unit tests, fakes, a worker without a client) the namespace
 * claim is skipped and only the guardian's own set of used ids holds.
 */
export function authorizeAction(tokens: ActionTokenVerifier | undefined, claims?: TokenClaimStore) {
  return async (input: AuthorizeInput): Promise<AuthorizeResult> => {
    const identity = await identify(input, tokens);
    const signed = identity.signed;
    const basis = signed === undefined ? INTERIM : VERIFIED;
    const answer = (authorized: boolean, reason: string): AuthorizeResult => ({
      authorized,
      subject: identity.subject,
      role: identity.role,
      reason,
      ...(signed !== undefined ? { tokenId: signed.signedTokenId } : {}),
    });
    if (signed !== undefined && claims !== undefined) {
      // Claimed before anything is judged: a token refused here is spent in the whole namespace too.
      const claim = await claims.claim({
        tokenId: signed.signedTokenId,
        ...(signed.expiresAt !== undefined ? { until: signed.expiresAt } : {}),
        claimedBy: input.requestNonce ?? input.workflowId,
      });
      if (identity.refused === undefined && !claim.claimed) return answer(false, claim.reason);
    }
    if (identity.refused !== undefined) return answer(false, identity.refused);
    if (identity.subject === '') return answer(false, 'the request names nobody (an empty subject)');
    const decision = judge(input, identity.subject, identity.role, signed !== undefined);
    return answer(decision.ok, `${decision.reason}; ${basis}`);
  };
}

interface Identity {
  /**
   * Normalised: who acts. Verified when `signed` (also on a refusal after the
   * signature verified: the token's own subject); otherwise as claimed.
   */
  subject: string;
  role: string;
  /** Set whenever the token's signature verified, also when the request is refused after that. */
  signed?: SignedButRefused;
  /** Why the token was not accepted. */
  refused?: string;
}

async function identify(input: AuthorizeInput, tokens: ActionTokenVerifier | undefined): Promise<Identity> {
  const { request } = input;
  const claimed = { subject: normalizeIdentity(request.actor), role: normalizeIdentity(request.role) };
  if (tokens === undefined) return claimed;
  if (request.token === undefined) return { ...claimed, refused: `${input.action} requires a signed token` };
  try {
    const verified = await tokens.verify(request.token, {
      workflowId: input.workflowId,
      deploymentId: input.deployment.deploymentId,
      action: input.action,
      trustedKeyIds: input.trustedKeyIds,
      role: request.role,
      ...(input.planHash !== undefined ? { planHash: input.planHash } : {}),
    });
    return {
      subject: normalizeIdentity(verified.subject),
      role: normalizeIdentity(verified.role),
      signed: {
        signedTokenId: verified.tokenId,
        ...(verified.expiresAt !== undefined ? { expiresAt: verified.expiresAt } : {}),
      },
    };
  } catch (error) {
    // A verifier's own messages never quote the token; this is the last guard should another one do so.
    const why = redactSecrets(error instanceof Error ? error.message : 'invalid token', [request.token]);
    const signed = signedButRefused(error);
    if (signed === undefined) return { ...claimed, refused: `the token was not accepted: ${why}` };
    // The token is genuine, though refused: who it names is known, and counts instead of the claimed actor.
    return {
      ...claimed,
      ...(signed.subject !== undefined ? { subject: normalizeIdentity(signed.subject) } : {}),
      refused: `the token was not accepted: ${why}`,
      signed,
    };
  }
}

/** The token id a verifier's refusal carries when the signature verified (see SignedButRefused). */
function signedButRefused(error: unknown): SignedButRefused | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { signedTokenId, expiresAt, subject } = error as Partial<Record<keyof SignedButRefused, unknown>>;
  if (typeof signedTokenId !== 'string' || signedTokenId === '') return undefined;
  return {
    signedTokenId,
    ...(typeof expiresAt === 'string' ? { expiresAt } : {}),
    ...(typeof subject === 'string' && subject !== '' ? { subject } : {}),
  };
}

/**
 * The self-action rule. Unless the policy's `approval.allowSelfApproval` is
 * true, the deployer may take no action that could stop, delay or judge the
 * rollback of their own release:
 *
 *   approve      refused   judges the rollback
 *   reject       refused   judges it (and stops it)
 *   abort        refused   stops it (also before any rollback: the guardian would stop watching)
 *   pause        refused   delays it
 *   resume       allowed   moves toward safety
 *   rollbackNow  allowed   moves toward safety
 *
 * Someone else in an approval role (or, for abort and pause, another owner of
 * the service) acts instead; the refusal names who.
 */
const SELF_RESTRICTED = ['approve', 'reject', 'abort', 'pause'] as const;

function selfActionRefusal(input: AuthorizeInput, subject: string): string | undefined {
  const { action, deployment } = input;
  if (!(SELF_RESTRICTED as readonly string[]).includes(action)) return undefined;
  if (input.approval?.allowSelfApproval === true) return undefined;
  if (!sameIdentity(subject, deployment.deployer)) return undefined;
  const roles = input.approval?.roles ?? [];
  const others = input.owners.filter((owner) => !sameIdentity(owner, deployment.deployer));
  const who: string[] = [];
  if (roles.length > 0) who.push(`someone else in a role in ${roles.join(', ')}`);
  if ((action === 'abort' || action === 'pause') && others.length > 0)
    who.push(`another owner of the service (${others.join(', ')})`);
  const pass = roles.length > 0 ? ` (with ${orList(roles.map((r) => `--role ${r}`))})` : '';
  const instead =
    who.length > 0
      ? `${who.join(' or ')} may ${action} instead${pass}`
      : `nobody else may ${action} under this policy`;
  return (
    `${subject} deployed this version and may not ${action} its rollback ` +
    `(self-action rule: unless the policy sets approval.allowSelfApproval, the deployer may not approve, reject, ` +
    `abort or pause the rollback of their own release; resume and rollback stay open to them); ${instead}`
  );
}

function judge(
  input: AuthorizeInput,
  subject: string,
  role: string,
  verified: boolean,
): { ok: boolean; reason: string } {
  const roles = input.approval?.roles ?? [];
  const inRoles = roles.some((r) => sameIdentity(r, role));
  const self = selfActionRefusal(input, subject);
  if (self !== undefined) return deny(self);
  switch (input.action) {
    case 'approve':
    case 'reject': {
      const verb = input.action === 'approve' ? 'approve' : 'reject';
      if (input.approval === undefined) return deny(`the policy names no approvers, so nobody may ${verb}`);
      if (!inRoles) {
        return deny(
          `role "${role}" may not ${verb}; allowed roles: ${roles.join(', ')}; ${roleHint(roles, [], verified)}`,
        );
      }
      if (input.planHash === undefined) return deny(`there is no rollback plan to ${verb} yet`);
      if (input.request.planHash !== input.planHash) {
        return deny(
          `the request names plan ${String(input.request.planHash)}, but the current plan is ${input.planHash}`,
        );
      }
      return allow(`${subject} may ${verb} as ${role}`);
    }
    case 'abort':
    case 'pause':
    case 'resume':
    case 'rollbackNow': {
      if (inRoles) return allow(`${subject} may ${input.action} as ${role}`);
      if (input.owners.some((owner) => sameIdentity(owner, subject)))
        return allow(`${subject} may ${input.action} as an owner of the service`);
      // A verified role named like an owning team (granted by the token's issuer) counts as ownership;
      // a merely claimed one never does.
      if (verified && input.owners.some((owner) => sameIdentity(owner, role)))
        return allow(`${subject} may ${input.action} as a member of ${role}, an owner of the service`);
      const who = roles.length > 0 ? `a role in ${roles.join(', ')} or ` : '';
      const hint = roleHint(roles, input.owners, verified);
      return deny(
        `${input.action} needs ${who}an owner of the service (${input.owners.join(', ')})${hint === '' ? '' : `; ${hint}`}`,
      );
    }
  }
  // Validators should have stopped this; an action nobody defined is never allowed.
  return deny(`unknown action "${String(input.action)}"`);
}

/**
 * Which `--role` (or `--as`) the requester would pass to be allowed, for a
 * refusal to end with. With tokens (verified) the role counts only when the
 * token grants it, and a role named like an owning team counts as ownership;
 * without (claimed) an owner acts by name (`--as`), never by role.
 */
function roleHint(roles: readonly string[], owners: readonly string[], verified: boolean): string {
  const approverRoles = roles.map((r) => `--role ${r}`);
  if (verified) {
    const ownerRoles = owners.filter((o) => !roles.some((r) => sameIdentity(r, o))).map((o) => `--role ${o}`);
    const all = [...ownerRoles, ...approverRoles];
    if (all.length === 0) return '';
    if (ownerRoles.length > 0 && approverRoles.length > 0)
      return `pass ${orList(ownerRoles)} with a token that grants it, or ${orList(approverRoles)}`;
    return `pass ${orList(all)} with a token that grants it`;
  }
  const ownerNames = owners.map((o) => `--as ${o}`);
  if (approverRoles.length > 0 && ownerNames.length > 0)
    return `pass ${orList(approverRoles)}, or act as an owner (${orList(ownerNames)})`;
  if (approverRoles.length > 0) return `pass ${orList(approverRoles)}`;
  if (ownerNames.length > 0) return `act as an owner (${orList(ownerNames)})`;
  return '';
}

/** "a", "a or b", "a, b or c". */
function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function allow(reason: string) {
  return { ok: true, reason };
}
function deny(reason: string) {
  return { ok: false, reason };
}
