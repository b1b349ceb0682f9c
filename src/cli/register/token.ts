import { type Command, Option } from 'commander';
import type * as Token from '../commands/token';
import { parseDurationSeconds } from '../duration';

/** The iss claim of tokens this CLI signs (token issue, and --key on the operator's commands). */
export const DEFAULT_ISSUER = 'ripcord-cli';

const collect = (value: string, previous: string[]) => [...previous, value];
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tokenCommands = (): typeof Token => require('../commands/token');

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
    .action(async (flags: Token.IssueFlags) => tokenCommands().issue(flags));

  token
    .command('keygen')
    .description('write a private JWK and a JWKS with its public key (development and the demo)')
    .requiredOption('--out <dir>', 'directory for <kid>.private.jwk.json and jwks.json (added to if present)')
    .option('--kid <id>', 'key id, as the policy will name it in trustedKeys.approvals')
    .addOption(new Option('--alg <alg>', 'signature algorithm').choices(['EdDSA', 'ES256']).default('EdDSA'))
    .action(async (flags: Token.KeygenFlags) => tokenCommands().keygen(flags));
}
