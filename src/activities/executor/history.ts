import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import {
  type ActivityCall,
  fetchWorkflowRun,
  type HistorySelection,
  type ParentExecution,
} from '../../client/workflow-history';
import { tokenClaimWorkflowId } from '../token-claim';

/**
 * What the execute plane reads from Temporal to check a step, with its own
 * client: never what the decide plane says about it. Behind an interface so
 * unit tests hand the checks a history of their own making.
 */

/** One run of a workflow as the checks read it: its start input, parent, and the activities they need. */
export interface ExecutorRun {
  workflowId: string;
  runId: string;
  /** The run's start input, decoded (a guardian's GuardianInput, a release's ReleaseInput). */
  input: unknown;
  /** The run it continued from (continue-as-new). */
  previousRunId?: string;
  /** The parent that started it as a child, as the server recorded it. */
  parent?: ParentExecution;
  /** The runs's activities, oldest first, decoded as EXECUTOR_SELECTION says. */
  calls: ActivityCall[];
}

export interface ExecutorHistory {
  /** The workflow type Temporal holds for this run (describe); undefined when there is no such run. */
  workflowType(workflowId: string, runId: string): Promise<string | undefined>;
  /** The run's history, decoded; throws when it cannot be read. */
  run(workflowId: string, runId: string): Promise<ExecutorRun>;
  /** Who holds the namespace-wide claim on an action token's id (`claimedBy`); undefined when nobody does. */
  tokenClaimedBy(tokenId: string): Promise<string | undefined>;
}

/**
 * The payloads the checks decode, and nothing else: the plans a guardian or a
 * release recorded, the orders a member read back, and the approve requests
 * (their tokens are verified again, never logged or stored).
 */
export const EXECUTOR_SELECTION: HistorySelection = {
  activities: {
    buildRollbackPlan: { input: false, result: true },
    buildReleasePlan: { input: false, result: true },
    confirmMemberOrder: { input: false, result: true },
    authorizeAction: { input: true, result: false },
  },
};

/**
 * Reads from Temporal with the executor's own client. Each run is read once
 * per instance (cached by workflow and run id): make one per step call, so a
 * later call reads what Temporal holds then.
 */
export function temporalExecutorHistory(client: Client): ExecutorHistory {
  const runs = new Map<string, Promise<ExecutorRun>>();
  const types = new Map<string, Promise<string | undefined>>();
  return {
    workflowType(workflowId, runId) {
      const key = `${workflowId}\n${runId}`;
      let type = types.get(key);
      if (type === undefined) {
        type = client.workflow
          .getHandle(workflowId, runId)
          .describe()
          .then(
            (described) => described.type,
            (error: unknown) => {
              if (error instanceof WorkflowNotFoundError) return undefined;
              throw error;
            },
          );
        types.set(key, type);
      }
      return type;
    },
    run(workflowId, runId) {
      const key = `${workflowId}\n${runId}`;
      let run = runs.get(key);
      if (run === undefined) {
        run = fetchWorkflowRun(client, workflowId, runId, EXECUTOR_SELECTION).then((decoded) => ({
          workflowId,
          runId,
          input: decoded.run.input,
          ...(decoded.previousRunId !== undefined ? { previousRunId: decoded.previousRunId } : {}),
          ...(decoded.parent !== undefined ? { parent: decoded.parent } : {}),
          calls: decoded.run.calls,
        }));
        runs.set(key, run);
      }
      return run;
    },
    async tokenClaimedBy(tokenId) {
      try {
        const described = await client.workflow.getHandle(tokenClaimWorkflowId(tokenId)).describe();
        const claimedBy = described.memo?.claimedBy;
        return typeof claimedBy === 'string' ? claimedBy : '';
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return undefined;
        throw error;
      }
    },
  };
}
