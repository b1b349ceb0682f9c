import type { Client } from '@temporalio/client';
import type { LoadedDataConverter } from '@temporalio/common';
import {
  decodeArrayFromPayloads,
  decodeOptionalFailureToOptionalError,
} from '@temporalio/common/lib/internal-non-workflow';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type { IntervalReading } from '../model/activity-contract';
import type { GuardianInput, GuardianResult } from '../model/guardian';
import { localActivityMarker, patchIdOf } from './markers';
import { traceIdOfTemporalHeader } from '../tracing/w3c';

/**
 * A guardian's workflow history, decoded into plain data for the report: the
 * input of each run and the activities it called, with their times, inputs and
 * results. Payloads are decoded with the client's own data converter, so an
 * encrypted history decodes exactly where the CLI is configured to decrypt it.
 */

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

export type ActivityState = 'open' | 'completed' | 'failed' | 'timed-out' | 'cancelled';

export interface ActivityCall {
  type: string;
  scheduledAt: string;
  startedAt?: string;
  closedAt?: string;
  /** The attempt that closed it (1 unless retried). */
  attempt?: number;
  state: ActivityState;
  /** The first argument, for REPORTED_ACTIVITIES that read it. */
  input?: unknown;
  result?: unknown;
  failure?: string;
}

export type RunEnd =
  | { kind: 'completed'; at: string; result: GuardianResult }
  | { kind: 'continued-as-new'; at: string }
  | { kind: 'failed' | 'terminated' | 'cancelled' | 'timed-out'; at: string; message: string };

export interface GuardianRun {
  runId: string;
  startedAt: string;
  input: GuardianInput;
  /** The trace the run belongs to, from its start header (a client or worker that traced sent it). */
  traceId?: string;
  calls: ActivityCall[];
  /** Workflow patches the run took (their markers): which side of a versioned change it ran. */
  patches?: string[];
  end?: RunEnd;
}

export interface GuardianHistory {
  workflowId: string;
  /** Oldest first: continue-as-new makes one guardian several runs. */
  runs: GuardianRun[];
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Longest continue-as-new chain followed; a guardian continues every 500 evaluations. */
const MAX_RUNS = 1_000;

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

/** One run's events as plain data; exported for tests that build events by hand. */
export async function decodeRun(
  converter: LoadedDataConverter,
  runId: string,
  events: HistoryEvent[],
): Promise<{ run: GuardianRun; previousRunId?: string }> {
  const calls = new Map<string, ActivityCall>();
  const reported = (type: string) => REPORTED_ACTIVITIES[type as keyof typeof REPORTED_ACTIVITIES];
  let input: GuardianInput | undefined;
  let traceId: string | undefined;
  let startedAt = '';
  let previousRunId: string | undefined;
  let end: RunEnd | undefined;
  const patches: string[] = [];

  for (const event of events) {
    const at = isoTime(event);
    const started = event.workflowExecutionStartedEventAttributes;
    if (started) {
      input = (await firstArg(converter, started.input)) as GuardianInput;
      traceId = traceIdOfTemporalHeader(started.header?.fields);
      startedAt = at;
      previousRunId = started.continuedExecutionRunId || undefined;
      continue;
    }
    const patch = patchIdOf(event);
    if (patch !== undefined) {
      patches.push(patch);
      continue;
    }
    const local = localActivityMarker(event);
    if (local) {
      // Health reads are local activities: shown as the evaluateHealth calls they stand
      // for, with the interval their result names.
      if (local.type !== 'readHealthInterval') continue;
      const call: ActivityCall = {
        type: 'evaluateHealth',
        scheduledAt: local.scheduledAt ?? at,
        startedAt: local.scheduledAt ?? at,
        closedAt: local.completedAt ?? at,
        ...(local.attempt !== undefined ? { attempt: local.attempt } : {}),
        state: local.failure ? 'failed' : 'completed',
      };
      if (local.failure) {
        call.failure = await failureMessage(converter, local.failure);
      } else {
        const reading = (await firstArg(converter, local.result)) as IntervalReading | undefined;
        call.input = { index: reading?.index };
        call.result = reading?.observation;
      }
      calls.set(`local-${eventId(event.eventId)}`, call);
      continue;
    }
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const type = scheduled.activityType?.name ?? 'unknown';
      const call: ActivityCall = { type, scheduledAt: at, state: 'open' };
      if (reported(type)?.input) call.input = await firstArg(converter, scheduled.input);
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
        if (reported(call.type)?.result) call.result = await firstArg(converter, completed.result);
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
      const result = (await firstArg(
        converter,
        event.workflowExecutionCompletedEventAttributes.result,
      )) as GuardianResult;
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
  if (!input) throw new Error(`run ${runId} of the guardian has no start event`);
  return {
    run: {
      runId,
      startedAt,
      input,
      ...(traceId ? { traceId } : {}),
      calls: [...calls.values()],
      patches,
      ...(end ? { end } : {}),
    },
    ...(previousRunId ? { previousRunId } : {}),
  };
}

/** Every run of the guardian, following continue-as-new back from the latest. */
export async function fetchGuardianHistory(client: Client, workflowId: string): Promise<GuardianHistory> {
  const converter = client.options.loadedDataConverter;
  const runs: GuardianRun[] = [];
  // Pin the latest run first: a continue-as-new between two calls must not mix two runs.
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  for (let i = 0; i < MAX_RUNS && runId; i++) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const decoded = await decodeRun(converter, runId, history.events ?? []);
    runs.unshift(decoded.run);
    runId = decoded.previousRunId;
  }
  return { workflowId, runs };
}
