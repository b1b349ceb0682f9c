import type { Policy } from '../../policy';
import { trafficStages } from '../../policy/plan-facts';

type ShiftTrafficStep = Extract<Policy['plan']['steps'][number], { type: 'shift-traffic' }>;

/**
 * The new version's share of traffic `elapsedSeconds` after the deploy,
 * following the canary's steps and their holds; other patterns put all
 * traffic on the new version at once.
 */
export function newVersionWeightAt(deployment: Policy['deployment'], elapsedSeconds: number): number {
  if (deployment.pattern !== 'canary') return 100;
  let stepEnds = 0;
  for (const [i, step] of deployment.steps.entries()) {
    stepEnds += step.holdSeconds;
    if (elapsedSeconds < stepEnds || i === deployment.steps.length - 1) return step.weight;
  }
  return 100;
}

/**
 * The canary weights a rollback passes through, ending at 0. With strong
 * evidence (a crash) traffic goes back in one stage; otherwise the policy's
 * stages are used, skipping any at or above the weight the canary holds now:
 * a rollback never sends more traffic to the version it is removing.
 */
export function rollbackWeights(
  step: ShiftTrafficStep,
  fromWeight: number,
  strongEvidence: boolean,
): number[] {
  if (strongEvidence) return [0];
  const stages = trafficStages(step, fromWeight).filter((weight) => weight > 0 && weight < fromWeight);
  return [...stages, 0];
}
