import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import {
  GUARDIAN_WORKFLOW_TYPE,
  type GuardianInput,
  type GuardianResult,
  guardianWorkflowId,
} from '../workflows/messages';
import type { guardian } from '../workflows/guardian';

/** Starts the guardian of one deployment; a deployment id is guarded once, ever. */
export async function startGuardian(
  client: Client,
  taskQueue: string,
  input: GuardianInput,
): Promise<WorkflowHandle<typeof guardian>> {
  return client.workflow.start<typeof guardian>(GUARDIAN_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: guardianWorkflowId(input),
    args: [input],
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
}

export async function waitForGuardian(handle: WorkflowHandle<typeof guardian>): Promise<GuardianResult> {
  return handle.result();
}
