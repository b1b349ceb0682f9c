import type { ActionTokenVerifier } from '../security/action-token-types';
import { redactSecrets } from '../security/secrets';
import type { AuthorizeInput, AuthorizeResult } from './types';

export type { ActionTokenVerifier, ExpectedAction, VerifiedClaims } from '../security/action-token-types';

const INTERIM =
  'interim check: identity as claimed by the requester, not verified (this worker runs with --insecure-claims or --dry-run and no trusted keys)';

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
 */
export function authorizeAction(tokens: ActionTokenVerifier | undefined) {
  return async (input: AuthorizeInput): Promise<AuthorizeResult> => {
    const identity = await identify(input, tokens);
    if ('denied' in identity) return identity.denied;
    const decision = judge(input, identity.subject, identity.role, identity.tokenId !== undefined);
    const basis = identity.tokenId === undefined ? INTERIM : 'verified token';
    return {
      authorized: decision.ok,
      subject: identity.subject,
      role: identity.role,
      reason: `${decision.reason}; ${basis}`,
      ...(identity.tokenId !== undefined ? { tokenId: identity.tokenId } : {}),
    };
  };
}

async function identify(
  input: AuthorizeInput,
  tokens: ActionTokenVerifier | undefined,
): Promise<{ subject: string; role: string; tokenId?: string } | { denied: AuthorizeResult }> {
  const { request } = input;
  if (tokens === undefined) return { subject: request.actor, role: request.role };
  const deny = (reason: string): { denied: AuthorizeResult } => ({
    denied: { authorized: false, subject: request.actor, role: request.role, reason },
  });
  if (request.token === undefined) return deny(`${input.action} requires a signed token`);
  try {
    const claims = await tokens.verify(request.token, {
      workflowId: input.workflowId,
      deploymentId: input.deployment.deploymentId,
      action: input.action,
      trustedKeyIds: input.trustedKeyIds,
      role: request.role,
      ...(input.planHash !== undefined ? { planHash: input.planHash } : {}),
    });
    return { subject: claims.subject, role: claims.role, tokenId: claims.tokenId };
  } catch (error) {
    // A verifier's own messages never quote the token; this is the last guard should another one do so.
    const why = redactSecrets(error instanceof Error ? error.message : 'invalid token', [request.token]);
    return deny(`the token was not accepted: ${why}`);
  }
}

function judge(
  input: AuthorizeInput,
  subject: string,
  role: string,
  verified: boolean,
): { ok: boolean; reason: string } {
  const roles = input.approval?.roles ?? [];
  switch (input.action) {
    case 'approve':
    case 'reject': {
      const verb = input.action === 'approve' ? 'approve' : 'reject';
      if (input.approval === undefined) return deny(`the policy names no approvers, so nobody may ${verb}`);
      if (!roles.includes(role))
        return deny(`role "${role}" may not ${verb}; allowed roles: ${roles.join(', ')}`);
      if (input.planHash === undefined) return deny(`there is no rollback plan to ${verb} yet`);
      if (input.request.planHash !== input.planHash) {
        return deny(
          `the request names plan ${String(input.request.planHash)}, but the current plan is ${input.planHash}`,
        );
      }
      // Rejecting the rollback of one's own deploy is the same conflict of interest as approving it.
      if (
        !input.approval.allowSelfApproval &&
        input.deployment.deployer !== undefined &&
        subject === input.deployment.deployer
      ) {
        return deny(
          `${subject} deployed this version and may not ${verb} its rollback (allowSelfApproval is off)`,
        );
      }
      return allow(`${subject} may ${verb} as ${role}`);
    }
    case 'abort':
    case 'pause':
    case 'resume':
    case 'rollbackNow': {
      if (roles.includes(role)) return allow(`${subject} may ${input.action} as ${role}`);
      if (input.owners.includes(subject))
        return allow(`${subject} may ${input.action} as an owner of the service`);
      // A verified role named like an owning team (granted by the token's issuer) counts as ownership;
      // a merely claimed one never does.
      if (verified && input.owners.includes(role))
        return allow(`${subject} may ${input.action} as a member of ${role}, an owner of the service`);
      const who = roles.length > 0 ? `a role in ${roles.join(', ')} or ` : '';
      return deny(`${input.action} needs ${who}an owner of the service (${input.owners.join(', ')})`);
    }
  }
  // Validators should have stopped this; an action nobody defined is never allowed.
  return deny(`unknown action "${String(input.action)}"`);
}

function allow(reason: string) {
  return { ok: true, reason };
}
function deny(reason: string) {
  return { ok: false, reason };
}
