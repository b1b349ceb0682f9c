import { InvalidArgumentError, type Command } from 'commander';
import type * as Scenario from '../commands/scenario';
import type * as ScenarioRelease from '../commands/scenario-release';
import type * as ScenarioRecord from '../commands/scenario-record';
import { isReleaseKind, RELEASE_KINDS, type ReleaseKind } from '../../releases/kinds';
import { isScenarioKind, SCENARIO_KINDS, type ScenarioKind } from '../../simulate/scenario-kinds';
import { parseDurationSeconds } from '../duration';
import { UserFacingError } from '../errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const scenarioCommands = (): typeof Scenario => require('../commands/scenario');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const scenarioReleaseCommands = (): typeof ScenarioRelease => require('../commands/scenario-release');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const scenarioRecordCommand = (): typeof ScenarioRecord => require('../commands/scenario-record');

/** `--from`/`--to`: an ISO 8601 time (2026-01-01T12:00:00Z) or Unix seconds, as Unix seconds. */
function parseMoment(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) {
    throw new InvalidArgumentError(
      `expected an ISO 8601 time (2026-01-01T12:00:00Z) or Unix seconds, got "${value}"`,
    );
  }
  return ms / 1000;
}

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
    if (rest.histogram === true) {
      throw new UserFacingError('--histogram is for deployment scenarios, not releases', 2);
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
    .option(
      '--histogram',
      'also write latency histograms (latency_le_<ms>, bounds 25 ms to 5 s) and compute latency_p99_ms from them ' +
        'as histogram_quantile does; without it, the same seed gives the same files as before',
    )
    .action(async (options: GenerateFlags) => generateAction(options));

  scenario
    .command('validate')
    .description('check scenario files against ripcord.scenario/v1 and list every problem with its path')
    .argument('<paths...>', 'scenario files or directories')
    .action(async (paths: string[]) => scenarioCommands().validate(paths));

  scenario
    .command('record')
    .description(
      'write a scenario file (ripcord.scenario/v1, no truth) from Prometheus history: a real incident as a ' +
        'rehearsal and a regression test',
    )
    .requiredOption('--service <name>', 'the service, as {{service}} in the queries')
    .requiredOption('--baseline <version>', "the baseline's version, as {{version}} in its queries")
    .requiredOption('--canary <version>', "the canary's version, as {{version}} in its queries")
    .requiredOption(
      '--from <time>',
      'start of the window: ISO 8601 (2026-01-01T12:00:00Z) or Unix seconds',
      parseMoment,
    )
    .requiredOption('--to <time>', 'end of the window, as --from', parseMoment)
    .requiredOption('--out <file.json>', 'the scenario file to write')
    .option(
      '--policy <file>',
      "read the series its signals use, with its queries and sources (default: the demo service's metrics, " +
        'as the example policies read them)',
    )
    .option(
      '--interval <duration>',
      "one value per interval: 30s, 1m (default: the policy's evaluation interval, else 30s)",
      parseDurationSeconds,
    )
    .option(
      '--prometheus <url>',
      "Prometheus base URL (default: the policy's sources; required without --policy)",
    )
    .option('--env <name>', "environment, as {{environment}} (default: the policy's, else production)")
    .option(
      '--bearer-token-env <NAME>',
      'environment variable holding a bearer token for Prometheus (never printed)',
    )
    .option('--name <name>', 'the scenario name (default: <service>-<canary>-<from>)')
    .addHelpText(
      'after',
      '\nEach value is what a guardian evaluating at the end of that interval would have read: the query at\n' +
        'that moment, through query_range with one step per interval. A histogram series becomes\n' +
        '<name>_le_<ms> series. Add `truth` by hand to make the file a regression test; `ripcord simulate`\n' +
        'and `ripcord rehearse` run it as it is.\n' +
        '\nExit codes: 0 written, 1 Prometheus failed or returned what no scenario can hold, 2 usage error.',
    )
    .action(async (flags: ScenarioRecord.RecordFlags) => scenarioRecordCommand().record(flags));

  scenario
    .command('kinds')
    .description('list the kinds `scenario generate` knows')
    .action(() => {
      process.stdout.write(`${SCENARIO_KINDS.join('\n')}\n`);
    });
}
