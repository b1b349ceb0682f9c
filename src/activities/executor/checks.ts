import { isDeepStrictEqual } from 'node:util';
import { contentHash } from '../../policy';
import { PermanentStepError, type TargetRegistry } from '../../targets';
import type { ActionTokenVerifier } from '../../security/action-token-types';
import type { StepCheck } from '../../model/audit';
import type { ConfirmMemberOrderResult } from '../../model/activity-contract';
import { GUARDIAN_WORKFLOW_TYPE, type GuardianInput } from '../../model/guardian';
import type { PlannedStep, RollbackPlan, StepInput } from '../../model/plan';
import { stepIdempotencyKey } from '../plan/idempotency';
import { planHashOf } from '../plan/plan-hash';
import { checkApprovals } from './approvals';
import type { ExecutorHistory, ExecutorRun } from './history';

/**
 * The execute plane's checks (issue #21): before it runs a step or a
 * compensation, the executor asks Temporal, with its own client, and its own
 * keys, whether the step is one it should run. It never takes the decide
 * plane's word for it: a decide plane that sends it a step outside an approved
 * plan is refused.
 *
 *   caller       the activity was scheduled by a `guardian` workflow (Temporal
 *                names the caller; describe says its type), and the step's
 *                deployment is the one that guardian was started with;
 *   environment  the deployment is in the environment this executor serves;
 *   target       a target of this executor carries out the step's action for
 *                that deployment (a service-addressed target has its service);
 *   plan         the guardian's history holds the plan the step names (a
 *                buildRollbackPlan result, a member's order from its release,
 *                or the plan a gate carried across continue-as-new), whose
 *                content hashes to that hash under the guardian's pinned
 *                policy, and the step is that plan's step, key included;
 *   approvals    a high-risk plan: see approvals.ts.
 */

/** Who scheduled the activity, as Temporal told the worker. */
export interface Caller {
  workflowId: string;
  runId: string;
  workflowType?: string;
}

export interface ExecutorCheckDeps {
  /** The environment this executor serves. */
  environment: string;
  targets: TargetRegistry;
  /** The executor's own trusted approval keys; without them no high-risk plan runs. */
  tokens?: ActionTokenVerifier;
  now: () => Date;
}

/** A step the executor refuses: permanent (no retry can fix it), naming the failed check. */
export class StepRefusedError extends PermanentStepError {
  constructor(
    readonly check: StepCheck,
    readonly reason: string,
    environment: string,
  ) {
    super(`refused by the execute plane of ${environment} (check: ${check}): ${reason}`);
    this.name = 'StepRefusedError';
  }
}

/** What the checks established, for the log and the refusal's audit record. */
export interface CheckContext {
  /** The guardian's start input, once read. */
  guardian?: GuardianInput;
}

/** Where a plan was found in the guardian's history. */
export interface RecordedPlan {
  plan: RollbackPlan;
  /** When Temporal recorded the activity that returned it (absent for a plan carried across continue-as-new). */
  recordedAt?: string;
}

/**
 * Runs every check; throws StepRefusedError naming the first that fails.
 * Errors reading Temporal (unreachable, a timeout) are thrown as they are:
 * the activity is retried, and nothing runs meanwhile.
 */
export async function checkStep(
  input: StepInput,
  caller: Caller | undefined,
  history: ExecutorHistory,
  deps: ExecutorCheckDeps,
  context: CheckContext = {},
): Promise<void> {
  const refuse = (check: StepCheck, reason: string) => new StepRefusedError(check, reason, deps.environment);

  // ---- who asks (what Temporal told the worker) ----
  if (caller === undefined) throw refuse('caller', 'the step was not scheduled by a workflow');
  if (caller.workflowType !== GUARDIAN_WORKFLOW_TYPE) {
    throw refuse(
      'caller',
      `the step was scheduled by workflow ${caller.workflowId} of type "${caller.workflowType ?? 'unknown'}", not a ${GUARDIAN_WORKFLOW_TYPE}`,
    );
  }
  const malformed = malformedStep(input);
  if (malformed !== undefined) throw refuse('plan', malformed);
  const { deployment, step } = input;

  // ---- the environment and the target (no I/O) ----
  if (deployment.environment !== deps.environment) {
    throw refuse(
      'environment',
      `the deployment is in environment "${deployment.environment}"; this executor serves "${deps.environment}" only`,
    );
  }
  const served = deps.targets.serves(step.action.type, deployment);
  if (!served.ok) throw refuse('target', served.reason);

  // ---- who asks (what Temporal holds) ----
  const type = await history.workflowType(caller.workflowId, caller.runId);
  if (type === undefined) {
    throw refuse('caller', `Temporal knows no run ${caller.runId} of workflow ${caller.workflowId}`);
  }
  if (type !== GUARDIAN_WORKFLOW_TYPE) {
    throw refuse(
      'caller',
      `workflow ${caller.workflowId} is of type "${type}", not a ${GUARDIAN_WORKFLOW_TYPE}`,
    );
  }
  let run: ExecutorRun;
  try {
    run = await history.run(caller.workflowId, caller.runId);
  } catch (error) {
    if (error instanceof Error && error.name === 'HistoryDecodeError') {
      throw refuse('caller', `cannot read the guardian's history: ${error.message}`);
    }
    throw error;
  }
  const guardian = guardianInputOf(run.input);
  if (guardian === undefined) {
    throw refuse('caller', `guardian ${caller.workflowId} has no readable start input`);
  }
  context.guardian = guardian;
  if (!isDeepStrictEqual(guardian.deployment, deployment)) {
    throw refuse(
      'caller',
      `the step's deployment (${describeDeployment(deployment)}) is not the one guardian ${caller.workflowId} ` +
        `was started with (${describeDeployment(guardian.deployment)})`,
    );
  }

  // ---- the plan ----
  const recorded = recordedPlan(input, run, guardian, (reason) => refuse('plan', reason));

  // ---- approvals ----
  if (recorded.plan.risk === 'high') {
    const refusal = await checkApprovals({
      guardianId: caller.workflowId,
      guardian,
      run,
      recorded,
      history,
      tokens: deps.tokens,
      now: deps.now,
    });
    if (refusal !== undefined) throw refuse('approvals', refusal);
  }
}

/** The plan the step names, as the guardian's history holds it, checked against the step. */
function recordedPlan(
  input: StepInput,
  run: ExecutorRun,
  guardian: GuardianInput,
  refuse: (reason: string) => StepRefusedError,
): RecordedPlan {
  const { planHash, step, deployment } = input;
  const pinned = contentHash(guardian.policy);
  if (pinned !== guardian.policyHash) {
    throw refuse(
      `the guardian's policy hashes to ${pinned}, not to the hash it was pinned by (${guardian.policyHash})`,
    );
  }
  const candidates = plansOf(run, guardian).filter((r) => r.plan.planHash === planHash);
  if (candidates.length === 0) {
    throw refuse(
      `no plan ${planHash} is recorded in the history of guardian ${run.workflowId} (run ${run.runId})`,
    );
  }
  const found = candidates.find((r) => hashOf(r.plan) === planHash);
  if (found === undefined) {
    throw refuse(`the recorded plan ${planHash} does not hash to its hash: its content was changed`);
  }
  const { plan } = found;
  if (plan.policyHash !== guardian.policyHash) {
    throw refuse(
      `plan ${planHash} was built under policy ${plan.policyHash}, not the guardian's ${guardian.policyHash}`,
    );
  }
  if (plan.deploymentId !== deployment.deploymentId) {
    throw refuse(`plan ${planHash} is for deployment ${plan.deploymentId}, not ${deployment.deploymentId}`);
  }
  const planned = plan.steps[step.index];
  if (planned === undefined) {
    throw refuse(`plan ${planHash} has ${plan.steps.length} step(s); it has no step ${step.index}`);
  }
  if (!isDeepStrictEqual(planned, step)) {
    throw refuse(
      `step ${step.index} "${step.name}" is not step ${step.index} of plan ${planHash} ` +
        `("${planned.name}"): ${firstDifference(planned, step)}`,
    );
  }
  const key = stepIdempotencyKey(deployment.deploymentId, planHash, step.index);
  if (step.idempotencyKey !== key) {
    throw refuse(
      `step ${step.index} "${step.name}": its idempotency key does not belong to plan ${planHash}`,
    );
  }
  return found;
}

/** Every plan the run recorded: built, ordered by its release (a member), or carried by a gate. */
function plansOf(run: ExecutorRun, guardian: GuardianInput): RecordedPlan[] {
  const plans: RecordedPlan[] = [];
  const resume = guardian.carried?.resume;
  if (resume?.phase === 'gate' && isPlan(resume.plan)) plans.push({ plan: resume.plan });
  for (const call of run.calls) {
    if (call.state !== 'completed') continue;
    const at = call.closedAt !== undefined ? { recordedAt: call.closedAt } : {};
    if (call.type === 'buildRollbackPlan' && isPlan(call.result)) plans.push({ plan: call.result, ...at });
    // A member's plan is its part of its release's plan, in the order it read back from its parent.
    if (call.type === 'confirmMemberOrder' && guardian.release !== undefined) {
      const order = (call.result as Partial<ConfirmMemberOrderResult> | undefined)?.order;
      if (order?.kind === 'rollback' && isPlan(order.plan)) plans.push({ plan: order.plan, ...at });
    }
  }
  return plans;
}

/** The plan's hash recomputed from its content, as the builder computes it; undefined when it cannot be. */
export function hashOf(plan: RollbackPlan): string | undefined {
  try {
    return planHashOf(plan);
  } catch {
    return undefined;
  }
}

function isPlan(value: unknown): value is RollbackPlan {
  if (typeof value !== 'object' || value === null) return false;
  const plan = value as Partial<RollbackPlan>;
  return typeof plan.planHash === 'string' && Array.isArray(plan.steps);
}

function guardianInputOf(value: unknown): GuardianInput | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const input = value as Partial<GuardianInput>;
  if (typeof input.deployment !== 'object' || input.deployment === null) return undefined;
  if (typeof input.policy !== 'object' || input.policy === null) return undefined;
  if (typeof input.policyHash !== 'string') return undefined;
  return input as GuardianInput;
}

/** Why the step input cannot be a step at all (the checks need its parts), or undefined. */
function malformedStep(input: StepInput | undefined): string | undefined {
  const shape = input as Partial<StepInput> | undefined;
  if (typeof shape !== 'object' || shape === null) return 'the step input is not an object';
  if (typeof shape.planHash !== 'string') return 'the step input names no plan hash';
  const deployment = shape.deployment as Partial<StepInput['deployment']> | undefined;
  if (typeof deployment !== 'object' || deployment === null) return 'the step input names no deployment';
  if (typeof deployment.environment !== 'string' || typeof deployment.deploymentId !== 'string')
    return 'the step input names no deployment id and environment';
  const step = shape.step as Partial<PlannedStep> | undefined;
  if (typeof step !== 'object' || step === null) return 'the step input holds no step';
  if (!Number.isInteger(step.index) || (step.index ?? -1) < 0) return 'the step has no index';
  if (typeof step.action !== 'object' || step.action === null || typeof step.action.type !== 'string')
    return 'the step has no action';
  return undefined;
}

function describeDeployment(deployment: Partial<StepInput['deployment']> | undefined): string {
  if (deployment === undefined) return 'none';
  return `${String(deployment.service)} ${String(deployment.version)} in ${String(deployment.environment)}, id ${String(deployment.deploymentId)}`;
}

/** The first field where two steps differ, in words (a path, never a value that could be long). */
function firstDifference(expected: unknown, actual: unknown, path = 'step'): string {
  if (isDeepStrictEqual(expected, actual)) return 'no difference';
  if (
    typeof expected === 'object' &&
    expected !== null &&
    typeof actual === 'object' &&
    actual !== null &&
    Array.isArray(expected) === Array.isArray(actual)
  ) {
    const a = expected as Record<string, unknown>;
    const b = actual as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      if (!Object.hasOwn(b, key)) return `${path}.${key} is missing`;
      if (!Object.hasOwn(a, key)) return `${path}.${key} is not in the plan`;
      if (!isDeepStrictEqual(a[key], b[key])) return firstDifference(a[key], b[key], `${path}.${key}`);
    }
  }
  return `${path} differs`;
}
