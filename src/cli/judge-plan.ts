import type { GuardianStatus } from '../model/guardian';
import { EXIT } from './exit-codes';
import { UserFacingError } from './errors';
import { formatPlan } from './status-format';

/**
 * What approve and reject judge: the plan as the guardian holds it now, shown
 * to the person before anything is sent. When they name a plan (--plan), it
 * must be this one: an approval of one plan never approves another.
 */
export function planToJudge(
  action: 'approve' | 'reject',
  current: GuardianStatus,
  expected: string | undefined,
): { planHash: string; lines: string[] } {
  const plan = current.plan;
  if (!plan) {
    throw new UserFacingError(
      `there is no rollback plan to ${action} (guardian phase ${current.phase}); nothing was sent`,
      EXIT.refusedOrFailed,
    );
  }
  if (expected !== undefined && expected !== plan.planHash) {
    throw new UserFacingError(
      `--plan ${expected} is not the guardian's current plan ${plan.planHash}; nothing was sent. ` +
        'Look at the current plan (ripcord status) before judging it.',
      EXIT.refusedOrFailed,
    );
  }
  return {
    planHash: plan.planHash,
    lines: [`${action === 'approve' ? 'approving' : 'rejecting'}:`, ...formatPlan(plan)],
  };
}
