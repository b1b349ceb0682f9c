import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { contentHash } from '../policy';
import { RELEASE_WORKFLOW_TYPE, isReleaseWorkflowId } from '../model/release';
import { memberOrderQuery } from '../workflows/messages';
import type {
  BuildReleasePlanInput,
  ConfirmMemberOrderInput,
  ConfirmMemberOrderResult,
  EvaluateHealthInput,
  EvaluateHealthResult,
  ReadReleaseIntervalInput,
  ReleaseIntervalReading,
} from '../model/activity-contract';
import type { RollbackPlan } from '../model/plan';
import type { ReleasePlan } from '../model/release';

/**
 * One interval of a release: every member's and every outside service's
 * series, read as their own guardians would (evaluateHealth), side by side.
 * Like the guardian's read, it never throws for a source failure.
 */
export function readReleaseInterval(evaluate: (input: EvaluateHealthInput) => Promise<EvaluateHealthResult>) {
  return async (input: ReadReleaseIntervalInput): Promise<ReleaseIntervalReading> => {
    const observations = await Promise.all(
      input.services.map(async (read) => {
        const observation = await evaluate({
          deployment: read.deployment,
          index: input.index,
          intervalSeconds: input.intervalSeconds,
          series: read.series,
          sources: read.sources,
          ...(read.replay ? { replay: read.replay } : {}),
        });
        return [read.service, observation] as const;
      }),
    );
    return { index: input.index, observations: Object.fromEntries(observations) };
  };
}

/**
 * The release's one plan: every member's own plan (built by their policies),
 * in the order they are rolled back, under one hash that approvals name.
 * The hash covers the release, the order and each member's plan hash.
 */
export function buildReleasePlan(
  buildMemberPlan: (input: BuildReleasePlanInput['members'][number]) => Promise<RollbackPlan>,
) {
  return async (input: BuildReleasePlanInput): Promise<ReleasePlan> => {
    const members: ReleasePlan['members'] = [];
    for (const member of input.members) {
      members.push({ service: member.deployment.service, plan: await buildMemberPlan(member) });
    }
    const planHash = contentHash({
      releaseId: input.releaseId,
      members: members.map((m) => ({ service: m.service, planHash: m.plan.planHash })),
    });
    return { planHash, members };
  };
}

/**
 * What the release really orders a member. The `memberOrder` signal is only a
 * hint (anyone with signal rights can send it): the member believes its
 * parent, a running release workflow, asked by query.
 */
export function confirmMemberOrder(client: Client | undefined) {
  return async (input: ConfirmMemberOrderInput): Promise<ConfirmMemberOrderResult> => {
    if (client === undefined)
      return {
        seq: 0,
        order: { kind: 'none' },
        reason: 'this worker has no Temporal client to ask the release',
      };
    if (!isReleaseWorkflowId(input.releaseWorkflowId))
      return {
        seq: 0,
        order: { kind: 'none' },
        reason: `${input.releaseWorkflowId} is not a release workflow id`,
      };
    const handle = client.workflow.getHandle(input.releaseWorkflowId);
    try {
      const described = await handle.describe();
      if (described.type !== RELEASE_WORKFLOW_TYPE)
        return { seq: 0, order: { kind: 'none' }, reason: `${input.releaseWorkflowId} is not a release` };
      // Anyone may register a workflow type named `release` on a task queue of their own: only a release
      // run by the workers of the member's own task queue runs ripcord's release code.
      if (described.taskQueue !== input.taskQueue)
        return {
          seq: 0,
          order: { kind: 'none' },
          reason: `${input.releaseWorkflowId} runs on task queue ${described.taskQueue}, not on the member's ${input.taskQueue}`,
        };
      if (described.status.name !== 'RUNNING')
        return {
          seq: 0,
          order: { kind: 'none' },
          reason: `release ${input.releaseWorkflowId} is ${described.status.name.toLowerCase()}`,
        };
      const current = await handle.query(memberOrderQuery, input.service);
      return { ...current, reason: `release ${input.releaseWorkflowId} orders it` };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError)
        return {
          seq: 0,
          order: { kind: 'none' },
          reason: `no release ${input.releaseWorkflowId} is running`,
        };
      throw error;
    }
  };
}
