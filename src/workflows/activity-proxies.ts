import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { GuardianActivityContract } from '../model/activity-contract';
import type { PlannedStep } from '../model/plan';
import { PERMANENT_STEP_ERROR } from '../model/plan';

/**
 * How the guardian calls its activities. Bookkeeping activities retry a few
 * times; a step activity gets the retry policy its policy step declares.
 */
export const bookkeeping = proxyActivities<GuardianActivityContract>({
  startToCloseTimeout: '30 seconds',
  retry: {
    maximumAttempts: 5,
    initialInterval: '1 second',
    nonRetryableErrorTypes: ['InvalidDeploymentError', 'PlanError'],
  },
});

/**
 * Health reads, as a local activity: it runs inside the workflow task its
 * timer opened, so an evaluation is one workflow task instead of two plus an
 * activity task. A read is idempotent, so running it again after a crash
 * (what a local activity does) is harmless. A source failure is data (an
 * error reading), so a retry is only for the activity itself.
 */
export function localHealthActivities(intervalSeconds: number) {
  return proxyLocalActivities<GuardianActivityContract>({
    startToCloseTimeout: `${Math.max(5, Math.min(intervalSeconds, 60))} seconds`,
    retry: { maximumAttempts: 3, initialInterval: '1 second' },
  });
}

/** Notifications never hold the guardian up: short, few attempts, and nobody waits for them. */
export const notifications = proxyActivities<GuardianActivityContract>({
  startToCloseTimeout: '20 seconds',
  retry: { maximumAttempts: 3, initialInterval: '2 seconds' },
});

/** `taskQueue`: the execute plane of the deployment's environment (absent: the guardian's own queue). */
export function stepActivities(step: PlannedStep, taskQueue?: string) {
  return proxyActivities<GuardianActivityContract>({
    ...(taskQueue !== undefined ? { taskQueue } : {}),
    startToCloseTimeout: `${step.timeoutSeconds + step.verify.timeoutSeconds} seconds`,
    // Steps heartbeat every few seconds; a dead worker is noticed within this, and the step resumes elsewhere.
    heartbeatTimeout: `${Math.min(15, step.timeoutSeconds)} seconds`,
    retry: {
      maximumAttempts: step.retries.maxAttempts,
      initialInterval: `${step.retries.initialSeconds} seconds`,
      backoffCoefficient: step.retries.multiplier,
      maximumInterval: `${step.retries.maxSeconds} seconds`,
      nonRetryableErrorTypes: [PERMANENT_STEP_ERROR],
    },
  });
}
