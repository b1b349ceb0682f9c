import type { Client } from '@temporalio/client';
import { findGuardian, GuardianNotFoundError, type GuardianHandle } from '../client/guardians';
import { noWorkerHint, workerPolls } from '../client/task-queue';
import type { GuardianResult, GuardianStatus } from '../model/guardian';
import { guardianWorkflowId, isGuardianWorkflowId } from '../model/guardian';
import { EXIT } from './exit-codes';
import { UserFacingError } from './errors';
import { queryStatus, stoppedBy } from '../client/progress';
import { firstLine } from '../text/lines';

/** Flags that pin a deployment id to one service and environment (deployment ids need not be global). */
export interface LocateFlags {
  service?: string;
  env?: string;
}

/** A full workflow id, the id built from --env/--service, or (else) a deployment id to look up. */
export function guardianRef(id: string, flags: LocateFlags): string {
  if (isGuardianWorkflowId(id)) return id;
  if (flags.env && flags.service) {
    return guardianWorkflowId({ environment: flags.env, service: flags.service, deploymentId: id });
  }
  return id;
}

/** Finds the guardian; an id that names none says where the ids are listed. */
export async function locateGuardian(
  client: Client,
  id: string,
  flags: LocateFlags,
): Promise<GuardianHandle> {
  try {
    return await findGuardian(client, guardianRef(id, flags));
  } catch (err) {
    if (err instanceof GuardianNotFoundError) {
      throw new UserFacingError(
        `${err.message}: \`ripcord list\` shows the running guardians, \`ripcord list --all\` the closed ones too`,
        EXIT.refusedOrFailed,
      );
    }
    throw err;
  }
}

/** What a closed guardian still tells without a worker to answer queries: its history and its result. */
export interface ClosedGuardian {
  workflowId: string;
  executionStatus: string;
  closedAt?: string;
  searchAttributes: Record<string, string>;
  result?: Pick<GuardianResult, 'outcome' | 'reason' | 'evaluations'>;
  stopped?: string;
}

/** What Temporal says of the run, whatever the guardian's own status says: RUNNING, COMPLETED, TERMINATED... */
export interface ExecutionInfo {
  status: string;
  closeTime?: string;
}

export type StatusReading =
  | { kind: 'live'; status: GuardianStatus; execution: ExecutionInfo }
  | { kind: 'closed'; closed: ClosedGuardian; execution: ExecutionInfo };

/** A running guardian's worker answers within this; longer means no worker serves it. */
const QUERY_TIMEOUT_MS = 10_000;
/** A closed guardian answers only if a worker still polls its task queue; do not wait long for one. */
const CLOSED_QUERY_TIMEOUT_MS = 2_000;

/**
 * The guardian's own status when it answers; for a closed guardian whose worker
 * is gone, what its history says. A running guardian that does not answer
 * means no worker serves it, which a person must know.
 */
export async function readStatus(client: Client, handle: GuardianHandle): Promise<StatusReading> {
  const described = await handle.describe();
  const running = described.status.name === 'RUNNING';
  const execution: ExecutionInfo = {
    status: described.status.name,
    ...(described.closeTime ? { closeTime: described.closeTime.toISOString() } : {}),
  };
  // Nobody polls its task queue: the query would only time out. Say why, and how to start a worker.
  if (running && (await workerPolls(client, described.taskQueue)) === false) {
    const phase = described.searchAttributes?.RipcordPhase;
    const last = Array.isArray(phase) && phase.length > 0 ? ` (last phase ${String(phase[0])})` : '';
    throw new UserFacingError(
      `guardian ${handle.workflowId}${last} cannot answer: ${noWorkerHint(client.options.namespace, described.taskQueue)}`,
      EXIT.refusedOrFailed,
    );
  }
  try {
    const timeout = running ? QUERY_TIMEOUT_MS : CLOSED_QUERY_TIMEOUT_MS;
    return { kind: 'live', status: await queryStatus(client, handle, timeout), execution };
  } catch (queryError) {
    if (running) {
      throw new UserFacingError(
        `guardian ${handle.workflowId} did not answer the status query (${firstLine((queryError as Error).message)}); ` +
          `is a ripcord worker running on task queue "${described.taskQueue}"?`,
        EXIT.refusedOrFailed,
      );
    }
  }
  const searchAttributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(described.searchAttributes ?? {})) {
    if (Array.isArray(value) && value.length > 0) searchAttributes[key] = String(value[0]);
  }
  const closed: ClosedGuardian = {
    workflowId: handle.workflowId,
    executionStatus: described.status.name,
    ...(described.closeTime ? { closedAt: described.closeTime.toISOString() } : {}),
    searchAttributes,
  };
  try {
    const result = await handle.result();
    closed.result = { outcome: result.outcome, reason: result.reason, evaluations: result.evaluations };
  } catch (err) {
    const end = stoppedBy(err);
    closed.stopped = `${end.how}${end.message ? `: ${end.message}` : ''}`;
  }
  return { kind: 'closed', closed, execution };
}
