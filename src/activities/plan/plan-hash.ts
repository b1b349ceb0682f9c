import { contentHash } from '../../policy';
import type { PlannedStep, RollbackPlan } from '../../model/plan';

/** A step as its plan's hash covers it: everything but its idempotency key (derived from the hash). */
export type UnkeyedStep = Omit<PlannedStep, 'idempotencyKey'>;

/** What a plan's hash covers: everything but `planHash`, `createdAt` and the step keys. */
export interface HashedPlanFields {
  policyHash: string;
  deploymentId: string;
  trigger: RollbackPlan['trigger'];
  risk: RollbackPlan['risk'];
  riskReasons: string[];
  changes: string[];
  steps: UnkeyedStep[];
}

/**
 * The hashed fields of a plan, or of one being built (steps with or without
 * their keys). One definition for the builder and for whoever checks a plan
 * later (the execute plane recomputes the hash of the plan it is asked to
 * run): the same decision over the same policy and deployment always yields
 * the same hash, and any other field, or any change to a step, another one.
 */
export function hashedPlanFields(
  plan: Omit<HashedPlanFields, 'steps'> & { steps: ReadonlyArray<UnkeyedStep | PlannedStep> },
): HashedPlanFields {
  return {
    policyHash: plan.policyHash,
    deploymentId: plan.deploymentId,
    trigger: plan.trigger,
    risk: plan.risk,
    riskReasons: plan.riskReasons,
    changes: plan.changes,
    // Every other field of a step is hashed as it is: a step with anything added differs.
    steps: plan.steps.map((step) => {
      if (!('idempotencyKey' in step)) return step;
      const unkeyed: Record<string, unknown> = { ...step };
      delete unkeyed.idempotencyKey;
      return unkeyed as UnkeyedStep;
    }),
  };
}

/** The plan's hash as the builder computes it. */
export function planHashOf(
  plan: Omit<HashedPlanFields, 'steps'> & { steps: ReadonlyArray<UnkeyedStep | PlannedStep> },
): string {
  return contentHash(hashedPlanFields(plan));
}
