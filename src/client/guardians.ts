import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { ACTION_UPDATES, statusQuery } from '../workflows/messages';
import { type ActionRequest, type ActionResult, type GuardianAction } from '../model/actions';
import {
  GUARDIAN_WORKFLOW_TYPE,
  type GuardianInput,
  type GuardianStatus,
  guardianWorkflowId,
  isGuardianWorkflowId,
  GUARDIAN_WORKFLOW_ID_PREFIX,
  REHEARSAL_WORKFLOW_ID_PREFIX,
} from '../model/guardian';
import type { guardian } from '../workflows/guardian';
import {
  RipcordDeploymentId,
  RipcordEnvironment,
  RipcordPhase,
  RipcordService,
  RipcordVersion,
} from '../workflows/search-attributes';
import { policyVersionLabel } from '../policy/version-label';
import { RELEASE_WORKFLOW_TYPE, isReleaseWorkflowId } from '../model/release';

/**
 * The typed client that the CLI and pipelines use. It only speaks the
 * messages of src/workflows/messages.ts; it never reaches into the workflow.
 */

export type GuardianHandle = WorkflowHandle<typeof guardian>;

export class GuardianNotFoundError extends Error {}

/**
 * Starts the guardian of one deployment. A retried pipeline step gets the
 * running guardian back (USE_EXISTING) instead of starting a second one.
 */
export async function startGuardian(
  client: Client,
  taskQueue: string,
  input: GuardianInput,
): Promise<GuardianHandle> {
  const { deployment, policy } = input;
  // A rehearsal (replayed health) lives apart from the live guardian of the same deployment id.
  const rehearsal = input.replay !== undefined;
  return client.workflow.start<typeof guardian>(GUARDIAN_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: guardianWorkflowId(deployment, { rehearsal }),
    args: [input],
    // No memo: a memo is a payload, encrypted with the codec, and every `list` decodes it, so a
    // client without the keys could no longer list guardians. The id prefix says it instead.
    // Findable by deployment id and service before its first workflow task runs: with no worker
    // serving the task queue, `status <deployment-id>` and `list` must still find it (and say why).
    typedSearchAttributes: [
      { key: RipcordService, value: deployment.service },
      { key: RipcordEnvironment, value: deployment.environment },
      { key: RipcordVersion, value: deployment.version },
      { key: RipcordDeploymentId, value: deployment.deploymentId },
      { key: RipcordPhase, value: 'admit' },
    ],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    // ...and after it closed, a retry must not start a second guardian for the same deployment.
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    staticSummary: `${rehearsal ? 'Rehearsal: ' : ''}Guarding ${deployment.service} ${deployment.version} (was ${deployment.previousVersion}) in ${deployment.environment}`,
    staticDetails: [
      `deployment: ${deployment.deploymentId}`,
      `policy: ${policy.metadata.service}/${policy.metadata.environment} ${policyVersionLabel(policy.metadata.version)} (${input.policyHash})`,
      `mode: ${policy.mode}, pattern: ${policy.deployment.pattern}`,
    ].join('\n'),
  });
}

export { WorkflowExecutionAlreadyStartedError };

export interface GuardianRow {
  workflowId: string;
  deploymentId: string;
  service: string;
  environment: string;
  version: string;
  phase: string;
  outcome: string;
  status: string;
  startTime: Date;
  /** A rehearsal (replayed health), living apart from the live guardians. */
  rehearsal?: boolean;
  /** The task queue it runs on: `list` says when no worker polls it. */
  taskQueue?: string;
  /** A release (its members are guardians whose parent it is). */
  release?: boolean;
  /** A release member: its release's workflow id. */
  parentWorkflowId?: string;
}

function keyword(attrs: Record<string, unknown> | undefined, name: string): string {
  const value = attrs?.[name];
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : '';
}

/** Guardians from visibility (search attributes); newest first. */
export async function listGuardians(
  client: Client,
  filter: {
    service?: string;
    environment?: string;
    deploymentId?: string;
    running?: boolean;
    /** Only guardians started at or after this moment (`StartTime`). */
    startedSince?: Date;
    /** Which workflows: guardians (default), releases, or both. */
    types?: Array<typeof GUARDIAN_WORKFLOW_TYPE | typeof RELEASE_WORKFLOW_TYPE>;
  } = {},
  limit = 100,
): Promise<GuardianRow[]> {
  const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;
  const types = filter.types ?? [GUARDIAN_WORKFLOW_TYPE];
  const clauses = [
    types.length === 1
      ? `WorkflowType = ${quote(types[0]!)}`
      : `WorkflowType IN (${types.map(quote).join(', ')})`,
  ];
  if (filter.service) clauses.push(`RipcordService = ${quote(filter.service)}`);
  if (filter.environment) clauses.push(`RipcordEnvironment = ${quote(filter.environment)}`);
  if (filter.deploymentId) clauses.push(`RipcordDeploymentId = ${quote(filter.deploymentId)}`);
  if (filter.running) clauses.push(`ExecutionStatus = "Running"`);
  if (filter.startedSince) clauses.push(`StartTime >= ${quote(filter.startedSince.toISOString())}`);
  const rows: GuardianRow[] = [];
  for await (const wf of client.workflow.list({ query: clauses.join(' AND ') })) {
    const attrs = wf.searchAttributes as Record<string, unknown> | undefined;
    rows.push({
      workflowId: wf.workflowId,
      deploymentId: keyword(attrs, 'RipcordDeploymentId'),
      service: keyword(attrs, 'RipcordService'),
      environment: keyword(attrs, 'RipcordEnvironment'),
      version: keyword(attrs, 'RipcordVersion'),
      phase: keyword(attrs, 'RipcordPhase'),
      outcome: keyword(attrs, 'RipcordOutcome'),
      status: wf.status.name,
      startTime: wf.startTime,
      rehearsal: wf.workflowId.startsWith(REHEARSAL_WORKFLOW_ID_PREFIX),
      taskQueue: wf.taskQueue,
      ...(wf.type === RELEASE_WORKFLOW_TYPE ? { release: true } : {}),
      ...(wf.parentExecution?.workflowId ? { parentWorkflowId: wf.parentExecution.workflowId } : {}),
    });
    if (rows.length >= limit) break;
  }
  return rows.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
}

/**
 * Finds the guardian of a deployment: by its full workflow id (live
 * `ripcord/…` or rehearsal `ripcord-rehearsal/…`), or by the deployment id
 * alone (the running one first, else the newest; live before rehearsal).
 */
export async function findGuardian(client: Client, idOrDeploymentId: string): Promise<GuardianHandle> {
  if (isReleaseWorkflowId(idOrDeploymentId)) {
    const handle = client.workflow.getHandle<typeof guardian>(idOrDeploymentId);
    try {
      await handle.describe();
      return handle;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        throw new GuardianNotFoundError(`no release ${idOrDeploymentId}`);
      throw err;
    }
  }
  if (isGuardianWorkflowId(idOrDeploymentId)) {
    // A live id with no live guardian: its rehearsal, e.g. the report step of a pipeline run with --replay.
    const candidates = [idOrDeploymentId];
    if (idOrDeploymentId.startsWith(GUARDIAN_WORKFLOW_ID_PREFIX))
      candidates.push(
        REHEARSAL_WORKFLOW_ID_PREFIX + idOrDeploymentId.slice(GUARDIAN_WORKFLOW_ID_PREFIX.length),
      );
    for (const workflowId of candidates) {
      const handle = client.workflow.getHandle<typeof guardian>(workflowId);
      try {
        await handle.describe();
        return handle;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    throw new GuardianNotFoundError(`no guardian ${idOrDeploymentId}`);
  }
  // A release id names the release (its members share it as their deployment id): the release first.
  const releases = (
    await listGuardians(client, { deploymentId: idOrDeploymentId, types: [RELEASE_WORKFLOW_TYPE] })
  ).filter((r) => r.release === true);
  const release = releases.find((r) => r.status === 'RUNNING') ?? releases[0];
  if (release) return client.workflow.getHandle<typeof guardian>(release.workflowId);
  const rows = await listGuardians(client, { deploymentId: idOrDeploymentId });
  // A live guardian before a rehearsal of the same deployment id; the running one before the newest.
  const chosen =
    rows.find((r) => r.status === 'RUNNING' && !r.rehearsal) ??
    rows.find((r) => r.status === 'RUNNING') ??
    rows.find((r) => !r.rehearsal) ??
    rows[0];
  if (!chosen) throw new GuardianNotFoundError(`no guardian for deployment ${idOrDeploymentId}`);
  return client.workflow.getHandle<typeof guardian>(chosen.workflowId);
}

export function guardianStatus(handle: GuardianHandle): Promise<GuardianStatus> {
  return handle.query(statusQuery);
}

/** Sends an operator action; the answer says whether the guardian accepted it and why not. */
export function sendAction(
  handle: GuardianHandle,
  action: GuardianAction,
  request: ActionRequest,
): Promise<ActionResult> {
  return handle.executeUpdate(ACTION_UPDATES[action], { args: [request] });
}

/** The Web UI page of one guardian. */
export function webUiLink(uiBaseUrl: string, namespace: string, workflowId: string): string {
  return `${uiBaseUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
