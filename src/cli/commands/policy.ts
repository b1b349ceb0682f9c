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
import { UserFacingError } from '../errors';

/** Exit codes of `ripcord policy ...`: CI scripts rely on them. */
const EXIT_VALID = 0;
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;

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
        'Validate policy files: exit 0 when all are valid, 1 when any is invalid, 2 when unreadable',
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
      .command('schema')
      .description('Print the JSON Schema of policy files, for editor completion')
      .action(() => {
        process.stdout.write(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
      }),
  );
}
