/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) as ripcord reads
 * it: the `traceparent` a pipeline exports as TRACEPARENT, and the one the
 * Temporal OpenTelemetry interceptors put in a workflow's start header. Pure:
 * no OpenTelemetry package, so `status` and `report` can read a trace id
 * without loading the SDK.
 */

export interface TraceParent {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits: the span the next one is a child of. */
  spanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** A valid `traceparent`, or undefined (malformed, an all-zero id, version ff, or extra fields on version 00). */
export function parseTraceparent(value: string | undefined): TraceParent | undefined {
  const match = TRACEPARENT.exec(value?.trim() ?? '');
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** The Temporal header the SDK's OpenTelemetry interceptors carry the context in (their TRACE_HEADER). */
export const TEMPORAL_TRACE_HEADER = '_tracer-data';

/** A payload as Temporal's protos hold it. */
interface RawPayload {
  metadata?: Record<string, Uint8Array> | null;
  data?: Uint8Array | null;
}

/**
 * The trace id in a workflow's header fields (its WorkflowExecutionStarted
 * event), written by the client that started it when that client traced.
 * Undefined when there is none or it cannot be read.
 */
export function traceIdOfTemporalHeader(
  fields: Record<string, RawPayload> | null | undefined,
): string | undefined {
  const payload = fields?.[TEMPORAL_TRACE_HEADER];
  if (!payload?.data) return undefined;
  const encoding = payload.metadata?.encoding;
  if (!encoding || Buffer.from(encoding).toString('utf8') !== 'json/plain') return undefined;
  try {
    const carrier = JSON.parse(Buffer.from(payload.data).toString('utf8')) as { traceparent?: unknown };
    return typeof carrier.traceparent === 'string'
      ? parseTraceparent(carrier.traceparent)?.traceId
      : undefined;
  } catch {
    return undefined;
  }
}
