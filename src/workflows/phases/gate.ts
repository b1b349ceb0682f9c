import { condition } from '@temporalio/workflow';
import type { RollbackPlan } from '../../activities/types';
import type { GuardianState } from '../guardian-state';

export type GateResult = 'approved' | 'rejected' | 'aborted' | 'escalate';

/**
 * High-risk plans wait for approvals (quorum, roles, no self-approval: checked
 * by the handlers and the authorisation activity). On timeout the policy
 * decides: roll back anyway, hold for a person, or escalate. Containment is
 * never loosened while waiting: nothing is promoted.
 */
export async function gate(g: GuardianState, plan: RollbackPlan): Promise<GateResult> {
  if (plan.risk !== 'high') return 'approved';
  const approval = g.input.policy.approval;
  if (!approval) {
    await g.audit('approval', 'ripcord', 'high-risk plan but the policy names no approvers: escalating');
    return 'escalate';
  }
  const quorum = approval.quorum;
  const decided = () =>
    g.status.approvals.length >= quorum || g.rejectedBy !== undefined || g.interrupt?.kind === 'abort';
  const until = new Date(Date.now() + g.ms(approval.timeoutSeconds)).toISOString();
  g.setPhase('gate', { for: `${quorum} approval(s) from ${approval.roles.join(', ')}`, until });
  // The receivers write the approve command from the structured request: only the worker
  // knows the namespace a pasted command must name.
  g.notify(
    'approval-requested',
    `Rollback of ${g.input.deployment.service} ${g.input.deployment.version} needs ${quorum} approval(s) ` +
      `from ${approval.roles.join(', ')} (${plan.riskReasons.join('; ')}), plan ${plan.planHash}.`,
    { approval: { planHash: plan.planHash, roles: [...approval.roles] } },
  );

  const inTime = await condition(decided, g.ms(approval.timeoutSeconds));
  if (!inTime) {
    switch (approval.onTimeout) {
      case 'rollback':
        await g.audit('approval', 'ripcord', 'approval timed out: rolling back as the policy says');
        return 'approved';
      case 'escalate':
        await g.audit('approval', 'ripcord', 'approval timed out: escalating as the policy says');
        return 'escalate';
      case 'hold':
        await g.audit('approval', 'ripcord', 'approval timed out: holding for a person as the policy says');
        g.setPhase('gate', { for: `${quorum} approval(s) (timed out; holding)` });
        await condition(decided);
    }
  }
  if (g.interrupt?.kind === 'abort') return 'aborted';
  if (g.rejectedBy !== undefined) return 'rejected';
  return 'approved';
}
