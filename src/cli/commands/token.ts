import { type Command, Option } from 'commander';
import { generateActionKey, writeActionKey } from '../../security/action-keys';
import {
  ActionTokenError,
  type ActionTokenAlgorithm,
  issueActionToken,
  parseAction,
  readPrivateJwk,
} from '../../security/action-tokens';
import { parseDurationSeconds } from '../duration';
import { EXIT } from '../exit-codes';
import { UserFacingError } from '../errors';

/**
 * Action tokens from the command line: `token keygen` makes a signing key and
 * a JWKS for development and the demo; `token issue` signs one token. In
 * production tokens come from whatever holds the signing key behind your
 * sign-on; this is the same format.
 */

interface IssueFlags {
  key: string;
  sub: string;
  role: string[];
  action: string;
  deployment: string;
  plan?: string;
  ttl: number;
  issuer: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];
/** Longer than this and a token stops being "for one decision". */
const MAX_TTL_SECONDS = 24 * 3600;
export const DEFAULT_ISSUER = 'ripcord-cli';

async function issue(flags: IssueFlags): Promise<void> {
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

async function keygen(flags: { out: string; kid?: string; alg: ActionTokenAlgorithm }): Promise<void> {
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

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('signed action tokens: make keys, issue tokens');

  token
    .command('issue')
    .description(
      'sign an action token and print it (pass it to approve, abort, ... with --token or $RIPCORD_TOKEN)',
    )
    .requiredOption('--key <file>', 'private JWK file (from token keygen)')
    .requiredOption('--sub <subject>', 'who acts (the person, as your sign-on names them)')
    .option('--role <role>', 'a role the subject holds (repeatable; at least one)', collect, [])
    .requiredOption('--action <action>', 'approve, reject, abort, pause, resume or rollback')
    .requiredOption(
      '--deployment <id>',
      'the deployment id, or the guardian workflow id ripcord/<env>/<service>/<id> (unambiguous)',
    )
    .option('--plan <hash>', 'the plan hash an approve or reject judges (required for those)')
    .option('--ttl <duration>', 'lifetime, e.g. 10m (at most 24h)', parseDurationSeconds, 600)
    .option('--issuer <iss>', 'the iss claim (workers may accept only some issuers)', DEFAULT_ISSUER)
    .addHelpText('after', '\nPrints only the token. Exit codes: 0 printed, 1 failed, 2 usage error.')
    .action(issue);

  token
    .command('keygen')
    .description('write a private JWK and a JWKS with its public key (development and the demo)')
    .requiredOption('--out <dir>', 'directory for <kid>.private.jwk.json and jwks.json (added to if present)')
    .option('--kid <id>', 'key id, as the policy will name it in trustedKeys.approvals')
    .addOption(new Option('--alg <alg>', 'signature algorithm').choices(['EdDSA', 'ES256']).default('EdDSA'))
    .action(keygen);
}
