import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { localActivityMarker } from '../../src/report/markers';
import { HEALTH_ACTIVITY, type TimedEvent } from './scale-timing';

/**
 * Reads guardians' histories from Temporal and reduces them to the
 * TimedEvents that bench/lib/scale-timing.ts analyses. Every time is the
 * server's own event time, so the analysis does not depend on when the
 * benchmark happened to look.
 */

const T = temporal.api.enums.v1.EventType;

const TYPES = new Map<number, TimedEvent['type']>([
  [T.EVENT_TYPE_TIMER_STARTED, 'TimerStarted'],
  [T.EVENT_TYPE_TIMER_FIRED, 'TimerFired'],
  [T.EVENT_TYPE_TIMER_CANCELED, 'TimerCanceled'],
  [T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 'ActivityTaskScheduled'],
  [T.EVENT_TYPE_ACTIVITY_TASK_STARTED, 'ActivityTaskStarted'],
  [T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 'ActivityTaskCompleted'],
  [T.EVENT_TYPE_ACTIVITY_TASK_FAILED, 'ActivityTaskFailed'],
  [T.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, 'ActivityTaskTimedOut'],
  [T.EVENT_TYPE_ACTIVITY_TASK_CANCELED, 'ActivityTaskCanceled'],
  [T.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, 'WorkflowTaskTimedOut'],
  [T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 'WorkflowTaskCompleted'],
  [T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, 'StartChildWorkflowExecutionInitiated'],
]);

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function num(value: unknown): number {
  return value === null || value === undefined ? NaN : Number(value);
}

function refIdOf(e: HistoryEvent): number | undefined {
  const ref =
    e.timerFiredEventAttributes?.startedEventId ??
    e.timerCanceledEventAttributes?.startedEventId ??
    e.activityTaskStartedEventAttributes?.scheduledEventId ??
    e.activityTaskCompletedEventAttributes?.scheduledEventId ??
    e.activityTaskFailedEventAttributes?.scheduledEventId ??
    e.activityTaskTimedOutEventAttributes?.scheduledEventId ??
    e.activityTaskCanceledEventAttributes?.scheduledEventId;
  return ref === null || ref === undefined ? undefined : num(ref);
}

/**
 * A local activity leaves one marker instead of activity events. It is told
 * as the activity events it stands for (synthetic, negative ids), at the times
 * its marker records: scheduled and started when the workflow task asked for
 * it (it runs at once, in the worker), completed when it returned. The
 * guardian's local health read counts as the health activity.
 */
function localActivityEvents(e: HistoryEvent): TimedEvent[] {
  const local = localActivityMarker(e);
  if (local === undefined || local.scheduledAt === undefined) return [];
  // The marker's own event counts once, as the completion (the scheduled and started events are not in history).
  const id = -num(e.eventId);
  const scheduledMs = Date.parse(local.scheduledAt);
  const completedMs =
    local.completedAt === undefined ? (optionalTsToMs(e.eventTime) ?? NaN) : Date.parse(local.completedAt);
  const activityType = local.type === 'readHealthInterval' ? HEALTH_ACTIVITY : local.type;
  return [
    { id, type: 'ActivityTaskScheduled', timeMs: scheduledMs, activityType },
    { id: id - 0.25, type: 'ActivityTaskStarted', timeMs: scheduledMs, refId: id },
    {
      id: num(e.eventId),
      type: local.failure ? 'ActivityTaskFailed' : 'ActivityTaskCompleted',
      timeMs: completedMs,
      refId: id,
    },
  ];
}

export function timedEvents(events: readonly HistoryEvent[]): TimedEvent[] {
  return events.flatMap((e) => {
    const local = localActivityEvents(e);
    if (local.length > 0) return local;
    const type = TYPES.get(e.eventType ?? 0) ?? 'Other';
    const event: TimedEvent = { id: num(e.eventId), type, timeMs: optionalTsToMs(e.eventTime) ?? NaN };
    if (type === 'TimerStarted')
      event.timerMs = optionalTsToMs(e.timerStartedEventAttributes?.startToFireTimeout);
    if (type === 'ActivityTaskScheduled')
      event.activityType = e.activityTaskScheduledEventAttributes?.activityType?.name ?? '';
    const ref = refIdOf(e);
    if (ref !== undefined) event.refId = ref;
    return event;
  });
}

/** One run of a guardian, as its history tells it. */
export interface RunHistory {
  workflowId: string;
  runId: string;
  events: TimedEvent[];
  /** Every event of the run, whatever its type (TimedEvents keep them too, as 'Other'). */
  length: number;
}

export async function fetchRun(client: Client, workflowId: string, runId?: string): Promise<RunHistory> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const history = await handle.fetchHistory();
  const events = timedEvents(history.events ?? []);
  return { workflowId, runId: runId ?? '', events, length: history.events?.length ?? 0 };
}

/** Every run of one workflow id (continue-as-new makes several), oldest first. */
export async function fetchAllRuns(client: Client, workflowId: string): Promise<RunHistory[]> {
  const runs: { runId: string; startMs: number }[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs.push({ runId: execution.runId, startMs: execution.startTime.getTime() });
  }
  runs.sort((a, b) => a.startMs - b.startMs);
  const out: RunHistory[] = [];
  for (const run of runs) out.push(await fetchRun(client, workflowId, run.runId));
  return out;
}
