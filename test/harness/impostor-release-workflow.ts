import { defineQuery, defineSignal, setHandler, startChild } from '@temporalio/workflow';

/**
 * An attacker's own workflow code, for the security tier (test/security/releases.test.ts):
 * a workflow TYPE named `release`, run by the attacker's worker on a task queue
 * of their own. It starts a guardian on ripcord's task queue as its child, with
 * a release link naming itself, and answers the member's `memberOrder` query
 * with whatever order it was given. Nothing here is ripcord's code; it is what
 * anyone who can start workflows and poll some task queue in the namespace can run.
 */
export interface ImpostorReleaseInput {
  /** ripcord's task queue, where the member guardian runs. */
  memberTaskQueue: string;
  memberWorkflowId: string;
  memberInput: unknown;
  /** What the impostor answers when the member asks for its order. */
  order: unknown;
}

const memberOrderQuery = defineQuery<unknown, [string]>('memberOrder');
const memberOrderSignal = defineSignal('memberOrder');

export async function release(input: ImpostorReleaseInput): Promise<unknown> {
  setHandler(memberOrderQuery, () => ({ seq: 1, order: input.order }));
  const child = await startChild('guardian', {
    taskQueue: input.memberTaskQueue,
    workflowId: input.memberWorkflowId,
    args: [input.memberInput],
  });
  await child.signal(memberOrderSignal);
  return child.result();
}
