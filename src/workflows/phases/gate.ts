import type { RollbackPlan } from '../../model/plan';
import { waitOrCarry } from '../carry';
import type { GuardianState } from '../guardian-state';

export type GateResult = 'approved' | 'rejected' | 'aborted' | 'escalate';

/** Where a gate that continued as new picks up: its deadline, and whether it already holds past it. */
export interface GateResume {
  untilMs: number;
  holding: boolean;
}

/**
 * High-risk plans wait for approvals (quorum, roles, no self-approval: checked
 * by the handlers and the authorisation activity). On timeout the policy
 * decides: roll back anyway, hold for a person, or escalate. Containment is
 * never loosened while waiting: nothing is promoted. A long wait under a
 * flood of requests continues as new and resumes here with its deadline.
 */
export async function gate(g: GuardianState, plan: RollbackPlan, resumed?: GateResume): Promise<GateResult> {
  if (plan.risk !== 'high') return 'approved';
  const approval = g.input.policy.approval;
  if (!approval) {
    await g.audit('approval', 'ripcord', 'high-risk plan but the policy names no approvers: escalating', {
      verdict: 'no-approvers',
      planHash: plan.planHash,
    });
    return 'escalate';
  }
  const quorum = approval.quorum;
  const approvals = () => g.status.approvals.filter((a) => a.planHash === plan.planHash).length;
  const decided = () => approvals() >= quorum || g.rejectedBy !== undefined || g.interrupt?.kind === 'abort';
  // People keep real time, also in a rehearsal: only the data is compressed by its speed.
  const untilMs = resumed?.untilMs ?? Date.now() + g.humanMs(approval.timeoutSeconds);
  const waitingFor = `${quorum} approval(s) from ${approval.roles.join(', ')}`;
  const resumeAt = (holding: boolean) => () => ({ phase: 'gate' as const, plan, untilMs, holding });

  if (!resumed?.holding) {
    g.setPhase('gate', { for: waitingFor, until: new Date(untilMs).toISOString() });
    if (!resumed) {
      // The receivers write the approve command from the structured request: only the worker
      // knows the namespace a pasted command must name.
      g.notify(
        'approval-requested',
        `Rollback of ${g.input.deployment.service} ${g.input.deployment.version} needs ${quorum} approval(s) ` +
          `from ${approval.roles.join(', ')} (${plan.riskReasons.join('; ')}), plan ${plan.planHash}.`,
        {
          approval: {
            planHash: plan.planHash,
            roles: [...approval.roles],
            until: new Date(untilMs).toISOString(),
          },
        },
      );
    }
    const inTime = await waitOrCarry(g, decided, untilMs, resumeAt(false));
    if (!inTime) {
      const timedOut = {
        verdict: 'timed-out',
        onTimeout: approval.onTimeout,
        planHash: plan.planHash,
      } as const;
      switch (approval.onTimeout) {
        case 'rollback':
          await g.audit(
            'approval',
            'ripcord',
            'approval timed out: rolling back as the policy says',
            timedOut,
          );
          return 'approved';
        case 'escalate':
          await g.audit('approval', 'ripcord', 'approval timed out: escalating as the policy says', timedOut);
          return 'escalate';
        case 'hold':
          await g.audit(
            'approval',
            'ripcord',
            'approval timed out: holding for a person as the policy says',
            timedOut,
          );
          break;
      }
    }
  }
  if (!decided()) {
    g.setPhase('gate', { for: `${quorum} approval(s) (timed out; holding)` });
    await waitOrCarry(g, decided, undefined, resumeAt(true));
  }
  if (g.interrupt?.kind === 'abort') return 'aborted';
  if (g.rejectedBy !== undefined) return 'rejected';
  return 'approved';
}
