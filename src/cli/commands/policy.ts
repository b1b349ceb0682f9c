import { CommanderError, type Command } from 'commander';
import {
  explainPolicy,
  formatIssue,
  loadPolicyFile,
  policyJsonSchema,
  PolicyReadError,
  PolicyValidationError,
  type LoadedPolicy,
  type PolicyIssue,
} from '../../policy';
import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import { SecretError } from '../../security/secrets';
import {
  formatSuggestion,
  NotEnoughDataError,
  RangeQueryError,
  suggestionJson,
  suggestPolicy,
  SuggestedPolicyInvalidError,
} from '../../policy/suggest';
import { PrometheusRequestError } from '../../sources/prometheus/client';
import { parseDurationSeconds } from '../duration';
import { UserFacingError } from '../errors';

/** Exit codes of `ripcord policy ...`: CI scripts rely on them. */
const EXIT_VALID = 0;
const EXIT_USAGE = 2;
/**
 * An invalid policy is a usage error, as for `guard`, `simulate` and `rehearse`:
 * the same file gives the same exit code whichever command reads it.
 */
const EXIT_INVALID = EXIT_USAGE;
/** Something failed that is not the user's input (suggest's own proposal did not validate). */
const EXIT_FAILED = 1;

type Outcome =
  | { kind: 'valid'; loaded: LoadedPolicy }
  | { kind: 'invalid'; issues: PolicyIssue[] }
  | { kind: 'unreadable'; reason: string };

async function check(file: string): Promise<Outcome> {
  try {
    return { kind: 'valid', loaded: await loadPolicyFile(file) };
  } catch (error) {
    if (error instanceof PolicyValidationError) return { kind: 'invalid', issues: error.issues };
    if (error instanceof PolicyReadError) return { kind: 'unreadable', reason: error.message };
    throw error;
  }
}

function printIssues(file: string, issues: PolicyIssue[]): void {
  const lines = issues.map((issue) => `  ${formatIssue(issue)}`);
  process.stdout.write(`invalid ${file}: ${issues.length} problem(s)\n${lines.join('\n')}\n`);
}

async function validate(files: string[], options: { json?: boolean }): Promise<void> {
  let exitCode = EXIT_VALID;
  for (const file of files) {
    const outcome = await check(file);
    if (options.json) {
      const report =
        outcome.kind === 'valid'
          ? { file, valid: true, hash: outcome.loaded.hash }
          : outcome.kind === 'invalid'
            ? { file, valid: false, issues: outcome.issues }
            : { file, valid: false, error: outcome.reason };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else if (outcome.kind === 'valid') {
      process.stdout.write(`ok ${file} (${outcome.loaded.hash})\n`);
    } else if (outcome.kind === 'invalid') {
      printIssues(file, outcome.issues);
    } else {
      process.stderr.write(`ripcord: ${outcome.reason}\n`);
    }
    const code =
      outcome.kind === 'valid' ? EXIT_VALID : outcome.kind === 'invalid' ? EXIT_INVALID : EXIT_USAGE;
    exitCode = Math.max(exitCode, code);
  }
  process.exitCode = exitCode;
}

async function explain(file: string): Promise<void> {
  const outcome = await check(file);
  if (outcome.kind === 'unreadable') throw new UserFacingError(outcome.reason, EXIT_USAGE);
  if (outcome.kind === 'invalid') {
    printIssues(file, outcome.issues);
    process.exitCode = EXIT_INVALID;
    return;
  }
  const { loaded } = outcome;
  process.stdout.write(`${file} (${loaded.hash})\n\n`);
  process.stdout.write(explainPolicy(loaded.policy, { defaultedPaths: loaded.defaultedPaths }));
}

interface SuggestFlags {
  prometheus: string;
  service: string;
  env?: string;
  days?: number;
  window?: number;
  policy?: string;
  out?: string;
  json?: boolean;
  bearerTokenEnv?: string;
  version?: string;
  interval?: number;
  deploysPerWeek: number;
  scenarios: number;
  seed: number;
}

const DEFAULT_DAYS = 7;

async function suggest(flags: SuggestFlags): Promise<void> {
  if (flags.days !== undefined && flags.window !== undefined) {
    throw new UserFacingError('pass either --days or --window, not both', EXIT_USAGE);
  }
  const windowSeconds = flags.window ?? Math.round((flags.days ?? DEFAULT_DAYS) * 86_400);
  let result;
  try {
    result = await suggestPolicy({
      prometheusUrl: flags.prometheus,
      service: flags.service,
      ...(flags.env ? { environment: flags.env } : {}),
      windowSeconds,
      ...(flags.policy ? { basePolicyFile: flags.policy } : {}),
      ...(flags.bearerTokenEnv ? { bearerTokenEnv: flags.bearerTokenEnv } : {}),
      ...(flags.version ? { version: flags.version } : {}),
      ...(flags.interval !== undefined ? { intervalSeconds: flags.interval } : {}),
      deploysPerWeek: flags.deploysPerWeek,
      scenariosPerCase: flags.scenarios,
      seed: flags.seed,
    });
  } catch (error) {
    // What the user can fix (the base policy, the data, the server, a secret) is said in one line.
    if (error instanceof PolicyValidationError) {
      printIssues(flags.policy ?? 'base policy', error.issues);
      throw new UserFacingError('the base policy is invalid', EXIT_INVALID);
    }
    if (error instanceof SuggestedPolicyInvalidError) throw new UserFacingError(error.message, EXIT_FAILED);
    const known =
      error instanceof NotEnoughDataError ||
      error instanceof RangeQueryError ||
      error instanceof PrometheusRequestError ||
      error instanceof SecretError ||
      (error as NodeJS.ErrnoException).code === 'ENOENT';
    if (known) throw new UserFacingError((error as Error).message, EXIT_USAGE);
    throw error;
  }
  if (flags.out) await writeFile(flags.out, result.policyText);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(suggestionJson(result), null, 2)}\n`);
    return;
  }
  if (flags.out) {
    process.stdout.write(`${formatSuggestion(result)}Written to ${flags.out}.\n`);
    return;
  }
  // The report goes to stderr so that stdout is the policy alone: `... > policy.yaml` works.
  process.stderr.write(formatSuggestion(result));
  process.stdout.write(result.policyText);
}

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
    throw new CommanderError(EXIT_USAGE, error.code, error.message);
  });
}

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
      .argument('<files...>', 'policy files (YAML or JSON)')
      .option('--json', 'print one JSON report per file')
      .action(validate),
  );
  usageErrorsExitWith2(
    policy
      .command('explain')
      .description('Explain in plain English what a policy makes ripcord do')
      .argument('<file>', 'policy file (YAML or JSON)')
      .action(explain),
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
      .action(suggest),
  );
  usageErrorsExitWith2(
    policy
      .command('schema')
      .description('Print the JSON Schema of policy files, for editor completion')
      .action(() => {
        process.stdout.write(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
      }),
  );
}
