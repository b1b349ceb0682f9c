import { CommanderError, InvalidArgumentError, type Command } from 'commander';
import type * as PolicySuggest from '../commands/policy-suggest';
import { parseDurationSeconds } from '../duration';
import { EXIT } from '../exit-codes';
import type * as PolicyCommands from '../commands/policy';

/** History `policy suggest` learns from when neither --days nor --window says. */
export const DEFAULT_DAYS = 7;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const policyCommands = (): typeof PolicyCommands => require('../commands/policy');

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return n;
}

function positiveInteger(value: string): number {
  const n = positiveNumber(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return n;
}

// commander reports a usage mistake with exit code 1, which here would read as "invalid policy".
function usageErrorsExitWith2(command: Command): Command {
  return command.exitOverride((error) => {
    if (error.exitCode === 0) throw error; // --help asked for
    throw new CommanderError(EXIT.usage, error.code, error.message);
  });
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const suggestCommand = (): typeof PolicySuggest => require('../commands/policy-suggest');

export function registerPolicyCommands(program: Command): void {
  const policy = usageErrorsExitWith2(
    program.command('policy').description('Check, explain and describe rollback policies'),
  );
  usageErrorsExitWith2(
    policy
      .command('validate')
      .description(
        'Validate policy files: exit 0 when all are valid, 2 when any is invalid or unreadable (as guard)',
      )
      .argument('<files...>', 'policy files, or release files (kind: Release) with every policy they name')
      .option('--json', 'print one JSON report per file')
      .action(async (files: string[], options: { json?: boolean }) =>
        policyCommands().validate(files, options),
      ),
  );
  usageErrorsExitWith2(
    policy
      .command('explain')
      .description('Explain in plain English what a policy (or a release file) makes ripcord do')
      .argument('<file>', 'policy file, or release file (kind: Release)')
      .action(async (file: string) => policyCommands().explain(file)),
  );
  usageErrorsExitWith2(
    policy
      .command('suggest')
      .description(
        "Propose tolerances, minimum traffic and alpha from a service's history in Prometheus, " +
          'explain each, check them with the decision core and print a policy that validates',
      )
      .requiredOption('--prometheus <url>', 'Prometheus base URL')
      .requiredOption('--service <name>', 'the service, as the {{service}} placeholder of the queries')
      .option(
        '--days <n>',
        `history to learn from, in days (fractions allowed; default ${DEFAULT_DAYS})`,
        positiveNumber,
      )
      .option(
        '--window <duration>',
        'history to learn from as a duration (90s, 10m, 2h), instead of --days',
        parseDurationSeconds,
      )
      .option('--policy <file>', "base policy: its signals' queries are read and its thresholds replaced")
      .option('--env <name>', "environment for {{environment}} (default: the base policy's, else production)")
      .option('--version <v>', 'read only this version (default: every version of the service)')
      .option(
        '--interval <seconds>',
        "evaluation interval (default: the base policy's, else 30)",
        positiveInteger,
      )
      .option(
        '--bearer-token-env <NAME>',
        'environment variable holding a bearer token for Prometheus (never printed)',
      )
      .option('--deploys-per-week <n>', 'deployments a week, for alpha', positiveNumber, 10)
      .option('--scenarios <n>', 'generated scenarios per check row', positiveInteger, 50)
      .option('--seed <n>', 'seed of the generated scenarios', positiveInteger, 1)
      .option('--out <file>', 'write the policy here (the report then goes to stdout)')
      .option('--json', 'print the proposal, the learned levels and the check as JSON')
      .action(async (flags: PolicySuggest.SuggestFlags) => suggestCommand().suggest(flags)),
  );
  usageErrorsExitWith2(
    policy
      .command('schema')
      .description('Print the JSON Schema of policy files, for editor completion')
      .action(async () => policyCommands().printSchema()),
  );
}
