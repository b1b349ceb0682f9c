import { setHandler } from '@temporalio/workflow';
import { bookkeeping } from './activity-proxies';
import type { GuardianState } from './guardian-state';
import {
  ACTION_UPDATES,
  type ActionRequest,
  type ActionResult,
  type GuardianAction,
  statusQuery,
  supersedeSignal,
  validateActionRequest,
} from './messages';

/**
 * Operators' messages. Validators reject malformed requests before anything
 * reaches history; every accepted request is authorised by an activity and
 * audited, and only then changes what the guardian will do — through the
 * state, never by acting here directly.
 */
export function registerHandlers(g: GuardianState): void {
  setHandler(statusQuery, () => g.status);
  setHandler(supersedeSignal, ({ by }) => {
    if (g.interrupt === undefined) g.interrupt = { kind: 'superseded', by };
  });

  for (const action of Object.keys(ACTION_UPDATES) as GuardianAction[]) {
    setHandler(ACTION_UPDATES[action], (request: ActionRequest) => handle(g, action, request), {
      validator: (request: ActionRequest) => validateActionRequest(action, request),
    });
  }
}

/** An approval binds to one plan: approving another plan's hash approves nothing. */
function planMismatch(asked: string | undefined, held: string): string {
  return `the request names plan ${asked ?? '(none)'}, but the guardian holds plan ${held}`;
}

function result(g: GuardianState, accepted: boolean, message: string): ActionResult {
  return { accepted, message, phase: g.status.phase };
}

async function handle(
  g: GuardianState,
  action: GuardianAction,
  request: ActionRequest,
): Promise<ActionResult> {
  if (g.status.phase === 'close') return result(g, false, 'the guardian has already closed');
  const { policy, deployment } = g.input;
  const auth = await bookkeeping.authorizeAction({
    workflowId: g.workflowId,
    deployment,
    action,
    request,
    ...(policy.approval ? { approval: policy.approval } : {}),
    owners: policy.metadata.owners,
    ...(g.plan ? { planHash: g.plan.planHash } : {}),
    trustedKeyIds: policy.trustedKeys.approvals,
  });
  const denied = async (reason: string) => {
    await g.audit('action-denied', request.actor, `${action} refused: ${reason}`, { role: request.role });
    return result(g, false, reason);
  };
  if (!auth.authorized) return denied(auth.reason);
  if (auth.tokenId !== undefined) {
    if (g.usedTokenIds.has(auth.tokenId)) return denied('this token was already used');
    g.usedTokenIds.add(auth.tokenId);
  }

  const who = auth.subject;
  switch (action) {
    case 'approve': {
      if (g.status.phase !== 'gate' || !g.plan) return denied('no approval is pending');
      if (request.planHash !== g.plan.planHash)
        return denied(planMismatch(request.planHash, g.plan.planHash));
      const approval = policy.approval;
      if (g.status.approvals.some((a) => a.subject === who)) return denied(`${who} has already approved`);
      if (approval?.distinctRoles && g.status.approvals.some((a) => a.role === auth.role)) {
        return denied(
          `an approval from role ${auth.role} is already counted; the policy needs distinct roles`,
        );
      }
      g.status.approvals.push({ subject: who, role: auth.role, at: new Date().toISOString() });
      await g.audit('approval', who, `approved plan ${g.plan.planHash}`, {
        role: auth.role,
        reason: request.reason,
      });
      return result(g, true, `approval ${g.status.approvals.length} of ${approval?.quorum ?? 1} recorded`);
    }
    case 'reject': {
      if (g.status.phase !== 'gate' || !g.plan) return denied('no approval is pending');
      if (request.planHash !== g.plan.planHash)
        return denied(planMismatch(request.planHash, g.plan.planHash));
      g.rejectedBy = who;
      await g.audit('approval', who, `rejected plan ${g.plan.planHash}`, {
        role: auth.role,
        reason: request.reason,
      });
      return result(g, true, 'rollback rejected');
    }
    case 'abort': {
      if (g.interrupt?.kind === 'abort') return result(g, true, 'abort already requested');
      g.interrupt = { kind: 'abort', request: { ...request, actor: who } };
      await g.audit('action', who, 'abort requested', { role: auth.role, reason: request.reason });
      return result(g, true, 'abort requested');
    }
    case 'rollbackNow': {
      if (['plan', 'gate', 'execute', 'verify'].includes(g.status.phase)) {
        return denied(`a rollback is already under way (phase ${g.status.phase})`);
      }
      g.interrupt = { kind: 'rollbackNow', request: { ...request, actor: who } };
      await g.audit('action', who, 'manual rollback requested', { role: auth.role, reason: request.reason });
      return result(g, true, 'manual rollback requested');
    }
    case 'pause':
    case 'resume': {
      const paused = action === 'pause';
      if (g.status.paused === paused) return result(g, true, paused ? 'already paused' : 'not paused');
      g.status.paused = paused;
      await g.audit('action', who, paused ? 'watch paused' : 'watch resumed', {
        role: auth.role,
        reason: request.reason,
      });
      g.setPhase(g.status.phase, g.status.waiting);
      return result(g, true, paused ? 'paused: no evaluation until resumed' : 'resumed');
    }
  }
}
