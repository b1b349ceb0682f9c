import path from 'node:path';
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
import { watchSecondsFor } from '../../backtest/replay';
import { explainRelease } from '../../releases/release-explain';
import {
  isReleaseFile,
  loadReleaseFile,
  ReleaseFileError,
  type LoadedRelease,
} from '../../releases/release-file';
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
  | { kind: 'unreadable'; reason: string }
  | { kind: 'valid-release'; release: LoadedRelease }
  | { kind: 'invalid-release'; problems: string[] };

async function check(file: string): Promise<Outcome> {
  // A release file (kind: Release) is checked with every policy it names.
  if (await isReleaseFile(file)) {
    try {
      return { kind: 'valid-release', release: await loadReleaseFile(file) };
    } catch (error) {
      if (error instanceof ReleaseFileError) return { kind: 'invalid-release', problems: error.problems };
      if (error instanceof PolicyReadError) return { kind: 'unreadable', reason: error.message };
      throw error;
    }
  }
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

function printProblems(file: string, problems: string[]): void {
  process.stdout.write(
    `invalid ${file}: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}\n`,
  );
}

/** The policies a release file names, each with the field that names it. */
function releasePolicies(release: LoadedRelease) {
  return [
    ...release.members.map((m, i) => ({
      field: `members[${i}]`,
      service: m.service,
      file: m.policy.filename,
      hash: m.policy.hash,
    })),
    ...release.outside.map((o, i) => ({
      field: `outside[${i}]`,
      service: o.service,
      file: o.policy.filename,
      hash: o.policy.hash,
      ...(o.policyDefaulted ? { defaulted: true } : {}),
    })),
  ];
}

function printRelease(file: string, release: LoadedRelease): void {
  const lines = [`ok ${file} (release ${release.name}, ${release.members.length} member(s))`];
  for (const p of releasePolicies(release)) {
    const note = 'defaulted' in p ? ", the first member's policy" : '';
    lines.push(`  ok ${p.field} ${p.service}: ${path.relative(process.cwd(), p.file)} (${p.hash})${note}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function jsonReport(file: string, outcome: Outcome): Record<string, unknown> {
  switch (outcome.kind) {
    case 'valid':
      return { file, valid: true, hash: outcome.loaded.hash };
    case 'invalid':
      return { file, valid: false, issues: outcome.issues };
    case 'unreadable':
      return { file, valid: false, error: outcome.reason };
    case 'valid-release':
      return {
        file,
        valid: true,
        kind: 'Release',
        name: outcome.release.name,
        policies: releasePolicies(outcome.release),
      };
    case 'invalid-release':
      return { file, valid: false, kind: 'Release', problems: outcome.problems };
  }
}

/** `ripcord policy validate`: every file, one verdict each; the exit code is the worst. */
export async function validate(files: string[], options: { json?: boolean }): Promise<void> {
  let exitCode = EXIT_VALID;
  for (const file of files) {
    const outcome = await check(file);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(jsonReport(file, outcome))}\n`);
    } else if (outcome.kind === 'valid') {
      process.stdout.write(`ok ${file} (${outcome.loaded.hash})\n`);
    } else if (outcome.kind === 'invalid') {
      printIssues(file, outcome.issues);
    } else if (outcome.kind === 'valid-release') {
      printRelease(file, outcome.release);
    } else if (outcome.kind === 'invalid-release') {
      printProblems(file, outcome.problems);
    } else {
      process.stderr.write(`ripcord: ${outcome.reason}\n`);
    }
    const code =
      outcome.kind === 'valid' || outcome.kind === 'valid-release'
        ? EXIT_VALID
        : outcome.kind === 'unreadable'
          ? EXIT_USAGE
          : EXIT_INVALID;
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
  if (outcome.kind === 'invalid-release') {
    printProblems(file, outcome.problems);
    process.exitCode = EXIT_INVALID;
    return;
  }
  if (outcome.kind === 'valid-release') {
    process.stdout.write(`${file}\n\n`);
    process.stdout.write(
      explainRelease(outcome.release, {
        watchSecondsOf: (policy) => watchSecondsFor(policy, policy.evaluation.intervalSeconds),
      }),
    );
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
