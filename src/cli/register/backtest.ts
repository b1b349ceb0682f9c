import { type Command, InvalidArgumentError } from 'commander';
import type * as Backtest from '../commands/backtest';
import { parseDurationSeconds } from '../duration';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const backtestCommand = (): typeof Backtest => require('../commands/backtest');

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(`expected a whole number above 0, got "${value}"`);
  return n;
}

export function registerBacktestCommand(program: Command): void {
  program
    .command('backtest')
    .description(
      'what a policy would have decided on past deployments: the readings their guardians recorded, ' +
        'replayed through the decision core under the new policy, next to what happened',
    )
    .requiredOption('--policy <file>', 'the new policy (YAML or JSON)')
    .option(
      '--since <duration>',
      'guardians started this long ago or later: 30d, 12h (default 30d)',
      parseDurationSeconds,
    )
    .option('--service <name>', "the service (default: the policy's; another service's readings are refused)")
    .option('--env <name>', "the environment (default: the policy's)")
    .option(
      '--include-rehearsals',
      'also backtest rehearsals (ripcord-rehearsal/… guardians, health from a scenario)',
    )
    .option('--limit <n>', 'read at most this many guardians, newest first', positiveInteger, 500)
    .option('--json', 'print the deployments and the summary as one JSON object')
    .option('--profile <name|file>', 'connection profile (default: local or $RIPCORD_PROFILE)')
    .addHelpText(
      'after',
      '\nEach guardian read its health every interval (a readHealthInterval local activity); those readings\n' +
        'are in its workflow history. They are replayed under --policy at the interval they were taken at,\n' +
        "over the new policy's watch. Where the readings end before it decides (the guardian rolled back or\n" +
        'stopped first), the new decision is "undecided", never a guess. Running guardians are skipped.\n' +
        'A policy is refused when the readings lack a series it reads, or read it by another query.\n' +
        '\nExit codes: 0 backtested, 1 nothing to backtest, the readings do not cover the policy, or Temporal\n' +
        'is unreachable, 2 usage error (bad flags, an invalid policy, a policy of another service).',
    )
    .action(async (flags: Backtest.BacktestFlags) => backtestCommand().backtest(flags));
}
