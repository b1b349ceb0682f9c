import { setHandler } from '@temporalio/workflow';
import { bookkeeping } from './activity-proxies';
import type { GuardianState } from './guardian-state';
import { ROLLBACK_NOW_LIMIT, recentRequests, retryAfterMs } from './rate-limit';
import { rollbackLockCheckSignal, rollbackLockGrantedSignal, rollbackLockId } from './rollback-lock';
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

  setHandler(rollbackLockGrantedSignal, ({ lockId }) => {
    // Only the lock of our own service hands out our turn, and only while we wait for it.
    if (g.rollbackTurn === 'waiting' && lockId === rollbackLockId(g.input.deployment))
      g.rollbackTurn = 'granted';
  });
  // The lock only checks that we are still running; delivery is the answer.
  setHandler(rollbackLockCheckSignal, () => undefined);

  for (const action of Object.keys(ACTION_UPDATES) as GuardianAction[]) {
    setHandler(ACTION_UPDATES[action], (request: ActionRequest) => handle(g, action, request), {
      validator: (request: ActionRequest) => {
        validateActionRequest(action, request);
        if (action === 'rollbackNow') refuseOverRateLimit(g);
      },
    });
  }
}

/** Past the limit a manual rollback request is refused by the validator, before it reaches history. */
function refuseOverRateLimit(g: GuardianState): void {
  const waitMs = retryAfterMs(g.rollbackNowRequests, Date.now(), ROLLBACK_NOW_LIMIT);
  if (waitMs === 0) return;
  const { requests, windowMs } = ROLLBACK_NOW_LIMIT;
  throw new Error(
    `rollbackNow: rate limited: at most ${requests} manual rollback requests per ${windowMs / 60_000} minutes per guardian; try again in ${Math.ceil(waitMs / 1000)} s`,
  );
}

/** Counts a manual rollback request that reached the guardian; the one that reaches the limit is audited. */
async function countRollbackNow(g: GuardianState, request: ActionRequest): Promise<void> {
  const now = Date.now();
  g.rollbackNowRequests = [...recentRequests(g.rollbackNowRequests, now, ROLLBACK_NOW_LIMIT), now];
  if (g.rollbackNowRequests.length === ROLLBACK_NOW_LIMIT.requests) {
    await g.audit(
      'action-denied',
      request.actor,
      `manual rollback rate limit reached (${ROLLBACK_NOW_LIMIT.requests} requests in ${ROLLBACK_NOW_LIMIT.windowMs / 60_000} minutes): further requests are refused before history until the window passes`,
      { role: request.role },
    );
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
  if (action === 'rollbackNow') await countRollbackNow(g, request);
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
      g.status.approvals.push({
        subject: who,
        role: auth.role,
        at: new Date().toISOString(),
        planHash: g.plan.planHash,
      });
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
