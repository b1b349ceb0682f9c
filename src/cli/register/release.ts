import { type Command, Option } from 'commander';
import type * as Release from '../commands/release';
import { parseDurationSeconds } from '../duration';
import { OUTCOME_EXIT_CODES_HELP } from '../exit-codes';
import { parseSpeed } from '../speed';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const releaseCommand = (): typeof Release => require('../commands/release');

export function registerReleaseCommand(program: Command): void {
  program
    .command('release')
    .description(
      'guard a release of several services (from a pipeline): one parent workflow judges all members together ' +
        'and rolls back what caused a regression, in dependency order; a retried start joins the running one',
    )
    .requiredOption(
      '--file <release.yaml>',
      'the release: members, their policies and dependencies (docs/policy.md)',
    )
    .requiredOption(
      '--release-id <id>',
      "unique id of this release (every member's deployment id; approvals and `ripcord status <id>` name it)",
    )
    .option('--deployer <who>', 'who deployed (may not approve the rollback unless the policies allow it)')
    .option('--wait', 'show progress and wait for the outcome; the exit code tells it (below)')
    .option('--profile <name|file>', 'connection profile (default: local or $RIPCORD_PROFILE)')
    .option(
      '--replay <release-scenario>',
      'pipeline rehearsal: every member and outside service reads this release scenario (ripcord.release-scenario/v1) ' +
        'instead of its sources (the worker reads it; run it with --dry-run)',
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
    .addHelpText('after', `\n${OUTCOME_EXIT_CODES_HELP}\n  (without --wait: 0 once the release runs)`)
    .action(async (opts: Release.ReleaseOptions) => releaseCommand().release(opts));
}
