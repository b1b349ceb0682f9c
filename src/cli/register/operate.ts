import { type Command, Option } from 'commander';
import type { GuardianAction } from '../../model/actions';
import type * as Operate from '../commands/operate';

/** The operator's commands do their work in commands/operate, loaded (with the Temporal client) when one runs. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const operate = (): typeof Operate => require('../commands/operate');

const IDENTITY_HELP = [
  'Identity: a signed token says who acts. Pass one with --token <jws> (or $RIPCORD_TOKEN), from',
  '`ripcord token issue` or your sign-on, or sign one here with --key <private JWK> for --as and --role',
  '(it is bound to this guardian, this action and, for approve/reject, the plan shown; valid 5 minutes).',
  'With a token, --as and --role default to its subject and its only role. Without any token the request',
  'carries --as/$RIPCORD_ACTOR (else $USER) and --role/$RIPCORD_ROLE as unverified claims, which only a',
  'worker started with --insecure-claims or --dry-run accepts.',
].join('\n');

function withLocateOptions(command: Command): Command {
  return (
    command
      .argument('<id>', 'deployment id, or the full workflow id ripcord/<env>/<service>/<deployment-id>')
      .option('--service <name>', 'with --env: the service of the deployment id (skips the lookup)')
      .option('--env <name>', 'with --service: the environment of the deployment id')
      // The guardian's approval notice spells it --environment; accept that too.
      .addOption(new Option('--environment <name>').hideHelp())
      .option('--profile <name|file>', 'connection profile (default: local or $RIPCORD_PROFILE)')
  );
}

const ACTIONS: Array<{ name: string; action: GuardianAction; description: string; judges?: true }> = [
  {
    name: 'approve',
    action: 'approve',
    description: 'approve the rollback plan the guardian waits on',
    judges: true,
  },
  {
    name: 'reject',
    action: 'reject',
    description: 'reject the rollback plan the guardian waits on',
    judges: true,
  },
  { name: 'abort', action: 'abort', description: 'stop the guardian (a rollback under way is undone first)' },
  { name: 'pause', action: 'pause', description: 'pause evaluations until resumed' },
  { name: 'resume', action: 'resume', description: 'resume evaluations after a pause' },
  {
    name: 'rollback',
    action: 'rollbackNow',
    description: 'roll back now (manual trigger), through the same plan and gate',
  },
];

export function registerOperateCommands(program: Command): void {
  withLocateOptions(
    program.command('status').description('show what a guardian is doing and why, with its Web UI link'),
  )
    .option('--json', 'print the status object only')
    .action(async (id: string, flags: Operate.StatusFlags) => operate().status(id, flags));

  for (const { name, action, description, judges } of ACTIONS) {
    const command = withLocateOptions(program.command(name).description(description));
    if (judges)
      command.option('--plan <hash>', 'the plan hash you judge; refused if it is not the current plan');
    command
      .option('--reason <text>', 'why (kept in the audit trail)')
      .option('--token <jws>', 'signed action token (default: $RIPCORD_TOKEN)')
      .option('--key <file>', 'sign a token here with this private JWK, for --as and --role')
      .option('--as <actor>', 'who is asking (default: the token subject, else $RIPCORD_ACTOR, else $USER)')
      .option('--role <role>', 'the role you act in (default: the token role, else $RIPCORD_ROLE)')
      .addHelpText('after', `\n${IDENTITY_HELP}\nExit codes: 0 accepted, 1 refused or failed, 2 usage error.`)
      .action(async (id: string, flags: Operate.ActionFlags) => operate().act(action, id, flags));
  }

  program
    .command('list')
    .description('list running guardians (from search attributes), newest first')
    .option('--service <name>', 'only this service')
    .option('--env <name>', 'only this environment')
    .option('--all', 'closed guardians too')
    .option('--json', 'print the rows as JSON')
    .option('--profile <name|file>', 'connection profile (default: local or $RIPCORD_PROFILE)')
    .action(async (flags: Operate.ListFlags) => operate().list(flags));
}
