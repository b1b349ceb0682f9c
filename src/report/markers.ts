import type { temporal } from '@temporalio/proto';

/**
 * A local activity leaves no activity events in history, only a marker that
 * the SDK's core writes (`core_local_activity`): its `data` detail is plain
 * JSON about the call (type, attempt, times), its `result` detail the
 * activity's result as the data converter encoded it, or a failure.
 */
export interface LocalActivityMarker {
  type: string;
  attempt?: number;
  scheduledAt?: string;
  completedAt?: string;
  result?: temporal.api.common.v1.IPayloads;
  failure?: temporal.api.failure.v1.IFailure;
}

const MARKER_NAME = 'core_local_activity';

interface Timestamp {
  seconds?: number | string;
  nanos?: number;
}

interface MarkerData {
  activity_type?: unknown;
  attempt?: unknown;
  complete_time?: Timestamp | null;
  original_schedule_time?: Timestamp | null;
}

/** The local activity a marker event records, or undefined for any other event (or a marker it cannot read). */
export function localActivityMarker(
  event: temporal.api.history.v1.IHistoryEvent,
): LocalActivityMarker | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (!marker || marker.markerName !== MARKER_NAME) return undefined;
  const bytes = marker.details?.data?.payloads?.[0]?.data;
  if (!bytes) return undefined;
  let data: MarkerData;
  try {
    data = JSON.parse(Buffer.from(bytes).toString('utf8')) as MarkerData;
  } catch {
    return undefined;
  }
  if (typeof data.activity_type !== 'string') return undefined;
  const scheduledAt = isoOf(data.original_schedule_time);
  const completedAt = isoOf(data.complete_time);
  return {
    type: data.activity_type,
    ...(typeof data.attempt === 'number' ? { attempt: data.attempt } : {}),
    ...(scheduledAt ? { scheduledAt } : {}),
    ...(completedAt ? { completedAt } : {}),
    ...(marker.details?.result ? { result: marker.details.result } : {}),
    ...(marker.failure ? { failure: marker.failure } : {}),
  };
}

function isoOf(time: Timestamp | null | undefined): string | undefined {
  if (!time || time.seconds === undefined) return undefined;
  const ms = Number(time.seconds) * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
