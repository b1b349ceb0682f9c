import { redactSecrets } from '../../security/secrets';
import { traceHeaders } from '../../tracing/context';

/**
 * One notification POST with short, bounded retries. A notification is worth
 * a few seconds, never the guardian's time: every attempt has its own timeout,
 * all attempts together fit in `budgetMs`, which stays well under the notify
 * activity's start-to-close timeout (20 s, src/workflows/activity-proxies.ts),
 * so the activity ends on its own, never throws, and Temporal never retries it.
 * Every attempt carries the `traceparent` of the notify activity's span when
 * the worker traces (src/tracing).
 */
export interface DeliveryPolicy {
  /** How long one attempt may wait for an answer. */
  attemptTimeoutMs: number;
  maxAttempts: number;
  /** Pause before the second attempt; doubles after each failure, up to maxBackoffMs. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** All attempts and pauses together. */
  budgetMs: number;
}

export const DEFAULT_DELIVERY: DeliveryPolicy = {
  attemptTimeoutMs: 4_000,
  maxAttempts: 3,
  initialBackoffMs: 500,
  maxBackoffMs: 2_000,
  budgetMs: 10_000,
};

export interface DeliveryRequest {
  url: URL;
  headers: Record<string, string>;
  body: string;
  /** Who is called, for messages: "slack receiver payments-oncall". Never a URL (it may be the secret). */
  what: string;
  /** Values scrubbed from any message, whatever produced it (the URL, keys, tokens). */
  secrets: readonly string[];
}

export interface Delivered {
  status: number;
  attempts: number;
}

/** The receiver did not take the notification; the message is safe to log. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly attempts: number,
  ) {
    super(message);
  }
}

type Attempt = { ok: true; status: number } | { ok: false; retry: boolean; reason: string };

export async function deliver(
  request: DeliveryRequest,
  policy: DeliveryPolicy = DEFAULT_DELIVERY,
  signal: AbortSignal = new AbortController().signal,
): Promise<Delivered> {
  const deadline = Date.now() + policy.budgetMs;
  let backoff = policy.initialBackoffMs;
  let last = 'not attempted';
  let attempts = 0;
  while (attempts < policy.maxAttempts) {
    const remaining = deadline - Date.now();
    if (remaining <= 0 || signal.aborted) break;
    attempts += 1;
    const result = await attempt(request, Math.min(policy.attemptTimeoutMs, remaining), signal);
    if (result.ok) return { status: result.status, attempts };
    last = result.reason;
    if (!result.retry) break;
    const pause = Math.min(backoff, policy.maxBackoffMs, deadline - Date.now());
    if (attempts >= policy.maxAttempts || pause <= 0) break;
    await sleep(pause, signal);
    backoff *= 2;
  }
  const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
  throw new DeliveryError(redactSecrets(`${request.what}: ${last} (${tries})`, request.secrets), attempts);
}

async function attempt(request: DeliveryRequest, timeoutMs: number, signal: AbortSignal): Promise<Attempt> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: { ...request.headers, ...traceHeaders() },
      body: request.body,
      signal: AbortSignal.any([signal, timeout]),
      // A redirect would carry the signed body (or a key in the URL) to a host nobody named.
      redirect: 'manual',
    });
    // Read the answer so the connection can be reused; its content matters only for the status.
    await response.text().catch(() => undefined);
    const { status } = response;
    if (status >= 200 && status < 300) return { ok: true, status };
    // The receiver's own trouble passes; anything else is a configuration problem a retry cannot fix.
    const retry = status >= 500 || status === 408 || status === 429;
    return { ok: false, retry, reason: `answered HTTP ${status}` };
  } catch (error) {
    if (signal.aborted) return { ok: false, retry: false, reason: 'cancelled' };
    if (timeout.aborted)
      return { ok: false, retry: true, reason: `no answer within ${seconds(timeoutMs)} s` };
    return { ok: false, retry: true, reason: `unreachable (${networkReason(error)})` };
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(ms < 1000 ? 1 : 0);
}

/** The error code (ECONNREFUSED, ENOTFOUND...) of a failed fetch, never its full text (it may hold the URL). */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  return error instanceof Error ? error.name : 'network error';
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
