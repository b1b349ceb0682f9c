import { generateActionKey, writeActionKey } from '../../security/action-keys';
import {
  ActionTokenError,
  type ActionTokenAlgorithm,
  issueActionToken,
  parseAction,
  readPrivateJwk,
} from '../../security/action-tokens';
import { EXIT } from '../exit-codes';
import { UserFacingError } from '../errors';

/**
 * Action tokens from the command line: `token keygen` makes a signing key and
 * a JWKS for development and the demo; `token issue` signs one token. In
 * production tokens come from whatever holds the signing key behind your
 * sign-on; this is the same format.
 */

export interface IssueFlags {
  key: string;
  sub: string;
  role: string[];
  action: string;
  deployment: string;
  plan?: string;
  ttl: number;
  issuer: string;
}

/** Longer than this and a token stops being "for one decision". */
const MAX_TTL_SECONDS = 24 * 3600;

/** `ripcord token issue`: prints the token alone. */
export async function issue(flags: IssueFlags): Promise<void> {
  let action;
  try {
    action = parseAction(flags.action);
  } catch (err) {
    throw new UserFacingError((err as Error).message, EXIT.usage);
  }
  if (flags.role.length === 0) throw new UserFacingError('at least one --role is required', EXIT.usage);
  if (flags.ttl > MAX_TTL_SECONDS) {
    throw new UserFacingError(`--ttl may be at most 24h (workers refuse longer-lived tokens)`, EXIT.usage);
  }
  if ((action === 'approve' || action === 'reject') && !flags.plan) {
    throw new UserFacingError(
      `an ${action} token is bound to one plan: pass --plan <hash> (ripcord status shows it)`,
      EXIT.usage,
    );
  }
  try {
    const token = await issueActionToken({
      privateJwk: await readPrivateJwk(flags.key),
      subject: flags.sub,
      roles: flags.role,
      action,
      deployment: flags.deployment,
      ...(flags.plan ? { plan: flags.plan } : {}),
      ttlSeconds: flags.ttl,
      issuer: flags.issuer,
    });
    process.stdout.write(`${token}\n`);
  } catch (err) {
    if (err instanceof ActionTokenError) throw new UserFacingError(err.message);
    throw err;
  }
}

export interface KeygenFlags {
  out: string;
  kid?: string;
  alg: ActionTokenAlgorithm;
}

/** `ripcord token keygen`. */
export async function keygen(flags: KeygenFlags): Promise<void> {
  const kid = flags.kid ?? `ripcord-${new Date().toISOString().slice(0, 10)}-${flags.alg.toLowerCase()}`;
  try {
    const written = await writeActionKey(flags.out, await generateActionKey(kid, flags.alg));
    process.stdout.write(
      [
        `key id        ${kid} (${flags.alg})`,
        `private key   ${written.privateKeyFile} (mode 0600: keep it to whoever signs tokens)`,
        `public keys   ${written.jwksFile} (give it to the worker: --approval-keys ${written.jwksFile})`,
        `policy        trustedKeys: { approvals: [${kid}] }`,
        '',
      ].join('\n'),
    );
  } catch (err) {
    if (err instanceof ActionTokenError) throw new UserFacingError(err.message);
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UserFacingError(
        `a private key for "${kid}" already exists in ${flags.out}; choose another --kid`,
      );
    }
    throw err;
  }
}
