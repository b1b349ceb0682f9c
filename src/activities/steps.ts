import { ApplicationFailure } from '@temporalio/common';
import { PermanentStepError, StepVerificationError, type TargetRegistry } from '../targets';
import { activityLog, stepContext } from './activity-context';
import { stepIdempotencyKey } from './plan/idempotency';
import {
  type CompensationOutcome,
  PERMANENT_STEP_ERROR,
  type StepInput,
  type StepOutcome,
  VERIFICATION_FAILED,
} from '../model/plan';

/**
 * Runs one plan step: resolve its target, apply it (idempotent by key), then
 * read the target back. Errors keep their meaning for the workflow's retry
 * policy: permanent ones are non-retryable PERMANENT_STEP_ERROR, a read-back
 * that differs is a retryable VERIFICATION_FAILED, anything else (a network
 * blip) is retried as it is.
 */
export function executeStep(targets: TargetRegistry) {
  return async (input: StepInput): Promise<StepOutcome> =>
    asStepFailure(async () => {
      const { step } = input;
      checkKey(input);
      if (step.irreversible) {
        throw new PermanentStepError(
          `step ${step.index} "${step.name}" is irreversible: no machine may run it, a person must take over`,
        );
      }
      const target = targets.resolve(step.action.type);
      const ctx = stepContext(input.deployment, input.planHash);
      ctx.heartbeat({ step: step.index, phase: 'apply' });
      const result = await target.apply(step, ctx);
      ctx.heartbeat({ step: step.index, phase: 'verify' });
      const verified = step.verify.targetState
        ? await target.verify(step, ctx)
        : 'target state not read back (verify.targetState is off)';
      activityLog().info('step done', {
        step: step.index,
        name: step.name,
        target: target.name,
        applied: result.applied,
        verified,
      });
      return { applied: result.applied, verified };
    });
}

/** Undoes one step (also one that was applied only in part); idempotent like the step itself. */
export function compensateStep(targets: TargetRegistry) {
  return async (input: StepInput): Promise<CompensationOutcome> =>
    asStepFailure(async () => {
      checkKey(input);
      const target = targets.resolve(input.step.action.type);
      const ctx = stepContext(input.deployment, input.planHash);
      ctx.heartbeat({ step: input.step.index, phase: 'compensate' });
      const outcome = await target.compensate(input.step, ctx);
      activityLog().info('step compensated', { step: input.step.index, name: input.step.name, ...outcome });
      return outcome;
    });
}

/**
 * The key must be the one the plan derives: a step carrying another key could
 * otherwise be applied a second time under a new name.
 */
function checkKey({ deployment, planHash, step }: StepInput): void {
  const expected = stepIdempotencyKey(deployment.deploymentId, planHash, step.index);
  if (step.idempotencyKey !== expected) {
    throw new PermanentStepError(
      `step ${step.index} "${step.name}": idempotency key does not belong to plan ${planHash}`,
    );
  }
}

async function asStepFailure<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof PermanentStepError) {
      throw ApplicationFailure.nonRetryable(error.message, PERMANENT_STEP_ERROR);
    }
    if (error instanceof StepVerificationError) {
      throw ApplicationFailure.retryable(error.message, VERIFICATION_FAILED);
    }
    throw error;
  }
}
