import { EXIT } from './exit-codes';
import { UserFacingError } from './errors';

/** Who asks for an operator action, as the request will name them. */
export interface ActorClaim {
  actor: string;
  role: string;
}

/**
 * Until signed tokens arrive (security issue), the actor and role are claims:
 * the guardian's authorisation activity checks them against the policy
 * (approval roles, service owners) and writes them to the audit trail, but it
 * cannot prove them.
 */
export const ACTOR_CLAIM_HELP = [
  'Identity: --as defaults to $RIPCORD_ACTOR, else $USER; --role defaults to $RIPCORD_ROLE and is required.',
  'Until signed tokens arrive (security issue) these are claims: the guardian checks them against the',
  "policy's approval roles and owners and records them in the audit trail, but cannot verify them.",
].join('\n');

export function resolveActor(
  flags: { as?: string; role?: string },
  env: NodeJS.ProcessEnv = process.env,
): ActorClaim {
  const actor = (flags.as ?? env.RIPCORD_ACTOR ?? env.USER ?? '').trim();
  const role = (flags.role ?? env.RIPCORD_ROLE ?? '').trim();
  if (!actor) throw new UserFacingError('who is asking? pass --as <actor> or set RIPCORD_ACTOR', EXIT.usage);
  if (!role) {
    throw new UserFacingError(
      'a role is required: pass --role <role> or set RIPCORD_ROLE (the policy says which roles may act)',
      EXIT.usage,
    );
  }
  return { actor, role };
}
