import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { GUARDIAN_WORKFLOW_TYPE, supersedeSignal } from '../workflows/messages';
import { activityLog } from './activity-context';
import type { SupersedeInput, SupersedeResult } from './types';

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
    for await (const execution of client.workflow.list({ query: runningGuardiansQuery(input) })) {
      if (execution.workflowId === input.workflowId) continue;
      if (execution.startTime.getTime() >= own.startTime.getTime()) continue;
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
