import { InvalidArgumentError, type Command } from 'commander';
import type * as Scenario from '../commands/scenario';
import type * as ScenarioRelease from '../commands/scenario-release';
import { isReleaseKind, RELEASE_KINDS, type ReleaseKind } from '../../releases/kinds';
import { isScenarioKind, SCENARIO_KINDS, type ScenarioKind } from '../../simulate/scenario-kinds';
import { UserFacingError } from '../errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const scenarioCommands = (): typeof Scenario => require('../commands/scenario');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const scenarioReleaseCommands = (): typeof ScenarioRelease => require('../commands/scenario-release');

/** A deployment kind, or a release kind with --release (checked in the action, which sees both flags). */
function parseKind(value: string): ScenarioKind | ReleaseKind {
  if (!isScenarioKind(value) && !isReleaseKind(value)) {
    throw new InvalidArgumentError(
      `unknown kind "${value}"; kinds: ${SCENARIO_KINDS.join(', ')}; with --release: ${RELEASE_KINDS.join(', ')}`,
    );
  }
  return value;
}

type GenerateFlags = Omit<Scenario.GenerateOptions, 'kind'> & {
  kind: ScenarioKind | ReleaseKind;
  release?: boolean;
};

/** `scenario generate`: deployment scenarios, or release scenarios with --release. */
async function generateAction(options: GenerateFlags): Promise<void> {
  const { release, kind, ...rest } = options;
  if (release === true) {
    if (!isReleaseKind(kind)) {
      throw new UserFacingError(
        `unknown release kind "${kind}"; with --release: ${RELEASE_KINDS.join(', ')}`,
        2,
      );
    }
    if (rest.rps !== undefined || rest.length !== undefined) {
      throw new UserFacingError(
        '--rps and --length are for deployment scenarios; a release draws its own',
        2,
      );
    }
    return scenarioReleaseCommands().generateReleases({
      kind,
      seed: rest.seed,
      count: rest.count,
      out: rest.out,
      ...(rest.interval === undefined ? {} : { interval: rest.interval }),
    });
  }
  if (!isScenarioKind(kind)) {
    throw new UserFacingError(
      `"${kind}" is a release kind: add --release, or pick one of ${SCENARIO_KINDS.join(', ')}`,
      2,
    );
  }
  return scenarioCommands().generate({ ...rest, kind });
}

function integerIn(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

function positiveNumber(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > max) {
      throw new InvalidArgumentError(`expected a number above 0 and at most ${max}, got "${value}"`);
    }
    return n;
  };
}

export function registerScenarioCommands(program: Command): void {
  const scenario = program.command('scenario').description('scenario files for `ripcord simulate`');

  scenario
    .command('generate')
    .description(
      'write seeded, reproducible scenario files (ripcord.scenario/v1, with truth) to rehearse policies; with --release, release scenarios (ripcord.release-scenario/v1)',
    )
    .requiredOption(
      '--kind <kind>',
      `one of: ${SCENARIO_KINDS.join(', ')}; with --release: ${RELEASE_KINDS.join(', ')}`,
      parseKind,
    )
    .option('--release', 'release scenarios: several services that ship together, on one dependency graph')
    .requiredOption('--seed <n>', 'seed: the same seed gives the same files', integerIn(0, 2 ** 31 - 1))
    .option('--count <k>', 'how many scenarios', integerIn(1, 10_000), 1)
    .requiredOption('--out <dir>', 'directory to write <name>.json files into (created if missing)')
    .option(
      '--rps <r>',
      'requests per second per group (default: drawn per scenario)',
      positiveNumber(100_000),
    )
    .option(
      '--interval <seconds>',
      'interval length in seconds (default: 10, 15 or 30; with --release 10, 15, 20 or 30)',
      integerIn(1, 3600),
    )
    .option(
      '--length <intervals>',
      'number of intervals (default: depends on traffic)',
      integerIn(2, 100_000),
    )
    .action(async (options: GenerateFlags) => generateAction(options));

  scenario
    .command('validate')
    .description('check scenario files against ripcord.scenario/v1 and list every problem with its path')
    .argument('<paths...>', 'scenario files or directories')
    .action(async (paths: string[]) => scenarioCommands().validate(paths));

  scenario
    .command('kinds')
    .description('list the kinds `scenario generate` knows')
    .action(() => {
      process.stdout.write(`${SCENARIO_KINDS.join('\n')}\n`);
    });
}
