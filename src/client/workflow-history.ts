import type { Client } from '@temporalio/client';
import type { LoadedDataConverter } from '@temporalio/common';
import {
  decodeArrayFromPayloads,
  decodeOptionalFailureToOptionalError,
} from '@temporalio/common/lib/internal-non-workflow';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { localActivityMarker, patchIdOf } from './history-markers';
import { traceIdOfTemporalHeader } from '../tracing/w3c';

/**
 * A workflow's history (a guardian's, a release's), decoded into plain data:
 * the input of each run and the activities it called, with their times, and
 * the inputs and results a reader asks for. Payloads are decoded with the
 * client's own data converter, so an encrypted history decodes exactly where
 * the process is configured to decrypt it.
 *
 * Each reader names what it decodes (`HistorySelection`); everything else
 * stays encoded. The report never decodes operator requests (they carry
 * signed tokens); the executor reads the approvals' tokens to verify them
 * again, and nothing else of them.
 */

/** Which activities' first argument and result a reader decodes. */
export type ActivitySelection = Readonly<Record<string, { input: boolean; result: boolean }>>;

/** A local activity read as a call: the call it stands for, from its decoded result. */
export type LocalActivityReader = (result: unknown) => { type: string; input?: unknown; result?: unknown };

export interface HistorySelection {
  activities: ActivitySelection;
  /** Local activities (markers) read as calls, by their type; the others are left out. */
  localActivities?: Readonly<Record<string, LocalActivityReader>>;
}

export type ActivityState = 'open' | 'completed' | 'failed' | 'timed-out' | 'cancelled';

export interface ActivityCall {
  type: string;
  /** When Temporal recorded the scheduling (the server's clock). */
  scheduledAt: string;
  startedAt?: string;
  closedAt?: string;
  /** The attempt that closed it (1 unless retried). */
  attempt?: number;
  state: ActivityState;
  /** The first argument, for selected activities that read it. */
  input?: unknown;
  result?: unknown;
  failure?: string;
}

export type RunEnd<R = unknown> =
  | { kind: 'completed'; at: string; result: R }
  | { kind: 'continued-as-new'; at: string }
  | { kind: 'failed' | 'terminated' | 'cancelled' | 'timed-out'; at: string; message: string };

export interface WorkflowRun<I = unknown, R = unknown> {
  runId: string;
  startedAt: string;
  input: I;
  /** The trace the run belongs to, from its start header (a client or worker that traced sent it). */
  traceId?: string;
  calls: ActivityCall[];
  /** Workflow patches the run took (their markers): which side of a versioned change it ran. */
  patches?: string[];
  end?: RunEnd<R>;
}

/** A child workflow's parent, as its start event names it (the server wrote it, not the child). */
export interface ParentExecution {
  workflowId: string;
  runId: string;
}

export interface DecodedRun<I = unknown, R = unknown> {
  run: WorkflowRun<I, R>;
  /** The run this one continued from (continue-as-new). */
  previousRunId?: string;
  parent?: ParentExecution;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function isoTime(event: HistoryEvent): string {
  const ms = optionalTsToMs(event.eventTime);
  return new Date(ms ?? 0).toISOString();
}

function eventId(value: HistoryEvent['eventId'] | null | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

/** The history holds payloads this process cannot read: encrypted, and no (or the wrong) keyring here. */
export class HistoryDecodeError extends Error {
  override readonly name = 'HistoryDecodeError';
}

const ENCRYPTED = 'binary/encrypted';
const metadataText = (payload: temporal.api.common.v1.IPayload | undefined, key: string) => {
  const bytes = payload?.metadata?.[key];
  return bytes ? Buffer.from(bytes).toString('utf8') : undefined;
};

async function firstArg(
  converter: LoadedDataConverter,
  payloads: temporal.api.common.v1.IPayloads | null | undefined,
): Promise<unknown> {
  try {
    const values = await decodeArrayFromPayloads(converter, payloads?.payloads ?? undefined);
    return values[0];
  } catch (err) {
    const first = payloads?.payloads?.[0];
    if (metadataText(first, 'encoding') === ENCRYPTED && converter.payloadCodecs.length === 0) {
      const keyId = metadataText(first, 'encryption-key-id');
      throw new HistoryDecodeError(
        `the guardian's history is encrypted${keyId ? ` (key id "${keyId}")` : ''} and no keyring is configured ` +
          'here: set RIPCORD_CODEC_KEYS (a keyring file) or RIPCORD_CODEC_KEYRING, as the worker has',
      );
    }
    throw new HistoryDecodeError(`cannot decode the guardian's history: ${(err as Error).message}`);
  }
}

async function failureMessage(
  converter: LoadedDataConverter,
  failure: temporal.api.failure.v1.IFailure | null | undefined,
): Promise<string> {
  const error = await decodeOptionalFailureToOptionalError(converter, failure ?? undefined);
  if (!error) return 'unknown failure';
  const cause = (error as Error & { cause?: Error }).cause;
  return cause?.message && cause.message !== error.message
    ? `${error.message}: ${cause.message}`
    : error.message;
}

/** One run's events as plain data, decoding what `selection` asks for. */
export async function decodeWorkflowRun<I = unknown, R = unknown>(
  converter: LoadedDataConverter,
  runId: string,
  events: HistoryEvent[],
  selection: HistorySelection,
): Promise<DecodedRun<I, R>> {
  const calls = new Map<string, ActivityCall>();
  const selected = (type: string) =>
    Object.hasOwn(selection.activities, type) ? selection.activities[type] : undefined;
  const localReader = (type: string) =>
    selection.localActivities && Object.hasOwn(selection.localActivities, type)
      ? selection.localActivities[type]
      : undefined;
  let input: I | undefined;
  let hasStart = false;
  let traceId: string | undefined;
  let startedAt = '';
  let previousRunId: string | undefined;
  let parent: ParentExecution | undefined;
  let end: RunEnd<R> | undefined;
  const patches: string[] = [];

  for (const event of events) {
    const at = isoTime(event);
    const started = event.workflowExecutionStartedEventAttributes;
    if (started) {
      input = (await firstArg(converter, started.input)) as I;
      hasStart = true;
      traceId = traceIdOfTemporalHeader(started.header?.fields);
      startedAt = at;
      previousRunId = started.continuedExecutionRunId || undefined;
      const p = started.parentWorkflowExecution;
      if (p?.workflowId) parent = { workflowId: p.workflowId, runId: p.runId ?? '' };
      continue;
    }
    const patch = patchIdOf(event);
    if (patch !== undefined) {
      patches.push(patch);
      continue;
    }
    const local = localActivityMarker(event);
    if (local) {
      const reader = localReader(local.type);
      if (reader === undefined) continue;
      const call: ActivityCall = {
        type: local.type,
        scheduledAt: local.scheduledAt ?? at,
        startedAt: local.scheduledAt ?? at,
        closedAt: local.completedAt ?? at,
        ...(local.attempt !== undefined ? { attempt: local.attempt } : {}),
        state: local.failure ? 'failed' : 'completed',
      };
      if (local.failure) {
        call.failure = await failureMessage(converter, local.failure);
        call.type = reader(undefined).type;
      } else {
        const read = reader(await firstArg(converter, local.result));
        call.type = read.type;
        call.input = read.input;
        call.result = read.result;
      }
      calls.set(`local-${eventId(event.eventId)}`, call);
      continue;
    }
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const type = scheduled.activityType?.name ?? 'unknown';
      const call: ActivityCall = { type, scheduledAt: at, state: 'open' };
      if (selected(type)?.input) call.input = await firstArg(converter, scheduled.input);
      calls.set(eventId(event.eventId), call);
      continue;
    }
    const startedTask = event.activityTaskStartedEventAttributes;
    if (startedTask) {
      const call = calls.get(eventId(startedTask.scheduledEventId));
      if (call) {
        call.startedAt = at;
        call.attempt = startedTask.attempt ?? undefined;
      }
      continue;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const call = calls.get(eventId(completed.scheduledEventId));
      if (call) {
        call.state = 'completed';
        call.closedAt = at;
        if (selected(call.type)?.result) call.result = await firstArg(converter, completed.result);
      }
      continue;
    }
    const failed = event.activityTaskFailedEventAttributes;
    if (failed) {
      const call = calls.get(eventId(failed.scheduledEventId));
      if (call) {
        call.state = 'failed';
        call.closedAt = at;
        call.failure = await failureMessage(converter, failed.failure);
      }
      continue;
    }
    const timedOut = event.activityTaskTimedOutEventAttributes;
    if (timedOut) {
      const call = calls.get(eventId(timedOut.scheduledEventId));
      if (call) {
        call.state = 'timed-out';
        call.closedAt = at;
        call.failure = await failureMessage(converter, timedOut.failure);
      }
      continue;
    }
    const cancelled = event.activityTaskCanceledEventAttributes;
    if (cancelled) {
      const call = calls.get(eventId(cancelled.scheduledEventId));
      if (call) {
        call.state = 'cancelled';
        call.closedAt = at;
      }
      continue;
    }
    if (event.workflowExecutionCompletedEventAttributes) {
      const result = (await firstArg(converter, event.workflowExecutionCompletedEventAttributes.result)) as R;
      end = { kind: 'completed', at, result };
    } else if (event.workflowExecutionContinuedAsNewEventAttributes) {
      end = { kind: 'continued-as-new', at };
    } else if (event.workflowExecutionFailedEventAttributes) {
      end = {
        kind: 'failed',
        at,
        message: await failureMessage(converter, event.workflowExecutionFailedEventAttributes.failure),
      };
    } else if (event.workflowExecutionTerminatedEventAttributes) {
      end = {
        kind: 'terminated',
        at,
        message: event.workflowExecutionTerminatedEventAttributes.reason ?? '',
      };
    } else if (event.workflowExecutionCanceledEventAttributes) {
      end = { kind: 'cancelled', at, message: 'cancelled' };
    } else if (event.workflowExecutionTimedOutEventAttributes) {
      end = { kind: 'timed-out', at, message: 'the workflow timed out' };
    }
  }
  if (!hasStart) throw new Error(`run ${runId} of the guardian has no start event`);
  return {
    run: {
      runId,
      startedAt,
      input: input as I,
      ...(traceId ? { traceId } : {}),
      calls: [...calls.values()],
      patches,
      ...(end ? { end } : {}),
    },
    ...(previousRunId ? { previousRunId } : {}),
    ...(parent ? { parent } : {}),
  };
}

/** One run of a workflow, read from Temporal and decoded. */
export async function fetchWorkflowRun<I = unknown, R = unknown>(
  client: Client,
  workflowId: string,
  runId: string,
  selection: HistorySelection,
): Promise<DecodedRun<I, R>> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return decodeWorkflowRun<I, R>(client.options.loadedDataConverter, runId, history.events ?? [], selection);
}

/** Longest continue-as-new chain followed; a guardian continues every 500 evaluations. */
const MAX_RUNS = 1_000;

/** Every run of a workflow, oldest first, following continue-as-new back from the latest. */
export async function fetchWorkflowRuns<I = unknown, R = unknown>(
  client: Client,
  workflowId: string,
  selection: HistorySelection,
): Promise<Array<WorkflowRun<I, R>>> {
  const runs: Array<WorkflowRun<I, R>> = [];
  // Pin the latest run first: a continue-as-new between two calls must not mix two runs.
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  for (let i = 0; i < MAX_RUNS && runId; i++) {
    const decoded: DecodedRun<I, R> = await fetchWorkflowRun<I, R>(client, workflowId, runId, selection);
    runs.unshift(decoded.run);
    runId = decoded.previousRunId;
  }
  return runs;
}
