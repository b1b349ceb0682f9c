import { ApplicationFailure } from '@temporalio/common';
import { Policy, contentHash } from '../policy';
import { SHA256_DIGEST, SHA256_DIGEST_FORM } from '../policy/digest';
import type { DeploymentInfo } from '../model/guardian';
import type { AdmitInput, AdmitResult } from '../model/activity-contract';

export const INVALID_DEPLOYMENT_ERROR = 'InvalidDeploymentError';

// Names end up in workflow ids, search attributes, Prometheus labels and file names: keep them boring.
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DEPLOYMENT_ID = /^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+:@-]{0,127}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
// eslint-disable-next-line no-control-regex -- the point is to refuse control characters
const PRINTABLE = /^[^\u0000-\u001f\u007f]{1,200}$/;

/**
 * Checks a guardian's input before it watches anything: every field of the
 * deployment, the policy's validity, and that the policy is exactly the one
 * pinned by its hash (recomputed here the way the loader computes it:
 * `contentHash` of the normalised policy). A problem is a permanent failure
 * that names the field; retrying cannot fix a bad request.
 */
export function admitDeployment(
  now: () => Date,
  options: {
    refuseReplay?: boolean;
    tokensRequired?: boolean;
    stepTaskQueueFor?: (environment: string) => string;
  } = {},
) {
  return async (input: AdmitInput): Promise<AdmitResult> => {
    const problems = [
      ...deploymentProblems(input.deployment),
      ...policyProblems(input),
      ...(options.refuseReplay ? replayProblems(input) : []),
    ];
    if (problems.length > 0) {
      throw ApplicationFailure.nonRetryable(
        `deployment refused: ${problems.join('; ')}`,
        INVALID_DEPLOYMENT_ERROR,
      );
    }
    return {
      admittedAt: now().toISOString(),
      tokensRequired: options.tokensRequired !== false,
      ...(options.stepTaskQueueFor
        ? { stepTaskQueue: options.stepTaskQueueFor(input.deployment.environment) }
        : {}),
    };
  };
}

export function deploymentProblems(deployment: DeploymentInfo | undefined): string[] {
  if (typeof deployment !== 'object' || deployment === null) return ['deployment: required'];
  const problems: string[] = [];
  const check = (field: keyof DeploymentInfo, pattern: RegExp, expected: string, required: boolean) => {
    const value: unknown = deployment[field];
    if (value === undefined && !required) return;
    if (typeof value !== 'string' || !pattern.test(value)) {
      problems.push(`deployment.${field}: must be ${expected}${describe(field, value)}`);
    }
  };
  check('service', DNS_LABEL, 'a DNS label (lowercase letters, digits, "-"; 1-63)', true);
  check('environment', DNS_LABEL, 'a DNS label (lowercase letters, digits, "-"; 1-63)', true);
  check('deploymentId', DEPLOYMENT_ID, 'lowercase letters, digits, ".", "_" or "-" (1-128)', true);
  check('version', VERSION, '1-128 characters of [A-Za-z0-9._+:@-]', true);
  check('previousVersion', VERSION, '1-128 characters of [A-Za-z0-9._+:@-]', true);
  check('artifactDigest', SHA256_DIGEST, SHA256_DIGEST_FORM, false);
  check('previousDigest', SHA256_DIGEST, SHA256_DIGEST_FORM, false);
  check('deployer', PRINTABLE, '1-200 printable characters', false);
  check('deployedAt', ISO_TIME, 'an ISO 8601 time with a zone, e.g. 2026-01-01T12:00:00Z', true);
  if (
    typeof deployment.deployedAt === 'string' &&
    ISO_TIME.test(deployment.deployedAt) &&
    Number.isNaN(Date.parse(deployment.deployedAt))
  ) {
    problems.push('deployment.deployedAt: is not a real date and time');
  }
  if (typeof deployment.version === 'string' && deployment.version === deployment.previousVersion) {
    // Queries tell the baseline from the canary by version: equal versions would compare a group with itself.
    problems.push(
      'deployment.previousVersion: must differ from version (the groups are told apart by version)',
    );
  }
  return problems;
}

function policyProblems(input: AdmitInput): string[] {
  const parsed = Policy.safeParse(input.policy);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => {
      const where = issue.path.map(String).join('.');
      return `policy.${where}: ${issue.message}`;
    });
    return issues.length > 0 ? issues : ['policy: is not a valid rollback policy'];
  }
  const problems: string[] = [];
  const computed = contentHash(input.policy);
  if (input.policyHash !== computed) {
    problems.push(
      `policyHash: does not match the policy (given ${String(input.policyHash)}, computed ${computed}); ` +
        'the policy changed after it was pinned',
    );
  }
  const { service, environment } = input.policy.metadata;
  if (typeof input.deployment === 'object' && input.deployment !== null) {
    problems.push(...planInputProblems(input.policy, input.deployment));
    if (input.deployment.service !== service) {
      problems.push(
        `deployment.service: "${input.deployment.service}" is not the policy's service "${service}"`,
      );
    }
    if (input.deployment.environment !== environment) {
      problems.push(
        `deployment.environment: "${input.deployment.environment}" is not the policy's environment "${environment}"`,
      );
    }
  }
  return problems;
}

export const REPLAY_REFUSED =
  'this worker serves production and never reads replay data (only --dry-run or --accept-replay workers do)';

/**
 * On a worker that touches production, replay data is refused whichever way it
 * is named: a policy source of type replay (it reads any file the worker can
 * read, and judges a real deployment on made-up health) or a rehearsal's
 * replayed scenario. Checked on the raw input, before the policy is trusted.
 */
export function replayProblems(input: Pick<AdmitInput, 'policy' | 'replay'>): string[] {
  const problems: string[] = [];
  const sources: unknown = (input.policy as { sources?: unknown } | undefined)?.sources;
  if (typeof sources === 'object' && sources !== null) {
    for (const [name, source] of Object.entries(sources)) {
      if ((source as { type?: unknown } | null)?.type === 'replay') {
        problems.push(
          `policy.sources.${safeName(name)}: a replay source reads scenario files; ${REPLAY_REFUSED}`,
        );
      }
    }
  }
  if (input.replay !== undefined) {
    problems.push(`replay: a rehearsal replays a scenario file; ${REPLAY_REFUSED}`);
  }
  return problems;
}

// A source name from an input nobody checked yet: printable and short, or described.
function safeName(name: string): string {
  return /^[A-Za-z0-9_.-]{1,63}$/.test(name) ? name : `(a name of ${name.length} characters)`;
}

/**
 * What the rollback plan will need from the deployment, checked now rather
 * than when the plan is built: a revert-artifact step that pins no digest
 * returns to the deployment's previous digest, and without one the plan would
 * fail to build in the middle of an incident, after the regression was found.
 */
export function planInputProblems(policy: Policy, deployment: DeploymentInfo): string[] {
  if (deployment.previousDigest !== undefined) return [];
  return policy.plan.steps.flatMap((step, index) =>
    step.type === 'revert-artifact' && step.previousDigest === undefined
      ? [
          `deployment.previousDigest: required, because plan.steps[${index}] ("${step.name}") reverts the artifact ` +
            'and pins no previousDigest; give the digest to return to, or pin it in the policy',
        ]
      : [],
  );
}

// Show the offending value when it is short and harmless; never echo something huge.
function describe(field: keyof DeploymentInfo, value: unknown): string {
  if (value === undefined) return ' (missing)';
  if (field === 'deployer') return '';
  if (typeof value === 'string' && value.length <= 80) return ` (got ${JSON.stringify(value)})`;
  return ` (got ${typeof value === 'string' ? `${value.length} characters` : typeof value})`;
}
