import type { temporal } from '@temporalio/proto';

/**
 * Markers the SDK's core writes into a guardian's history, past the data
 * converter: patch markers (`core_patch`, the patch's id) and local activity
 * markers. Their bookkeeping detail is plain JSON.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The plain-JSON detail `key` of a marker named `name`, or undefined for any other event or unreadable JSON. */
function markerJson(event: HistoryEvent, name: string, key: string): Record<string, unknown> | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== name) return undefined;
  const bytes = marker.details?.[key]?.payloads?.[0]?.data;
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The id a patch marker names, or undefined for any other event. */
export function patchIdOf(event: HistoryEvent): string | undefined {
  const id = markerJson(event, 'core_patch', 'patch-data')?.id;
  return typeof id === 'string' ? id : undefined;
}

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
export function localActivityMarker(event: HistoryEvent): LocalActivityMarker | undefined {
  const data = markerJson(event, 'core_local_activity', 'data') as MarkerData | undefined;
  if (data === undefined || typeof data.activity_type !== 'string') return undefined;
  const marker = event.markerRecordedEventAttributes!;
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
