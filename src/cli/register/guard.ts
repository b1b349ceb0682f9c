import { type Command, Option } from 'commander';
import type * as Guard from '../commands/guard';
import { durationWithUnit, parseDurationSeconds } from '../duration';
import { OUTCOME_EXIT_CODES_HELP } from '../exit-codes';
import { parseSpeed } from '../speed';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const guardCommand = (): typeof Guard => require('../commands/guard');

export function registerGuardCommand(program: Command): void {
  program
    .command('guard')
    .description(
      'start the guardian of one deployment (from a pipeline); a retried start joins the running one',
    )
    .requiredOption(
      '--policy <file>',
      'rollback policy (YAML or JSON); its service and environment must match',
    )
    .requiredOption('--service <name>', 'service being deployed')
    .requiredOption('--env <name>', 'environment, e.g. production')
    .requiredOption('--version <version>', 'the new version')
    .requiredOption('--previous <version>', 'the version it replaces (the rollback target)')
    .requiredOption('--deployment-id <id>', 'unique id of this deployment')
    .option('--artifact <digest>', 'digest of the new artifact, sha256:<hex>')
    .option('--previous-digest <digest>', 'digest to return to on rollback, sha256:<hex>')
    .option('--deployer <who>', 'who deployed (may not approve the rollback unless the policy allows it)')
    .option(
      '--watch <duration>',
      'how long to watch before promoting, with a unit: 10m, 600s (default: from the policy)',
      durationWithUnit('--watch'),
    )
    .option('--wait', 'show progress and wait for the outcome; the exit code tells it (below)')
    .option('--profile <name|file>', 'connection profile (default: local or $RIPCORD_PROFILE)')
    .option(
      '--replay <scenario>',
      'pipeline rehearsal: replace every source of the policy by this scenario file (the worker reads it; ' +
        'run it with --dry-run); watches as long as the scenario lasts unless --watch says otherwise',
    )
    .option(
      '--speed <n>',
      'with --replay: time compression (default: one interval per second, as ripcord rehearse)',
      parseSpeed,
    )
    .addOption(
      new Option('--poll <duration>', 'how often --wait polls the status')
        .default(2)
        .argParser(parseDurationSeconds)
        .hideHelp(),
    )
    .addHelpText('after', `\n${OUTCOME_EXIT_CODES_HELP}\n  (without --wait: 0 once the guardian runs)`)
    .action(async (opts: Guard.GuardOptions) => guardCommand().guard(opts));
}
