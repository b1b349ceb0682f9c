import type { Command } from 'commander';
import type * as Simulate from '../commands/simulate';
import type * as SimulateRelease from '../commands/simulate-release';
import { UserFacingError } from '../errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const simulateCommand = (): typeof Simulate => require('../commands/simulate');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const simulateReleaseCommand = (): typeof SimulateRelease => require('../commands/simulate-release');

type SimulateFlags = Omit<Simulate.SimulateOptions, 'scenario'> &
  Partial<Pick<Simulate.SimulateOptions, 'scenario'>> &
  Partial<Pick<SimulateRelease.SimulateReleaseOptions, 'releaseScenario' | 'release'>>;

/** Deployment scenarios (--scenario) or release scenarios (--release-scenario), one kind per run. */
async function simulateAction(options: SimulateFlags): Promise<void> {
  const { scenario, releaseScenario, release, ...common } = options;
  if ((scenario === undefined) === (releaseScenario === undefined)) {
    throw new UserFacingError('pass either --scenario or --release-scenario', 2);
  }
  if (releaseScenario !== undefined) {
    if (common.plot !== undefined) throw new UserFacingError('--plot charts deployment scenarios only', 2);
    return simulateReleaseCommand().simulateRelease({
      policy: common.policy,
      releaseScenario,
      ...(release === undefined ? {} : { release }),
      ...(common.json === undefined ? {} : { json: common.json }),
    });
  }
  if (release !== undefined) throw new UserFacingError('--release goes with --release-scenario', 2);
  return simulateCommand().simulate({ ...common, scenario: scenario as string[] });
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'replay scenario files through the decision core with a policy, as the guardian would see them (docs/architecture.md §4)',
    )
    .requiredOption('--policy <file>', 'rollback policy (YAML)')
    .option('--scenario <paths...>', 'scenario files or directories of *.json scenario files')
    .option(
      '--release-scenario <paths...>',
      'release scenario files (ripcord.release-scenario/v1) or directories of them: judge releases across members',
    )
    .option(
      '--release <release.yaml>',
      'judge them as this release: its members, dependsOn and mode, each member under its own policy',
    )
    .option('--json', 'one JSON object per scenario per line, nothing else on stdout')
    .option('--plot <file.html>', 'also write a self-contained HTML page charting every scenario')
    .addHelpText(
      'after',
      '\nEach scenario is evaluated at its own interval length (intervalSeconds in the file); every\n' +
        'duration in the policy is in seconds and applies unchanged. Scenario truth is never read.\n' +
        'With --release-scenario every member of a release is judged under --policy, then the release\n' +
        'across members (isolated, cascade, systemic); each JSON line is {"scenario", "decision",\n' +
        '"rollback" (members in the order rolled back), "decidedAtIndex", "reason"}. With --release the\n' +
        "release file says the members, their dependsOn and the mode, and each member's policy judges it;\n" +
        '--policy judges only the services the file gives no policy for.',
    )
    .action(async (options: SimulateFlags) => simulateAction(options));
}
