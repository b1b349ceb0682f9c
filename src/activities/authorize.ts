import type { GuardianAction } from '../workflows/messages';
import type { AuthorizeInput, AuthorizeResult } from './types';

/**
 * What a verified token says; produced by the verifier that arrives with the
 * security issue (JWS over subject, role, deployment, action, expiry; DESIGN §5).
 */
export interface VerifiedClaims {
  subject: string;
  role: string;
  /** Unique per token; the workflow remembers it so a token is used once. */
  tokenId: string;
}

/** Verifies an action token against the policy's trusted approval keys; throws with a reason safe to show. */
export interface ActionTokenVerifier {
  verify(
    token: string,
    expected: { workflowId: string; deploymentId: string; action: GuardianAction; trustedKeyIds: string[] },
  ): Promise<VerifiedClaims>;
}

const INTERIM =
  'interim check: identity as claimed by the requester (signed tokens arrive with the security issue)';

/**
 * Decides whether a person may do what they ask. Never throws for a denial: the
 * result says why, in words safe to show the requester (never token content).
 *
 * Until signed tokens exist this trusts the actor and role the request claims;
 * every reason says so. With a token verifier configured, a request must carry
 * a token and only the verified subject and role count.
 */
export function authorizeAction(tokens: ActionTokenVerifier | undefined) {
  return async (input: AuthorizeInput): Promise<AuthorizeResult> => {
    const identity = await identify(input, tokens);
    if ('denied' in identity) return identity.denied;
    const decision = judge(input, identity.subject, identity.role);
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
    });
    return claims;
  } catch (error) {
    return deny(`the token was not accepted: ${error instanceof Error ? error.message : 'invalid token'}`);
  }
}

function judge(input: AuthorizeInput, subject: string, role: string): { ok: boolean; reason: string } {
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
