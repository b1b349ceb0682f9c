import { workflowInfo } from '@temporalio/workflow';
import type { OutcomeDetails } from '../../model/audit';
import type { RollbackPlan } from '../../model/plan';
import { bookkeeping } from '../activity-proxies';
import { waitOrCarry } from '../carry';
import type { GuardianState } from '../guardian-state';
import type { GateResult } from './gate';

/** What the guardian does after its gate, and how it closes: passed in to keep one owner of each. */
export interface MemberEndings {
  carryOut(
    g: GuardianState,
    plan: RollbackPlan,
    approval: GateResult,
    planRecorded: Promise<void>,
  ): Promise<void>;
  finish(g: GuardianState, details: OutcomeDetails, reason: string): Promise<void>;
}

/**
 * A member of a release takes no decision of its own: its release judges all
 * members together and orders each one to roll back (with the release's one
 * approved plan), to hold, to close, or to be promoted. A `memberOrder`
 * signal only wakes it; the order it acts on is the one its parent release
 * returns when asked (an activity queries it), so a forged signal orders
 * nothing and is refused. A guardian started with a release link but not as
 * that release's child is refused at once.
 */
export async function memberOfRelease(g: GuardianState, endings: MemberEndings): Promise<void> {
  const membership = g.input.release!;
  const parent = workflowInfo().parent;
  if (parent?.workflowId !== membership.releaseWorkflowId) {
    return endings.finish(
      g,
      { outcome: 'escalated', reason: 'unknown' },
      `started as a member of release ${membership.releaseWorkflowId} but not by it: refused`,
    );
  }
  g.status.memberOf = membership;
  if (g.status.phase !== 'escalated') g.setPhase('watch', { for: `its release ${membership.releaseId}` });

  for (;;) {
    await waitOrCarry(
      g,
      () => g.orderHint || g.interrupt?.kind === 'superseded',
      undefined,
      () => ({ phase: 'member' }),
    );
    if (g.interrupt?.kind === 'superseded') {
      const by = g.interrupt.by;
      return endings.finish(g, { outcome: 'aborted', reason: 'superseded', by }, `superseded by ${by}`);
    }
    g.orderHint = false;
    const confirmed = await bookkeeping.confirmMemberOrder({
      releaseWorkflowId: membership.releaseWorkflowId,
      service: g.input.deployment.service,
      taskQueue: workflowInfo().taskQueue,
    });
    if (confirmed.seq <= g.orderSeq) {
      await g.refuseMessage('memberOrder', `no new order from the release: ${confirmed.reason}`);
      continue;
    }
    g.orderSeq = confirmed.seq;
    const { order } = confirmed;
    switch (order.kind) {
      case 'none':
        continue;
      case 'hold':
        g.setPhase('escalated', { for: `its release ${membership.releaseId}: ${order.reason}` });
        continue;
      case 'promote':
        return endings.finish(
          g,
          { outcome: 'promoted', reason: 'release-promoted', release: membership.releaseId },
          order.reason,
        );
      case 'close-escalated':
        return endings.finish(g, { outcome: 'escalated', reason: 'release-escalated' }, order.reason);
      case 'abort':
        return endings.finish(
          g,
          { outcome: 'aborted', reason: 'aborted', by: order.by, during: 'watch' },
          order.reason,
        );
      case 'rollback': {
        const { plan } = order;
        // Defence in depth: a plan is this member's own (its deployment, its pinned policy) or it is not run.
        if (plan.deploymentId !== g.input.deployment.deploymentId || plan.policyHash !== g.input.policyHash) {
          await g.refuseMessage(
            'memberOrder',
            `the release ordered plan ${plan.planHash}, which is not this member's (deployment ${plan.deploymentId}, policy ${plan.policyHash})`,
          );
          continue;
        }
        g.status.decision = {
          decision: 'rollback',
          decidedAtIndex: order.fromIndex - 1,
          reason: order.reason,
          source: 'automatic',
        };
        g.setPhase('plan');
        g.setPlan(plan);
        const planRecorded = g.audit(
          'plan',
          'ripcord',
          `plan ${plan.planHash} (release plan ${order.releasePlanHash}): ${plan.steps.length} step(s), risk ${plan.risk}`,
          {
            trigger: plan.trigger,
            risk: plan.risk,
            riskReasons: plan.riskReasons,
            changes: plan.changes,
            steps: plan.steps.length,
          },
        );
        g.readIndex = order.fromIndex;
        // The release held the one gate for all its members' plans: approved there, or not ordered.
        return endings.carryOut(g, plan, 'approved', planRecorded);
      }
    }
  }
}
