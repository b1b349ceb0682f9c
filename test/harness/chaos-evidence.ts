import { existsSync, readFileSync } from 'node:fs';
import type { GuardianHandle } from '../../src/client/guardians';
import type { AuditRecord } from '../../src/model/audit';
import { runCli } from './cli';
import { localActivityMarker } from '../../src/report/markers';

/**
 * What a person checks after an incident, read the way they would read it:
 * the audit trail (`ripcord audit verify` and its records) and the guardian's
 * own history in Temporal (which activity ran with which input, how often).
 */

/** A stored record: read its kind and details (its summary is for people). */
export type AuditLine = AuditRecord & { seq: number };

/** The audit records of one deployment, in the order they were chained. */
export function auditRecords(file: string, deploymentId: string): AuditLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AuditLine)
    .filter((record) => record.deploymentId === deploymentId);
}

/** `ripcord audit verify <file>`: the chain is whole (no edit, gap or duplicate). */
export function verifyAuditFile(file: string): { ok: boolean; output: string } {
  const result = runCli(['audit', 'verify', file]);
  return { ok: result.code === 0, output: `${result.stdout}${result.stderr}` };
}

interface HistoryPayload {
  metadata?: Record<string, Uint8Array> | null;
  data?: Uint8Array | null;
}

function decode(payload: HistoryPayload | undefined): unknown {
  if (payload?.data == null) return undefined;
  const encoding = Buffer.from(payload.metadata?.encoding ?? new Uint8Array()).toString('utf8');
  if (encoding !== 'json/plain') return undefined;
  return JSON.parse(Buffer.from(payload.data).toString('utf8'));
}

export interface ScheduledActivity {
  eventId: number;
  type: string;
  input: unknown;
}

/** Every activity the guardian scheduled, in history order, with its (first) argument. */
export async function scheduledActivities(handle: GuardianHandle): Promise<ScheduledActivity[]> {
  const history = await handle.fetchHistory();
  const found: ScheduledActivity[] = [];
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (!scheduled) continue;
    found.push({
      eventId: Number(event.eventId),
      type: scheduled.activityType?.name ?? '',
      input: decode(scheduled.input?.payloads?.[0] as HistoryPayload | undefined),
    });
  }
  return found;
}

/**
 * The interval of every health read, in history order: a read is a local
 * activity, whose marker's result names the interval.
 */
export async function healthReadIndices(handle: GuardianHandle): Promise<number[]> {
  const history = await handle.fetchHistory();
  const indices: number[] = [];
  for (const event of history.events ?? []) {
    const local = localActivityMarker(event);
    if (local?.type === 'readHealthInterval' && !local.failure) {
      indices.push(
        (decode(local.result?.payloads?.[0] as HistoryPayload | undefined) as { index: number }).index,
      );
    }
  }
  return indices;
}

/** Attempts each completed or failed activity needed, by scheduled event id. */
export async function activityAttempts(handle: GuardianHandle): Promise<Map<number, number>> {
  const history = await handle.fetchHistory();
  const attempts = new Map<number, number>();
  for (const event of history.events ?? []) {
    const started = event.activityTaskStartedEventAttributes;
    if (started) attempts.set(Number(started.scheduledEventId), Number(started.attempt));
  }
  return attempts;
}
