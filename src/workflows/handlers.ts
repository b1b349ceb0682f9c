import { setHandler } from '@temporalio/workflow';
import { normalizeIdentity } from '../model/identity';
import { bookkeeping } from './activity-proxies';
import type { GuardianState } from './guardian-state';
import { ROLLBACK_NOW_LIMIT, recentRequests, retryAfterMs } from './rate-limit';
import { RequestRefused, printable, validateActionRequest } from './request-validation';
import { rollbackLockGrantedSignal } from './rollback-lock';
import { guardianLockId } from './rollback-turn';
import { ACTION_UPDATES, memberOrderSignal, statusQuery, supersedeSignal } from './messages';
import { type ActionRequest, type ActionResult, type GuardianAction } from '../model/actions';
import type { ActionDenialCode } from '../model/audit';

/**
 * Everything that reaches a guardian from outside. Nothing is trusted for who
 * sent it:
 * - operators' updates are shape-checked by validators (unknown keys, sizes,
 *   charsets, a plausible token where the worker requires one) so a refused
 *   one never reaches history; an accepted one is authorised by an activity
 *   that verifies its token, audited, and only then changes what the guardian
 *   will do, through the state;
 * - internal signals (supersede, lock grant) are hints: the guardian asks
 *   Temporal whether they are true before acting on them, and refuses (and,
 *   up to a bound, audits) those that are not.
 */
export function registerHandlers(g: GuardianState): void {
  setHandler(statusQuery, () => g.status);
  setHandler(supersedeSignal, (payload) => onSupersede(g, payload));
  setHandler(rollbackLockGrantedSignal, (payload) => onRollbackLockGranted(g, payload));
  // A hint only: the member asks its release for the order (phases/member.ts).
  if (g.input.release) setHandler(memberOrderSignal, () => void (g.orderHint = true));

  for (const action of Object.keys(ACTION_UPDATES) as GuardianAction[]) {
    setHandler(ACTION_UPDATES[action], (request: ActionRequest) => handle(g, action, request), {
      validator: (request: ActionRequest) => validate(g, action, request),
    });
  }
}

// ---- operator requests -------------------------------------------------------------

function validate(g: GuardianState, action: GuardianAction, request: ActionRequest): void {
  // A member acts on its release's orders only: two voices on one member would split the release's judgement.
  if (g.input.release)
    throw new RequestRefused(
      `this deployment is a member of release ${g.input.release.releaseId}: send ${action} to the release (${g.input.release.releaseWorkflowId})`,
    );
  // Until admission says whether the worker verifies tokens, nothing can be judged.
  if (g.status.phase === 'admit')
    throw new RequestRefused('the guardian is still being admitted; try again in a few seconds');
  const claimed = validateActionRequest(action, request, {
    deploymentId: g.input.deployment.deploymentId,
    workflowId: g.workflowId,
    tokensRequired: g.tokensRequired,
    trustedKeyIds: g.input.policy.trustedKeys.approvals,
    usedTokenIds: g.usedTokenIds,
    nowMs: Date.now(),
  });
  // Only verified requests are counted; refusing here those of an identity already over
  // its limit keeps its flood out of history without letting anyone else exhaust it.
  if (action === 'rollbackNow') refuseOverRateLimit(g, claimed);
}

function refuseOverRateLimit(g: GuardianState, subject: string): void {
  const waitMs = retryAfterMs(g.rollbackNowBySubject[subject] ?? [], Date.now(), ROLLBACK_NOW_LIMIT);
  if (waitMs === 0) return;
  throw new RequestRefused(rateLimitMessage(waitMs));
}

function rateLimitMessage(waitMs: number): string {
  const { requests, windowMs } = ROLLBACK_NOW_LIMIT;
  return `rollbackNow: rate limited: at most ${requests} manual rollback requests per ${windowMs / 60_000} minutes per person; try again in ${Math.ceil(waitMs / 1000)} s`;
}

/**
 * Counts a manual rollback request of a verified identity (or, on a worker
 * that trusts claims, of the claimed one); false when it is over the limit.
 * The request that reaches the limit is audited.
 */
async function countRollbackNow(g: GuardianState, subject: string): Promise<boolean> {
  const now = Date.now();
  const recent = recentRequests(g.rollbackNowBySubject[subject] ?? [], now, ROLLBACK_NOW_LIMIT);
  if (recent.length >= ROLLBACK_NOW_LIMIT.requests) return false;
  g.rollbackNowBySubject = { ...g.rollbackNowBySubject, [subject]: [...recent, now] };
  if (recent.length + 1 === ROLLBACK_NOW_LIMIT.requests) {
    const { requests, windowMs } = ROLLBACK_NOW_LIMIT;
    await g.audit(
      'action-denied',
      subject,
      `manual rollback rate limit reached for ${subject} (${requests} requests in ${windowMs / 60_000} minutes): their further requests are refused before history until the window passes`,
      {
        code: 'rate-limit-reached',
        action: 'rollbackNow',
        subject,
        requests,
        windowMinutes: windowMs / 60_000,
      },
    );
  }
  return true;
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
    requestNonce: `${g.workflowId}#r${g.requestSeq++}`,
  });
  const denied = async (code: ActionDenialCode, reason: string) => {
    const why = printable(reason, 500);
    await g.audit('action-denied', printable(request.actor, 128), `${action} refused: ${why}`, {
      code,
      action,
      role: request.role,
      reason: why,
    });
    return result(g, false, reason);
  };
  // A token whose signature verified is spent here, whether it is then accepted or not:
  // a refused token read back from history must never count later.
  if (auth.tokenId !== undefined) {
    if (g.usedTokenIds.has(auth.tokenId)) return denied('token-reused', 'this token was already used');
    g.usedTokenIds.add(auth.tokenId);
  }
  const who = normalizeIdentity(auth.subject);
  const verified = auth.tokenId !== undefined || !g.tokensRequired;
  if (action === 'rollbackNow' && verified && !(await countRollbackNow(g, who))) {
    return denied(
      'rate-limited',
      rateLimitMessage(retryAfterMs(g.rollbackNowBySubject[who] ?? [], Date.now(), ROLLBACK_NOW_LIMIT)),
    );
  }
  if (!auth.authorized) return denied('not-authorized', auth.reason);

  switch (action) {
    case 'approve': {
      if (g.status.phase !== 'gate' || !g.plan)
        return denied('no-approval-pending', 'no approval is pending');
      if (request.planHash !== g.plan.planHash)
        return denied('plan-mismatch', planMismatch(request.planHash, g.plan.planHash));
      const approval = policy.approval;
      const forThisPlan = g.status.approvals.filter((a) => a.planHash === g.plan!.planHash);
      if (forThisPlan.some((a) => normalizeIdentity(a.subject) === who))
        return denied('already-approved', `${who} has already approved`);
      const role = normalizeIdentity(auth.role);
      if (approval?.distinctRoles && forThisPlan.some((a) => normalizeIdentity(a.role) === role)) {
        return denied(
          'role-already-counted',
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
        verdict: 'approved',
        subject: who,
        role: auth.role,
        planHash: g.plan.planHash,
        reason: request.reason,
      });
      return result(g, true, `approval ${forThisPlan.length + 1} of ${approval?.quorum ?? 1} recorded`);
    }
    case 'reject': {
      if (g.status.phase !== 'gate' || !g.plan)
        return denied('no-approval-pending', 'no approval is pending');
      if (request.planHash !== g.plan.planHash)
        return denied('plan-mismatch', planMismatch(request.planHash, g.plan.planHash));
      g.rejectedBy = who;
      await g.audit('approval', who, `rejected plan ${g.plan.planHash}`, {
        verdict: 'rejected',
        subject: who,
        role: auth.role,
        planHash: g.plan.planHash,
        reason: request.reason,
      });
      return result(g, true, 'rollback rejected');
    }
    case 'abort': {
      if (g.interrupt?.kind === 'abort') return result(g, true, 'abort already requested');
      g.interrupt = { kind: 'abort', request: { ...request, actor: who } };
      await g.audit('action', who, 'abort requested', {
        action,
        manual: true,
        role: auth.role,
        reason: request.reason,
      });
      return result(g, true, 'abort requested');
    }
    case 'rollbackNow': {
      if (['plan', 'gate', 'execute', 'verify'].includes(g.status.phase)) {
        return denied('rollback-under-way', `a rollback is already under way (phase ${g.status.phase})`);
      }
      g.interrupt = { kind: 'rollbackNow', request: { ...request, actor: who } };
      await g.audit('action', who, 'manual rollback requested', {
        action,
        manual: true,
        role: auth.role,
        reason: request.reason,
      });
      return result(g, true, 'manual rollback requested');
    }
    case 'pause':
    case 'resume': {
      const paused = action === 'pause';
      if (g.status.paused === paused) return result(g, true, paused ? 'already paused' : 'not paused');
      g.status.paused = paused;
      await g.audit('action', who, paused ? 'watch paused' : 'watch resumed', {
        action,
        manual: true,
        role: auth.role,
        reason: request.reason,
      });
      g.setPhase(g.status.phase, g.status.waiting);
      return result(g, true, paused ? 'paused: no evaluation until resumed' : 'resumed');
    }
  }
}

// ---- internal signals: hints, checked with Temporal before they count -------------

/** Workflow ids of guardians (`ripcord/<env>/<service>/<deployment>`) and of locks are short and plain. */
const WORKFLOW_ID = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,299}$/;

/** The one string field an internal signal carries, or a reason it is malformed. */
function signalField(payload: unknown, field: string): { value: string } | { malformed: string } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return { malformed: `expected an object with ${field}` };
  const keys = Object.keys(payload);
  if (keys.length !== 1 || keys[0] !== field)
    return {
      malformed: `expected exactly the field ${field}, got ${printable(keys.slice(0, 3).join(', '), 80)}`,
    };
  const value = (payload as Record<string, unknown>)[field];
  if (typeof value !== 'string' || !WORKFLOW_ID.test(value))
    return { malformed: `${field}: not a workflow id (at most 300 plain characters)` };
  return { value };
}

/**
 * A newer guardian of the same service says this one is superseded. Checked
 * with Temporal (verifySupersede) before the guardian stands down; one check
 * at a time, and a sender that arrives meanwhile is checked next.
 */
async function onSupersede(g: GuardianState, payload: unknown): Promise<void> {
  const field = signalField(payload, 'by');
  if ('malformed' in field) return g.refuseMessage('supersede', field.malformed);
  if (g.status.phase === 'close' || g.interrupt !== undefined) return;
  if (g.supersedeChecking) {
    g.pendingSupersede = field.value;
    return;
  }
  g.supersedeChecking = true;
  try {
    let by: string | undefined = field.value;
    while (by !== undefined && stillWatching(g)) {
      const check = await bookkeeping.verifySupersede({
        workflowId: g.workflowId,
        by,
        service: g.input.deployment.service,
        environment: g.input.deployment.environment,
      });
      if (check.genuine) {
        if (g.interrupt === undefined) g.interrupt = { kind: 'superseded', by };
        return;
      }
      await g.refuseMessage('supersede', `${printable(by, 120)}: ${check.reason}`);
      by = g.pendingSupersede;
      g.pendingSupersede = undefined;
    }
  } finally {
    g.supersedeChecking = false;
    g.pendingSupersede = undefined;
  }
}

/** Read through a function: handlers and phases change the state while a check awaits. */
function stillWatching(g: GuardianState): boolean {
  return g.interrupt === undefined && g.status.phase !== 'close';
}

/**
 * The lock says it is our turn. Only a hint: the waiting guardian asks the
 * lock itself before it runs a step (rollback-turn.ts). A grant for another
 * lock, or a malformed one, is refused at once.
 */
async function onRollbackLockGranted(g: GuardianState, payload: unknown): Promise<void> {
  const field = signalField(payload, 'lockId');
  if ('malformed' in field) return g.refuseMessage('rollbackLockGranted', field.malformed);
  if (field.value !== guardianLockId(g))
    return g.refuseMessage(
      'rollbackLockGranted',
      `${printable(field.value, 120)} is not this service's lock`,
    );
  if (g.rollbackTurn === 'waiting') g.turnHint = true;
}
