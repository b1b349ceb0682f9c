import { isDeepStrictEqual } from 'node:util';
import { contentHash, type Policy } from '../../policy';
import type { ActionTokenVerifier } from '../../security/action-token-types';
import { normalizeIdentity, sameIdentity } from '../../security/identity';
import { redactSecrets } from '../../security/secrets';
import type { AuthorizeInput } from '../../model/activity-contract';
import type { GuardianInput } from '../../model/guardian';
import { RELEASE_WORKFLOW_TYPE, type ReleaseInput, type ReleasePlan } from '../../model/release';
import type { RecordedPlan } from './checks';
import type { ExecutorHistory, ExecutorRun } from './history';

/**
 * A high-risk plan runs only when its approvals verify again, on the execute
 * plane, against the executor's own trusted keys, and the quorum holds, as
 * the guardian's gate and handlers count it (src/workflows/handlers.ts,
 * src/activities/authorize.ts):
 *
 * - the tokens are those the guardian (for a release member: its release)
 *   received: the `request.token` of each `authorizeAction` it scheduled with
 *   action `approve` for the approved plan's hash, read from its history;
 * - each verifies with the executor's keys, among the key ids the pinned
 *   policy trusts, bound to that guardian, deployment, action and plan, in the
 *   role it was sent with; its expiry is judged as of when Temporal recorded
 *   the request (an approval does not lapse because the rollback came later);
 * - the role is one of the policy's approval roles; the deployer does not
 *   count unless the policy allows self-approval; each token counts once, each
 *   person once, each role once under `distinctRoles`; and the token's
 *   namespace-wide single-use claim is held by that very request;
 * - the policy is the one pinned in the guardian's start input (its content
 *   hash is the plan's policy hash).
 *
 * A policy whose `approval.onTimeout` is `rollback` lets the plan run without
 * approvals once its approval time has passed since the plan was recorded
 * (the later of its `createdAt` and the time Temporal recorded it).
 *
 * A release member's plan is its part of its release's plan: the member's
 * parent (as the server recorded it) must be the release it names, of type
 * `release`, whose start input lists this member as it was started and whose
 * history holds a release plan with this plan in it; the approvals are the
 * release's, for that release plan's hash, under the release gate's policy
 * (the strictest member approval; the first member's trusted key ids).
 */

export interface ApprovalCheckInput {
  guardianId: string;
  guardian: GuardianInput;
  /** The calling run of the guardian. */
  run: ExecutorRun;
  recorded: RecordedPlan;
  history: ExecutorHistory;
  tokens?: ActionTokenVerifier;
  now: () => Date;
}

/** What an approval must be for, and under which rules it counts. */
interface ApprovalScope {
  /** The workflow the approvals were sent to (the guardian, or its release). */
  workflowId: string;
  deploymentId: string;
  /** The hash the approvals approve (the plan's, or its release plan's). */
  planHash: string;
  approval: Policy['approval'];
  trustedKeyIds: string[];
  /** Who may not approve unless the policy allows self-approval. */
  deployers: string[];
  /** The runs whose history holds the approve requests, oldest first. */
  runs: ExecutorRun[];
  /** When the approved plan was made (for onTimeout: rollback): the later of createdAt and Temporal's record. */
  planMadeAt?: number;
}

/** Runs (with a gate continued as new) the guardian waited for approvals of one plan in: followed back. */
const MAX_GATE_RUNS = 100;

/** Undefined when the approvals hold; otherwise why not, for the refusal. */
export async function checkApprovals(input: ApprovalCheckInput): Promise<string | undefined> {
  const scope = input.guardian.release !== undefined ? await releaseScope(input) : await guardianScope(input);
  if (typeof scope === 'string') return scope;
  const { approval } = scope;
  const plan = input.recorded.plan;
  if (approval === undefined) {
    return `plan ${plan.planHash} is high-risk and the policy names no approvers`;
  }
  const counted = await countApprovals(scope, input);
  if (counted.subjects.length >= approval.quorum) return undefined;
  if (approval.onTimeout === 'rollback' && scope.planMadeAt !== undefined) {
    const deadline = scope.planMadeAt + approval.timeoutSeconds * 1000;
    if (input.now().getTime() >= deadline) return undefined;
  }
  const valid = counted.subjects.length;
  const lines = [
    `plan ${plan.planHash} is high-risk and needs ${approval.quorum} approval(s) from ${approval.roles.join(', ')}` +
      `${approval.distinctRoles ? ' in distinct roles' : ''} for ${scope.planHash}; ` +
      `${valid} verif${valid === 1 ? 'ies' : 'y'} with this executor's keys` +
      (valid > 0 ? ` (${counted.subjects.join(', ')})` : ''),
    ...counted.refused.slice(0, 5),
  ];
  if (counted.refused.length > 5) lines.push(`and ${counted.refused.length - 5} more not counted`);
  if (approval.onTimeout === 'rollback') {
    lines.push(
      scope.planMadeAt === undefined
        ? 'the approval timeout cannot be judged: Temporal holds no record of when the plan was made'
        : `the approval timeout (rollback) passes at ${new Date(scope.planMadeAt + approval.timeoutSeconds * 1000).toISOString()}`,
    );
  }
  return lines.join('; ');
}

// ---- where the approvals are ---------------------------------------------------------

async function guardianScope(input: ApprovalCheckInput): Promise<ApprovalScope | string> {
  const { guardian, recorded, history } = input;
  const planHash = recorded.plan.planHash;
  // A gate that waited long continued as new, carrying the plan: its earlier runs hold earlier approvals.
  const runs = [input.run];
  for (let run = input.run; runs.length < MAX_GATE_RUNS;) {
    const resume = (run.input as GuardianInput | undefined)?.carried?.resume;
    if (resume?.phase !== 'gate' || resume.plan?.planHash !== planHash || run.previousRunId === undefined)
      break;
    run = await history.run(run.workflowId, run.previousRunId);
    runs.unshift(run);
  }
  const made = runs
    .flatMap((run) => run.calls)
    .filter(
      (c) =>
        c.type === 'buildRollbackPlan' &&
        c.state === 'completed' &&
        (c.result as { planHash?: unknown } | undefined)?.planHash === planHash &&
        c.closedAt !== undefined,
    )
    .map((c) => Date.parse(c.closedAt!));
  return {
    workflowId: input.guardianId,
    deploymentId: guardian.deployment.deploymentId,
    planHash,
    approval: guardian.policy.approval,
    trustedKeyIds: guardian.policy.trustedKeys.approvals,
    deployers: guardian.deployment.deployer !== undefined ? [guardian.deployment.deployer] : [],
    runs,
    ...madeAt(recorded.plan.createdAt, made),
  };
}

async function releaseScope(input: ApprovalCheckInput): Promise<ApprovalScope | string> {
  const { guardian, run, recorded, history } = input;
  const membership = guardian.release!;
  const parent = run.parent;
  if (parent === undefined || parent.workflowId !== membership.releaseWorkflowId) {
    return (
      `guardian ${input.guardianId} names release ${membership.releaseWorkflowId}, ` +
      `but ${parent === undefined ? 'no workflow' : `workflow ${parent.workflowId}`} started it`
    );
  }
  const type = await history.workflowType(parent.workflowId, parent.runId);
  if (type !== RELEASE_WORKFLOW_TYPE) {
    return `its parent ${parent.workflowId} is ${type === undefined ? 'not known to Temporal' : `of type "${type}"`}, not a ${RELEASE_WORKFLOW_TYPE}`;
  }
  const releaseRun = await history.run(parent.workflowId, parent.runId);
  const release = releaseRun.input as ReleaseInput | undefined;
  if (typeof release !== 'object' || release === null || !Array.isArray(release.members)) {
    return `release ${parent.workflowId} has no readable start input`;
  }
  if (release.releaseId !== membership.releaseId) {
    return `release ${parent.workflowId} is release ${release.releaseId}, not ${membership.releaseId}`;
  }
  for (const member of release.members) {
    if (contentHash(member.policy) !== member.policyHash) {
      return `release ${release.releaseId}: the policy of ${member.deployment?.service} does not hash to its pinned hash`;
    }
  }
  const member = release.members.find((m) => m.deployment?.service === guardian.deployment.service);
  if (
    member === undefined ||
    member.policyHash !== guardian.policyHash ||
    !isDeepStrictEqual(member.deployment, guardian.deployment)
  ) {
    return `release ${release.releaseId} was not started with this member (${guardian.deployment.service} under policy ${guardian.policyHash})`;
  }
  const planHash = recorded.plan.planHash;
  const releasePlans = releaseRun.calls.filter(
    (c) =>
      c.type === 'buildReleasePlan' &&
      c.state === 'completed' &&
      holdsMemberPlan(c.result, release.releaseId, guardian.deployment.service, planHash),
  );
  const releasePlan = releasePlans[0];
  if (releasePlan === undefined) {
    return `release ${release.releaseId} recorded no release plan that holds plan ${planHash} for ${guardian.deployment.service}`;
  }
  const result = releasePlan.result as ReleasePlan;
  const lead = release.members[0]!;
  return {
    workflowId: parent.workflowId,
    deploymentId: release.releaseId,
    planHash: result.planHash,
    // The release's gate: the strictest member approval, the first member's trusted keys (src/workflows/release.ts).
    approval: strictestApproval(release.members.map((m) => m.policy)) ?? lead.policy.approval,
    trustedKeyIds: lead.policy.trustedKeys.approvals,
    deployers: [release.deployer, guardian.deployment.deployer].filter((d): d is string => d !== undefined),
    runs: [releaseRun],
    ...madeAt(
      result.members[0]?.plan.createdAt,
      releasePlan.closedAt !== undefined ? [Date.parse(releasePlan.closedAt)] : [],
    ),
  };
}

/** A release plan (as buildReleasePlan returns it) whose hash recomputes and which holds the member's plan. */
function holdsMemberPlan(value: unknown, releaseId: string, service: string, planHash: string): boolean {
  const plan = value as Partial<ReleasePlan> | undefined;
  if (typeof plan?.planHash !== 'string' || !Array.isArray(plan.members)) return false;
  const parts = plan.members.map((m) => ({ service: m?.service, planHash: m?.plan?.planHash }));
  if (contentHash({ releaseId, members: parts }) !== plan.planHash) return false;
  return parts.some((p) => p.service === service && p.planHash === planHash);
}

/** The release gate's approval: the member policy's with the largest quorum (as release.ts picks it). */
function strictestApproval(policies: readonly Policy[]): Policy['approval'] {
  let strictest: Policy['approval'];
  for (const policy of policies) {
    const approval = policy.approval;
    if (approval && (strictest === undefined || approval.quorum > strictest.quorum)) strictest = approval;
  }
  return strictest;
}

/** The later of the plan's own createdAt and Temporal's records of it; none without a record. */
function madeAt(createdAt: string | undefined, recorded: number[]): { planMadeAt?: number } {
  const times = recorded.filter((t) => Number.isFinite(t));
  if (times.length === 0) return {};
  const created = createdAt !== undefined ? Date.parse(createdAt) : NaN;
  const earliestRecord = Math.min(...times);
  return { planMadeAt: Number.isFinite(created) ? Math.max(created, earliestRecord) : earliestRecord };
}

// ---- counting ------------------------------------------------------------------------

interface Counted {
  /** The people whose approval counts, in the order they approved. */
  subjects: string[];
  /** Why each other approve request does not count (never the token). */
  refused: string[];
}

async function countApprovals(scope: ApprovalScope, input: ApprovalCheckInput): Promise<Counted> {
  const approval = scope.approval!;
  const counted: Counted = { subjects: [], refused: [] };
  const requests = scope.runs.flatMap((run) =>
    run.calls
      .filter((c) => c.type === 'authorizeAction')
      .map((c) => ({ call: c, request: c.input as Partial<AuthorizeInput> | undefined })),
  );
  const approves = requests.filter(
    ({ request }) =>
      request?.action === 'approve' &&
      request.request?.planHash === scope.planHash &&
      typeof request.request.token === 'string',
  );
  if (approves.length > 0 && input.tokens === undefined) {
    counted.refused.push(
      'this executor has no trusted approval keys (--approval-keys), so no approval can verify',
    );
    return counted;
  }
  const tokenIds = new Set<string>();
  const roles = new Set<string>();
  for (const [i, { call, request }] of approves.entries()) {
    const token = request!.request!.token!;
    const claimedRole = String(request!.request!.role ?? '');
    const which = `approval ${i + 1} (${call.scheduledAt})`;
    const refuse = (why: string) => counted.refused.push(`${which}: ${redactSecrets(why, [token])}`);
    let subject: string;
    let role: string;
    let tokenId: string;
    try {
      const verified = await input.tokens!.verify(token, {
        workflowId: scope.workflowId,
        deploymentId: scope.deploymentId,
        action: 'approve',
        trustedKeyIds: scope.trustedKeyIds,
        role: claimedRole,
        planHash: scope.planHash,
        at: new Date(call.scheduledAt),
      });
      subject = normalizeIdentity(verified.subject);
      role = normalizeIdentity(verified.role);
      tokenId = verified.tokenId;
    } catch (error) {
      refuse(`the token does not verify: ${error instanceof Error ? error.message : 'invalid token'}`);
      continue;
    }
    if (tokenIds.has(tokenId)) {
      refuse('the same token was already counted');
      continue;
    }
    tokenIds.add(tokenId);
    if (!approval.roles.some((r) => sameIdentity(r, role))) {
      refuse(`${subject}'s role "${role}" may not approve (roles: ${approval.roles.join(', ')})`);
      continue;
    }
    if (!approval.allowSelfApproval && scope.deployers.some((d) => sameIdentity(d, subject))) {
      refuse(`${subject} deployed it and may not approve its rollback`);
      continue;
    }
    if (counted.subjects.includes(subject)) {
      refuse(`${subject} has already approved`);
      continue;
    }
    if (approval.distinctRoles && roles.has(role)) {
      refuse(`an approval from role ${role} is already counted; the policy needs distinct roles`);
      continue;
    }
    // Single use across the namespace: the token's claim must be this very request's.
    const nonce = request!.requestNonce ?? request!.workflowId;
    const claimedBy = await input.history.tokenClaimedBy(tokenId);
    if (
      claimedBy === undefined ||
      claimedBy !== nonce ||
      !(claimedBy === scope.workflowId || claimedBy.startsWith(`${scope.workflowId}#`))
    ) {
      refuse(
        claimedBy === undefined
          ? `${subject}'s token was never claimed for single use`
          : `${subject}'s token is claimed by another request`,
      );
      continue;
    }
    counted.subjects.push(subject);
    roles.add(role);
  }
  return counted;
}
