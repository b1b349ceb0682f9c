import { redactSecrets } from '../../security/secrets';
import { traceHeaders } from '../../tracing/context';
import { type CircuitBreakers, EndpointUnavailableError } from './circuit-breaker';

/**
 * One HTTP call from a rollback target to an outside system (a flag server, a
 * deploy system), through that endpoint's circuit breaker, with its own
 * timeout and the activity's cancellation signal. The endpoint's own failures
 * (unreachable, timed out, HTTP 5xx, 408, 429) throw a retryable
 * EndpointUnavailableError that counts towards opening the circuit; every
 * other answer is returned for the caller to judge. Redirects are never
 * followed: a redirect would carry credentials, or deployment data, to a host
 * nobody allowed. What the body says is read with a schema (./response.ts).
 * Every call carries the `traceparent` of the step's span when the worker
 * traces (src/tracing), so the receiver's traces join the rollback's.
 */

export interface OutboundRequest {
  url: URL;
  method: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** The activity's signal: a cancelled step stops waiting at once. */
  signal: AbortSignal;
  /** Who is called, for messages: "Unleash at https://flags.example.com". Never a full URL. */
  what: string;
  /** Values scrubbed from any message (tokens, HMAC secrets), whatever produced it. */
  secrets: readonly string[];
}

export interface OutboundResponse {
  status: number;
  headers: Headers;
  text: string;
}

const MAX_EXCERPT = 200;

export async function sendOutbound(
  breakers: CircuitBreakers,
  request: OutboundRequest,
): Promise<OutboundResponse> {
  request.signal.throwIfAborted();
  return breakers.call(request.url, () => send(request), request.signal);
}

async function send(request: OutboundRequest): Promise<OutboundResponse> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const safe = (message: string) => redactSecrets(message, request.secrets);
  let response: Response;
  let text: string;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: { ...request.headers, ...traceHeaders() },
      body: request.body,
      signal: AbortSignal.any([request.signal, timeout]),
      redirect: 'manual',
    });
    // Scrubbed before anyone cuts an excerpt of it: a cut through an echoed token would keep a piece.
    text = safe(await response.text());
  } catch (error) {
    if (request.signal.aborted) throw new Error(`call to ${request.what} cancelled`);
    if (timeout.aborted) {
      throw new EndpointUnavailableError(
        `${request.what} did not answer within ${Math.round(request.timeoutMs / 1000)} s`,
      );
    }
    throw new EndpointUnavailableError(safe(`cannot reach ${request.what}: ${networkReason(error)}`));
  }
  const { status } = response;
  if (status >= 500 || status === 408 || status === 429) {
    throw new EndpointUnavailableError(safe(`${request.what} answered ${describeAnswer(status, text)}`));
  }
  return { status, headers: response.headers, text };
}

/** "HTTP 503: <start of the body>", one line, control characters removed, truncated. */
export function describeAnswer(status: number, body: string): string {
  const excerpt = sanitizeText(body);
  return `HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`;
}

/**
 * Text from an outside system made safe for history, logs and terminals: one
 * line, no control or escape characters, at most `max` characters.
 */
export function sanitizeText(text: string, max = MAX_EXCERPT): string {
  // Control characters would let a receiver rewrite a terminal or split a log line.
  // eslint-disable-next-line no-control-regex
  const controls = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
  const flat = text.replace(controls, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

// fetch says only "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND, ...) is in the cause.
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return sanitizeText(cause.message);
  return sanitizeText(error instanceof Error ? error.message : String(error));
}
