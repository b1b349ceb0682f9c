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
export const EXIT_USAGE = 2;
/**
 * An invalid policy is a usage error, as for `guard`, `simulate` and `rehearse`:
 * the same file gives the same exit code whichever command reads it.
 */
export const EXIT_INVALID = EXIT_USAGE;
/** Something failed that is not the user's input (suggest's own proposal did not validate). */
export const EXIT_FAILED = 1;

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

export function printIssues(file: string, issues: PolicyIssue[]): void {
  const lines = issues.map((issue) => `  ${formatIssue(issue)}`);
  process.stdout.write(`invalid ${file}: ${issues.length} problem(s)\n${lines.join('\n')}\n`);
}

/** `ripcord policy validate`: every file, one verdict each; the exit code is the worst. */
export async function validate(files: string[], options: { json?: boolean }): Promise<void> {
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

/** `ripcord policy explain`. */
export async function explain(file: string): Promise<void> {
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

/** `ripcord policy schema`. */
export function printSchema(): void {
  process.stdout.write(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
}
