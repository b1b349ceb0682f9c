import { EXIT } from './exit-codes';
import { UserFacingError } from './errors';

/** Who asks for an operator action, as the request will name them. */
export interface ActorClaim {
  actor: string;
  role: string;
}

/**
 * The actor and role a request claims. On a worker that verifies tokens the
 * signed token decides who acts and in which role; on one that trusts claims
 * (--dry-run, --insecure-claims) these are checked against the policy
 * (approval roles, service owners) and audited, but cannot be proven.
 */
export const ACTOR_CLAIM_HELP = [
  'Identity: --as defaults to $RIPCORD_ACTOR, else $USER; --role defaults to $RIPCORD_ROLE and is required.',
  'With --key or --token the signed token proves them; without one they are claims, which only a worker',
  'that trusts claims (--dry-run, --insecure-claims) accepts, after checking them against the policy.',
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
