import { deploymentProblems, planInputProblems } from '../activities/admit';
import type { LoadedPolicy } from '../policy';
import type { DeploymentInfo, GuardianInput } from '../model/guardian';
import { EXIT } from './exit-codes';
import { UserFacingError } from './errors';

/** The flags of `ripcord guard` that describe the deployment. */
export interface GuardFlags {
  service: string;
  env: string;
  version: string;
  previous: string;
  deploymentId: string;
  artifact?: string;
  previousDigest?: string;
  deployer?: string;
  /** Seconds; absent: the policy decides. */
  watch?: number;
}

/** Which flag sets which field, so that a problem found by admission is reported as the flag to fix. */
const FLAG_OF: Record<keyof DeploymentInfo, string> = {
  service: '--service',
  environment: '--env',
  version: '--version',
  previousVersion: '--previous',
  deploymentId: '--deployment-id',
  artifactDigest: '--artifact',
  previousDigest: '--previous-digest',
  deployer: '--deployer',
  deployedAt: '(the start time)',
};

/** "deployment.version: must be …" → "--version: must be …". */
export function asFlagProblem(problem: string): string {
  const match = /^deployment\.(\w+): (.*)$/s.exec(problem);
  const flag = match ? FLAG_OF[match[1] as keyof DeploymentInfo] : undefined;
  return flag && match ? `${flag}: ${match[2]}` : problem;
}

/**
 * Builds the guardian's input from the pipeline's flags, refusing (exit 2)
 * what admission would refuse anyway, before anything is started: a mismatch
 * with the policy's service or environment, or a malformed field.
 */
export function buildGuardianInput(loaded: LoadedPolicy, flags: GuardFlags, now: Date): GuardianInput {
  const { metadata } = loaded.policy;
  const problems: string[] = [];
  if (flags.service !== metadata.service) {
    problems.push(
      `--service "${flags.service}" does not match the policy's metadata.service "${metadata.service}" (${loaded.filename})`,
    );
  }
  if (flags.env !== metadata.environment) {
    problems.push(
      `--env "${flags.env}" does not match the policy's metadata.environment "${metadata.environment}" (${loaded.filename})`,
    );
  }
  const deployment: DeploymentInfo = {
    deploymentId: flags.deploymentId,
    service: flags.service,
    environment: flags.env,
    version: flags.version,
    previousVersion: flags.previous,
    deployedAt: now.toISOString(),
    ...(flags.artifact !== undefined ? { artifactDigest: flags.artifact } : {}),
    ...(flags.previousDigest !== undefined ? { previousDigest: flags.previousDigest } : {}),
    ...(flags.deployer !== undefined ? { deployer: flags.deployer } : {}),
  };
  if (flags.watch !== undefined) problems.push(...watchProblems(loaded, flags.watch));
  problems.push(...deploymentProblems(deployment).map(asFlagProblem));
  problems.push(...planInputProblems(loaded.policy, deployment).map(asFlagProblem));
  if (problems.length === 1) throw new UserFacingError(problems[0]!, EXIT.usage);
  if (problems.length > 1) {
    throw new UserFacingError(`${problems.length} problems:\n  ${problems.join('\n  ')}`, EXIT.usage);
  }
  return {
    deployment,
    policy: loaded.policy,
    policyHash: loaded.hash,
    ...(flags.watch !== undefined ? { watchSeconds: flags.watch } : {}),
  };
}

/**
 * A watch must judge at least one interval after the warm-up: a shorter one
 * sees no health data, so it could only escalate (no promotion without
 * evidence). Refused before anything starts, naming --watch and the policy's
 * fields.
 */
export function watchProblems(loaded: LoadedPolicy, watchSeconds: number): string[] {
  const { intervalSeconds, warmupSeconds } = loaded.policy.evaluation;
  const least = warmupSeconds + intervalSeconds;
  if (watchSeconds >= least) return [];
  const parts =
    warmupSeconds > 0
      ? `evaluation.warmupSeconds (${warmupSeconds}s) plus one evaluation interval, evaluation.intervalSeconds (${intervalSeconds}s)`
      : `one evaluation interval, evaluation.intervalSeconds (${intervalSeconds}s)`;
  return [
    `--watch ${watchSeconds}s is shorter than ${parts} in ${loaded.filename}: ` +
      `it would end before any health data is judged; use --watch ${least}s or longer`,
  ];
}
