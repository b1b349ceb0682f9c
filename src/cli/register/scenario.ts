import { InvalidArgumentError, type Command } from 'commander';
import type * as Scenario from '../commands/scenario';
import { isScenarioKind, SCENARIO_KINDS, type ScenarioKind } from '../../simulate/scenario-kinds';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const scenarioCommands = (): typeof Scenario => require('../commands/scenario');

function parseKind(value: string): ScenarioKind {
  if (!isScenarioKind(value)) {
    throw new InvalidArgumentError(`unknown kind "${value}"; kinds: ${SCENARIO_KINDS.join(', ')}`);
  }
  return value;
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
      'write seeded, reproducible scenario files (ripcord.scenario/v1, with truth) to rehearse policies',
    )
    .requiredOption('--kind <kind>', `one of: ${SCENARIO_KINDS.join(', ')}`, parseKind)
    .requiredOption('--seed <n>', 'seed: the same seed gives the same files', integerIn(0, 2 ** 31 - 1))
    .option('--count <k>', 'how many scenarios', integerIn(1, 10_000), 1)
    .requiredOption('--out <dir>', 'directory to write <name>.json files into (created if missing)')
    .option(
      '--rps <r>',
      'requests per second per group (default: drawn per scenario)',
      positiveNumber(100_000),
    )
    .option('--interval <seconds>', 'interval length in seconds (default: 10, 15 or 30)', integerIn(1, 3600))
    .option(
      '--length <intervals>',
      'number of intervals (default: depends on traffic)',
      integerIn(2, 100_000),
    )
    .action(async (options: Scenario.GenerateOptions) => scenarioCommands().generate(options));

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
