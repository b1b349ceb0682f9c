import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { generateScenario, isScenarioKind, SCENARIO_KINDS, type ScenarioKind } from '../../simulate/generate';
import { expandScenarioPaths, loadScenarioFile, ScenarioFileError } from '../../simulate/scenario-files';
import { UserFacingError } from '../errors';

interface GenerateOptions {
  kind: ScenarioKind;
  seed: number;
  count: number;
  out: string;
  rps?: number;
  interval?: number;
  length?: number;
}

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
    .action(async (options: GenerateOptions) => {
      await mkdir(options.out, { recursive: true });
      for (let index = 0; index < options.count; index++) {
        const generated = generateScenario({
          kind: options.kind,
          seed: options.seed,
          index,
          ...(options.rps === undefined ? {} : { rps: options.rps }),
          ...(options.interval === undefined ? {} : { intervalSeconds: options.interval }),
          ...(options.length === undefined ? {} : { length: options.length }),
        });
        const file = path.join(options.out, `${generated.name}.json`);
        await writeFile(file, `${JSON.stringify(generated)}\n`);
        process.stdout.write(`${file}\n`);
      }
    });

  scenario
    .command('validate')
    .description('check scenario files against ripcord.scenario/v1 and list every problem with its path')
    .argument('<paths...>', 'scenario files or directories')
    .action(async (paths: string[]) => {
      let files: string[];
      try {
        files = await expandScenarioPaths(paths);
      } catch (err) {
        if (err instanceof ScenarioFileError) throw new UserFacingError(err.message);
        throw err;
      }
      let invalid = 0;
      for (const file of files) {
        try {
          const { scenario: s } = await loadScenarioFile(file);
          process.stdout.write(`ok ${file} (${s.name})\n`);
        } catch (err) {
          if (!(err instanceof ScenarioFileError)) throw err;
          invalid += 1;
          process.stderr.write(`invalid ${file}:\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
        }
      }
      if (invalid > 0) process.exitCode = 1;
    });

  scenario
    .command('kinds')
    .description('list the kinds `scenario generate` knows')
    .action(() => {
      process.stdout.write(`${SCENARIO_KINDS.join('\n')}\n`);
    });
}
