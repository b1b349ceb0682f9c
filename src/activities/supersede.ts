import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { GUARDIAN_WORKFLOW_TYPE, REHEARSAL_WORKFLOW_ID_PREFIX } from '../model/guardian';
import { statusQuery, supersedeSignal } from '../workflows/messages';
import { activityLog } from './activity-context';
import { RipcordEnvironment, RipcordService } from '../workflows/search-attributes';
import type {
  SupersedeInput,
  SupersedeResult,
  VerifySupersedeInput,
  VerifySupersedeResult,
} from '../model/activity-contract';

/**
 * Tells older guardians of the same service and environment to stand down: a
 * newer deployment replaced theirs, so their verdicts no longer describe
 * production. Only guardians that started before this one are told, so two
 * guardians admitted at the same moment cannot silence each other. Signalling
 * twice is harmless (the signal only says who superseded them), so the
 * activity may be retried freely.
 */
export function supersedeOlderGuardians(client: Client | undefined) {
  return async (input: SupersedeInput): Promise<SupersedeResult> => {
    if (client === undefined) return { superseded: [] };
    const own = await client.workflow.getHandle(input.workflowId).describe();
    const superseded: string[] = [];
    // A rehearsal supersedes nobody (its guardian skips this activity; a retried old one lands here).
    if ((await rehearsalOf(client, input.workflowId)) === true) return { superseded: [] };
    for await (const execution of client.workflow.list({ query: runningGuardiansQuery(input) })) {
      if (execution.workflowId === input.workflowId) continue;
      if (execution.startTime.getTime() >= own.startTime.getTime()) continue;
      // A live guardian never stands a rehearsal down: the two live apart.
      if ((await rehearsalOf(client, execution.workflowId, execution.runId)) === true) continue;
      try {
        await client.workflow
          .getHandle(execution.workflowId, execution.runId)
          .signal(supersedeSignal, { by: input.workflowId });
        superseded.push(execution.workflowId);
      } catch (error) {
        // It finished between the list and the signal: nothing left to stop.
        if (error instanceof WorkflowNotFoundError) continue;
        throw error;
      }
    }
    if (superseded.length > 0) activityLog().info('superseded older guardians', { superseded });
    return { superseded };
  };
}

export function runningGuardiansQuery(input: Pick<SupersedeInput, 'service' | 'environment'>): string {
  return [
    `WorkflowType = ${quote(GUARDIAN_WORKFLOW_TYPE)}`,
    `RipcordService = ${quote(input.service)}`,
    `RipcordEnvironment = ${quote(input.environment)}`,
    `ExecutionStatus = "Running"`,
  ].join(' AND ');
}

// Admission already restricts names to DNS labels; quoting still keeps a stray quote from changing the query.
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Checks the sender a `supersede` signal names before the guardian stands
 * down: anyone with signal rights can send the signal, so it is only a hint.
 * Genuine means Temporal itself says that `by` is a running guardian, on the
 * same task queue, of the same service and environment, started after this
 * one. Never throws for a refusal; the result says why.
 */
export function verifySupersede(client: Client | undefined) {
  return async (input: VerifySupersedeInput): Promise<VerifySupersedeResult> => {
    const refuse = (reason: string): VerifySupersedeResult => ({ genuine: false, reason });
    if (client === undefined) return refuse('this worker has no Temporal client to check the sender with');
    if (input.by === input.workflowId) return refuse('a guardian cannot supersede itself');
    const own = await client.workflow.getHandle(input.workflowId).describe();
    let sender: Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['describe']>>;
    try {
      sender = await client.workflow.getHandle(input.by).describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return refuse(`no workflow ${input.by} exists`);
      throw error;
    }
    if (sender.type !== GUARDIAN_WORKFLOW_TYPE) return refuse(`${input.by} is not a guardian`);
    if (sender.status.name !== 'RUNNING') return refuse(`${input.by} is not running`);
    if (sender.taskQueue !== own.taskQueue) return refuse(`${input.by} runs on another task queue`);
    const attributes = sender.typedSearchAttributes;
    const service = attributes.get(RipcordService);
    const environment = attributes.get(RipcordEnvironment);
    if (service !== input.service || environment !== input.environment) {
      return refuse(`${input.by} guards another service or environment`);
    }
    if (sender.startTime.getTime() <= own.startTime.getTime()) {
      return refuse(`${input.by} started before this guardian, so it cannot be a newer deployment`);
    }
    // Rehearsals and live guardians live apart: neither stands the other down, and rehearsals supersede nobody.
    const senderRehearsal = await rehearsalOf(client, input.by, sender.runId);
    if (senderRehearsal !== false) {
      return refuse(
        senderRehearsal
          ? `${input.by} is a rehearsal (replayed health): it never supersedes a guardian`
          : `${input.by} did not say whether it is a rehearsal, so it cannot supersede this guardian`,
      );
    }
    if ((await rehearsalOf(client, input.workflowId)) === true) {
      return refuse('this guardian is a rehearsal: no other guardian supersedes it');
    }
    return {
      genuine: true,
      reason: `${input.by} is a newer guardian of ${input.service} in ${input.environment}`,
    };
  };
}

/** A guardian on the same task queue answers its status query within this, or is not counted as live. */
const STATUS_QUERY_TIMEOUT_MS = 10_000;

/**
 * Whether a guardian is a rehearsal (its health a replayed scenario): by its
 * workflow id as the client started it, else by its own status
 * (`rehearsal: true`, from its input: also catches one started with the raw
 * client under a live id). Undefined when it does not answer.
 */
export async function rehearsalOf(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<boolean | undefined> {
  if (workflowId.startsWith(REHEARSAL_WORKFLOW_ID_PREFIX)) return true;
  try {
    const handle = client.workflow.getHandle(workflowId, runId);
    const status = await client.connection.withDeadline(Date.now() + STATUS_QUERY_TIMEOUT_MS, () =>
      handle.query(statusQuery),
    );
    return status.rehearsal === true;
  } catch {
    return undefined;
  }
}
