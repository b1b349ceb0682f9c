import { type Command, Option } from 'commander';
import type * as Rehearse from '../commands/rehearse';
import { parseDurationSeconds } from '../duration';
import { OUTCOME_EXIT_CODES_HELP } from '../exit-codes';
import { parseSpeed } from '../speed';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const rehearseCommand = (): typeof Rehearse => require('../commands/rehearse');

export function registerRehearseCommand(program: Command): void {
  program
    .command('rehearse')
    .description(
      'tabletop exercise for a policy: the real guardian on Temporal, a scenario as its health source, ' +
        'a recording dry-run target instead of production, time compressed',
    )
    .requiredOption('--policy <file>', 'rollback policy (YAML or JSON)')
    .requiredOption(
      '--scenario <file>',
      "scenario file (ripcord.scenario/v1); its interval must be the policy's",
    )
    .option(
      '--speed <n>',
      'time compression: every wait is divided by n (default: one interval per second, the finest a Temporal timer resolves)',
      parseSpeed,
    )
    .option(
      '--profile <name|file>',
      'run on this Temporal server (default: $RIPCORD_PROFILE, else an embedded dev server)',
    )
    .option(
      '--state-dir <dir>',
      'where each rehearsal keeps its dry-run journal and audit trail',
      '.ripcord/rehearsals',
    )
    .addOption(
      new Option('--poll <duration>', 'progress poll interval').argParser(parseDurationSeconds).hideHelp(),
    )
    .addHelpText('after', `\n${OUTCOME_EXIT_CODES_HELP}\n  130 interrupted (Ctrl-C)`)
    .action(async (opts: Rehearse.RehearseOptions) => rehearseCommand().rehearse(opts));
}
