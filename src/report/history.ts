import type { Client } from '@temporalio/client';
import type { LoadedDataConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import {
  type HistorySelection,
  decodeWorkflowRun,
  fetchWorkflowRuns,
  type RunEnd as WorkflowRunEnd,
  type WorkflowRun,
} from '../client/workflow-history';
import type { IntervalReading } from '../model/activity-contract';
import type { GuardianInput, GuardianResult } from '../model/guardian';

/**
 * A guardian's workflow history, decoded into plain data for the report: the
 * input of each run and the activities it called, with their times, inputs and
 * results. The decoding itself lives in the client layer
 * (src/client/workflow-history.ts), which the executor reads histories with
 * too; this module says what the report decodes.
 */

export { type ActivityCall, type ActivityState, HistoryDecodeError } from '../client/workflow-history';

/**
 * Activities whose payloads the report reads. Everything else stays encoded:
 * operator requests (updates, authorizeAction inputs) carry signed tokens,
 * which a report must never show.
 */
export const REPORTED_ACTIVITIES = {
  admitDeployment: { input: false, result: true },
  evaluateHealth: { input: true, result: true },
  buildRollbackPlan: { input: false, result: true },
  executeStep: { input: true, result: true },
  compensateStep: { input: true, result: true },
  recordAudit: { input: true, result: false },
} as const satisfies Record<string, { input: boolean; result: boolean }>;

/** Health reads are local activities: shown as the evaluateHealth calls they stand for, with the interval their result names. */
const REPORT_SELECTION: HistorySelection = {
  activities: REPORTED_ACTIVITIES,
  localActivities: {
    readHealthInterval: (result) => {
      const reading = result as IntervalReading | undefined;
      return { type: 'evaluateHealth', input: { index: reading?.index }, result: reading?.observation };
    },
  },
};

export type RunEnd = WorkflowRunEnd<GuardianResult>;

export type GuardianRun = WorkflowRun<GuardianInput, GuardianResult>;

export interface GuardianHistory {
  workflowId: string;
  /** Oldest first: continue-as-new makes one guardian several runs. */
  runs: GuardianRun[];
}

/** One run's events as plain data; exported for tests that build events by hand. */
export async function decodeRun(
  converter: LoadedDataConverter,
  runId: string,
  events: temporal.api.history.v1.IHistoryEvent[],
): Promise<{ run: GuardianRun; previousRunId?: string }> {
  const decoded = await decodeWorkflowRun<GuardianInput, GuardianResult>(
    converter,
    runId,
    events,
    REPORT_SELECTION,
  );
  if (!decoded.run.input) throw new Error(`run ${runId} of the guardian has no start event`);
  return { run: decoded.run, ...(decoded.previousRunId ? { previousRunId: decoded.previousRunId } : {}) };
}

/** Every run of the guardian, following continue-as-new back from the latest. */
export async function fetchGuardianHistory(client: Client, workflowId: string): Promise<GuardianHistory> {
  const runs = await fetchWorkflowRuns<GuardianInput, GuardianResult>(client, workflowId, REPORT_SELECTION);
  return { workflowId, runs };
}
