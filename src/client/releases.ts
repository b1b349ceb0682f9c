import {
  type Client,
  type WorkflowHandle,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/client';
import type { GuardianStatus } from '../model/guardian';
import {
  RELEASE_WORKFLOW_TYPE,
  releaseWorkflowId,
  type ReleaseInput,
  type ReleaseStatus,
} from '../model/release';
import { statusQuery } from '../workflows/messages';
import type { release } from '../workflows/release';
import {
  RipcordDeploymentId,
  RipcordEnvironment,
  RipcordPhase,
  RipcordService,
  RipcordVersion,
} from '../workflows/search-attributes';

export type ReleaseHandle = WorkflowHandle<typeof release>;

/**
 * Starts the release workflow, which starts one child guardian per member.
 * A retried pipeline step gets the running release back (USE_EXISTING), and
 * a release id is never guarded twice (REJECT_DUPLICATE).
 */
export async function startRelease(
  client: Client,
  input: ReleaseInput,
  options: { taskQueue: string },
): Promise<ReleaseHandle> {
  const members = input.members.map((m) => `${m.deployment.service} ${m.deployment.version}`).join(', ');
  return client.workflow.start<typeof release>(RELEASE_WORKFLOW_TYPE, {
    taskQueue: options.taskQueue,
    workflowId: releaseWorkflowId(input),
    args: [input],
    typedSearchAttributes: [
      { key: RipcordService, value: input.name },
      { key: RipcordEnvironment, value: input.environment },
      { key: RipcordVersion, value: input.releaseId },
      { key: RipcordDeploymentId, value: input.releaseId },
      { key: RipcordPhase, value: 'admit' },
    ],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    staticSummary: `${input.replay ? 'Rehearsal: ' : ''}Guarding release ${input.name}: ${members} in ${input.environment}`,
    staticDetails: [
      `release: ${input.releaseId}`,
      `mode: ${input.mode}`,
      ...input.members.map(
        (m) =>
          `${m.deployment.service}: ${m.deployment.previousVersion} → ${m.deployment.version}${m.dependsOn.length ? `, calls ${m.dependsOn.join(', ')}` : ''} (policy ${m.policyHash})`,
      ),
      ...(input.outside.length
        ? [`outside the release: ${input.outside.map((o) => o.service).join(', ')}`]
        : []),
    ].join('\n'),
  });
}

/** A release's status: the guardian's, with its members, verdicts and what was rolled back. */
export async function releaseStatus(
  handle: WorkflowHandle,
): Promise<GuardianStatus & { release: ReleaseStatus }> {
  const status = await handle.query(statusQuery);
  if (status.release === undefined) throw new Error(`${handle.workflowId} is not a release`);
  return status as GuardianStatus & { release: ReleaseStatus };
}
