import { context, isSpanContextValid, trace, TraceFlags } from '@opentelemetry/api';

/**
 * The W3C trace context of the span running now, as HTTP headers for a call
 * to an outside system (`traceparent`, and `tracestate` when there is one),
 * so that a target's or a receiver's own traces join the rollback's. Empty
 * when nothing is traced: without a registered SDK the OpenTelemetry API
 * has no active span, and this costs a lookup and no allocation of note.
 * Only the context goes out: never baggage, never anything else.
 */
export function traceHeaders(): Record<string, string> {
  const span = trace.getSpanContext(context.active());
  if (span === undefined || !isSpanContextValid(span)) return {};
  const flags = (span.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00';
  const headers: Record<string, string> = { traceparent: `00-${span.traceId}-${span.spanId}-${flags}` };
  const state = span.traceState?.serialize();
  if (state) headers.tracestate = state;
  return headers;
}
