import { writeFile } from 'node:fs/promises';
import { PolicyValidationError } from '../../policy';
import { SecretError } from '../../security/secrets';
import {
  formatSuggestion,
  NotEnoughDataError,
  RangeQueryError,
  suggestionJson,
  suggestPolicy,
  SuggestedPolicyInvalidError,
} from '../../suggest';
import { PrometheusRequestError } from '../../sources/prometheus/client';
import { UserFacingError } from '../errors';
import { DEFAULT_DAYS } from '../register/policy';
import { EXIT_FAILED, EXIT_INVALID, EXIT_USAGE, printIssues } from './policy';

/**
 * `ripcord policy suggest`, apart from the other policy commands: it alone
 * needs Prometheus, the statistics and the scenario generator, which
 * `policy validate` and `policy explain` should not load.
 */

export interface SuggestFlags {
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

/** `ripcord policy suggest`: the policy on stdout, the report on stderr (or both on stdout with --out). */
export async function suggest(flags: SuggestFlags): Promise<void> {
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
