import { ApplicationFailure } from '@temporalio/common';
import type { PlanStep, Policy } from '../../policy';
import type { BuildPlanInput } from '../../model/activity-contract';
import type { ResolvedAction, RollbackPlan } from '../../model/plan';
import { describeAction } from './changes';
import { stepIdempotencyKey } from './idempotency';
import { hashedPlanFields, planHashOf, type UnkeyedStep } from './plan-hash';
import { assessRisk } from './risk';
import { newVersionWeightAt, rollbackWeights } from './traffic';

export const PLAN_ERROR = 'PlanError';

/**
 * Builds the immutable rollback plan: every value resolved (weights, digest,
 * flag, migration), the risk and why, the changes in words, and a hash that
 * every later action names. The hash covers everything but `createdAt` and the
 * step keys (which are derived from the hash), so the same decision over the
 * same policy and deployment always yields the same plan hash (plan-hash.ts
 * says what the hash covers; the execute plane recomputes it the same way).
 */
export function buildRollbackPlan(now: () => Date) {
  return async (input: BuildPlanInput): Promise<RollbackPlan> => {
    const { deployment, policy } = input;
    const fromWeight = newVersionWeightAt(policy.deployment, input.elapsedSeconds);
    const resolved = policy.plan.steps.map((step, index) => ({
      step: resolveStep(step, index, input, fromWeight),
      source: step,
    }));
    const { risk, reasons } = assessRisk(policy, deployment.environment, fromWeight);
    const changes = resolved.map(({ step }) => describeAction(step.action, deployment, fromWeight));
    const hashed = hashedPlanFields({
      policyHash: input.policyHash,
      deploymentId: deployment.deploymentId,
      trigger: input.trigger,
      risk,
      riskReasons: reasons,
      changes,
      steps: resolved.map(({ step }) => step),
    });
    const planHash = planHashOf(hashed);
    return {
      ...hashed,
      planHash,
      createdAt: now().toISOString(),
      steps: resolved.map(({ step }) => ({
        ...step,
        idempotencyKey: stepIdempotencyKey(deployment.deploymentId, planHash, step.index),
      })),
    };
  };
}

function resolveStep(step: PlanStep, index: number, input: BuildPlanInput, fromWeight: number): UnkeyedStep {
  const { maxAttempts, backoff } = step.retries;
  const action = resolveAction(step, index, input, fromWeight);
  return {
    index,
    name: step.name,
    action,
    timeoutSeconds: step.timeoutSeconds,
    retries: {
      maxAttempts,
      initialSeconds: backoff.initialSeconds,
      multiplier: backoff.multiplier,
      maxSeconds: backoff.maxSeconds,
    },
    verify: {
      targetState: step.verify.targetState,
      signals: [...step.verify.signals],
      settleSeconds: step.verify.settleSeconds,
      timeoutSeconds: step.verify.timeoutSeconds,
    },
    irreversible: action.type === 'down-migration' && !action.reversible,
  };
}

function resolveAction(
  step: PlanStep,
  index: number,
  input: BuildPlanInput,
  fromWeight: number,
): ResolvedAction {
  const { deployment, policy } = input;
  switch (step.type) {
    case 'shift-traffic':
      return {
        type: 'shift-traffic',
        weights: rollbackWeights(step, fromWeight, input.strongEvidence),
        pauseSeconds: step.pauseSeconds,
      };
    case 'swap-blue-green':
      return { type: 'swap-blue-green' };
    case 'revert-artifact': {
      const digest = step.previousDigest ?? deployment.previousDigest;
      if (digest === undefined) {
        throw planError(
          `plan.steps[${index}].previousDigest: step "${step.name}" needs the digest to return to; ` +
            'pin it in the policy or give it with the deployment (deployment.previousDigest)',
        );
      }
      return { type: 'revert-artifact', digest, signedBy: step.signedBy };
    }
    case 'disable-flag': {
      const flag = step.flag ?? deploymentFlag(policy)?.flag;
      if (flag === undefined) {
        throw planError(
          `plan.steps[${index}].flag: step "${step.name}" names no flag and the deployment is not a feature-flag deployment`,
        );
      }
      return { type: 'disable-flag', flag, project: deploymentFlag(policy)?.project ?? 'default' };
    }
    case 'down-migration':
      return {
        type: 'down-migration',
        migration: step.migration,
        reversible: step.reversible,
        ...(step.connectionSecret !== undefined ? { connectionSecret: step.connectionSecret } : {}),
      };
    case 'webhook':
      return { type: 'webhook', url: step.url, method: step.method, hmacSecret: step.hmacSecret };
  }
}

function deploymentFlag(policy: Policy): { flag: string; project: string } | undefined {
  return policy.deployment.pattern === 'feature-flag'
    ? { flag: policy.deployment.flag, project: policy.deployment.project }
    : undefined;
}

function planError(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, PLAN_ERROR);
}
