import type { Retries } from './schema/common';
import type { Deployment, DeploymentPattern } from './schema/deployment';
import type { PlanStep, PlanStepType } from './schema/plan';

/**
 * Facts about rollback plans that both the cross-field rules and `explain`
 * rely on; kept in one place so that what is checked is what is explained.
 */

/** Which steps make sense for each pattern, and which one takes the new version out of service. */
export const STEPS_FOR_PATTERN: Record<
  DeploymentPattern,
  { allowed: readonly PlanStepType[]; removesNewVersion: PlanStepType }
> = {
  canary: {
    allowed: ['shift-traffic', 'revert-artifact', 'down-migration', 'webhook'],
    removesNewVersion: 'shift-traffic',
  },
  'blue-green': {
    allowed: ['swap-blue-green', 'revert-artifact', 'down-migration', 'webhook'],
    removesNewVersion: 'swap-blue-green',
  },
  'feature-flag': {
    allowed: ['disable-flag', 'down-migration', 'webhook'],
    removesNewVersion: 'disable-flag',
  },
  rolling: {
    allowed: ['revert-artifact', 'down-migration', 'webhook'],
    removesNewVersion: 'revert-artifact',
  },
};

/** The highest share of traffic the new version can hold when a rollback starts. */
export function highestNewVersionWeight(deployment: Deployment | undefined): number {
  if (deployment?.pattern === 'canary') return Math.max(...deployment.steps.map((s) => s.weight));
  return 100;
}

/** The new version's weight after each stage of a shift-traffic step, starting from `fromWeight`. */
export function trafficStages(
  step: Extract<PlanStep, { type: 'shift-traffic' }>,
  fromWeight: number,
): number[] {
  if (step.weights !== undefined) return step.weights;
  const percent = step.stepPercent ?? 100;
  const stages: number[] = [];
  for (let weight = fromWeight - percent; weight > 0; weight -= percent) stages.push(roundWeight(weight));
  stages.push(0);
  return stages;
}

function roundWeight(weight: number): number {
  return Math.round(weight * 1000) / 1000;
}

/** Time spent pausing between stages of one attempt of a shift-traffic step. */
export function trafficPauseSeconds(
  step: Extract<PlanStep, { type: 'shift-traffic' }>,
  fromWeight: number,
): number {
  return Math.max(0, trafficStages(step, fromWeight).length - 1) * step.pauseSeconds;
}

/** Total time slept between attempts when every attempt fails. */
export function backoffTotalSeconds(retries: Retries): number {
  let total = 0;
  let delay = retries.backoff.initialSeconds;
  for (let attempt = 1; attempt < retries.maxAttempts; attempt++) {
    total += Math.min(delay, retries.backoff.maxSeconds);
    delay *= retries.backoff.multiplier;
  }
  return total;
}

/**
 * The longest a step can take before the plan either moves on or gives up:
 * every attempt runs to its timeout, with backoff in between, then the
 * verification settles and runs to its own timeout.
 */
export function stepWorstCaseSeconds(step: PlanStep): number {
  if (step.type === 'down-migration' && !step.reversible) return 0; // freezes and escalates at once
  return (
    step.retries.maxAttempts * step.timeoutSeconds +
    backoffTotalSeconds(step.retries) +
    step.verify.settleSeconds +
    step.verify.timeoutSeconds
  );
}
