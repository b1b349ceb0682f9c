import { admitDeployment } from './admit';
import { recordAudit } from './audit';
import { authorizeAction } from './authorize';
import type { ActivityDeps } from './deps';
import { evaluateHealth, readHealthInterval } from './health';
import { notify } from './notify';
import { buildRollbackPlan } from './plan/build';
import { compensateStep, executeStep } from './steps';
import { confirmRollbackTurn, rollbackLockMember } from './rollback-turn';
import { buildReleasePlan, confirmMemberOrder, readReleaseInterval } from './release';
import { supersedeOlderGuardians, verifySupersede } from './supersede';
import { temporalTokenClaims } from './token-claim';
import type { GuardianActivityContract } from '../model/activity-contract';

export { type ActivityDeps } from './deps';
export { INVALID_DEPLOYMENT_ERROR } from './admit';
export { PLAN_ERROR } from './plan/build';
export { stepIdempotencyKey } from './plan/idempotency';
export { type ActionTokenVerifier, type VerifiedClaims } from './authorize';
export { type AuditSink, JsonlAuditSink, MemoryAuditSink } from './audit';
export { type Notifier, type OutboundNotification, LogNotifier, MemoryNotifier } from './notify';

/**
 * The guardian's activities, composed from their dependencies. Workflows import
 * only the type (`GuardianActivities`) and call these through proxyActivities.
 */
export function createActivities(deps: ActivityDeps) {
  const health = evaluateHealth(deps.sources, { refuseReplay: deps.refuseReplay === true });
  const plan = buildRollbackPlan(deps.now);
  return {
    admitDeployment: admitDeployment(deps.now, {
      refuseReplay: deps.refuseReplay === true,
      // Without a verifier the worker trusts claims (--insecure-claims, dry runs): no token to require.
      tokensRequired: deps.tokens !== undefined,
      ...(deps.stepTaskQueueFor ? { stepTaskQueueFor: deps.stepTaskQueueFor } : {}),
    }),
    supersedeOlderGuardians: supersedeOlderGuardians(deps.client),
    verifySupersede: verifySupersede(deps.client),
    confirmRollbackTurn: confirmRollbackTurn(deps.client),
    rollbackLockMember: rollbackLockMember(deps.client),
    evaluateHealth: health,
    readHealthInterval: readHealthInterval(health),
    buildRollbackPlan: plan,
    executeStep: executeStep(deps.targets),
    compensateStep: compensateStep(deps.targets),
    authorizeAction: authorizeAction(deps.tokens, deps.client ? temporalTokenClaims(deps.client) : undefined),
    recordAudit: recordAudit(deps.audit),
    notify: notify(deps.notifier),
    readReleaseInterval: readReleaseInterval(health),
    buildReleasePlan: buildReleasePlan(plan),
    confirmMemberOrder: confirmMemberOrder(deps.client),
  } satisfies GuardianActivityContract;
}

export type GuardianActivities = ReturnType<typeof createActivities>;
