import { redactSecrets } from '../../security/secrets';

/** A failed request, with a message that is short, names no secret and is safe to put in history. */
export class PrometheusRequestError extends Error {
  override readonly name = 'PrometheusRequestError';
}

export interface RequestOptions {
  /** The source's base URL from the policy; a path prefix (behind a proxy) is kept. */
  baseUrl: string;
  headers: Readonly<Record<string, string>>;
  /** Values to scrub from any message, whatever produced it. */
  secrets: readonly string[];
  timeoutSeconds: number;
  /** The caller's signal (activity cancellation, the activity's own timeout). */
  signal: AbortSignal;
}

const MAX_BODY_IN_MESSAGE = 200;

/** `path` resolved under the base URL, so `http://host/prom` + `api/v1/query` stays under `/prom`. */
export function endpoint(baseUrl: string, path: string, params?: Record<string, string>): URL {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const url = new URL(path.replace(/^\/+/, ''), base);
  for (const [key, value] of Object.entries(params ?? {})) url.searchParams.set(key, value);
  return url;
}

/** The base URL as messages show it: no user info, no query string. */
export function displayUrl(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return 'the configured URL';
  }
}

/**
 * One GET with the source's timeout and the caller's signal. Resolves with the
 * status and the body text for any HTTP answer (the caller decides what a 4xx
 * means for it); rejects with a PrometheusRequestError for a timeout, a
 * cancellation or a network failure.
 */
export async function get(
  options: RequestOptions,
  path: string,
  params?: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const timeout = AbortSignal.timeout(options.timeoutSeconds * 1000);
  const signal = AbortSignal.any([options.signal, timeout]);
  const url = endpoint(options.baseUrl, path, params);
  try {
    const response = await fetch(url, {
      headers: { accept: 'application/json', ...options.headers },
      signal,
      redirect: 'error', // a redirect would carry the Authorization header to another host
    });
    // Scrubbed before anyone cuts an excerpt of it: a cut through an echoed token would keep a piece.
    return { status: response.status, body: redactSecrets(await response.text(), options.secrets) };
  } catch (error) {
    if (timeout.aborted) throw safeError(options, `timed out after ${options.timeoutSeconds}s`);
    if (options.signal.aborted) throw safeError(options, 'cancelled');
    throw safeError(options, `cannot reach ${displayUrl(options.baseUrl)}: ${networkReason(error)}`);
  }
}

/** A short description of a non-2xx answer: the status and the start of the body. */
export function describeStatus(options: RequestOptions, status: number, body: string): string {
  const text = body.replace(/\s+/g, ' ').trim();
  const excerpt = text.length > MAX_BODY_IN_MESSAGE ? `${text.slice(0, MAX_BODY_IN_MESSAGE)}…` : text;
  return redactSecrets(`HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`, options.secrets);
}

function safeError(options: RequestOptions, message: string): PrometheusRequestError {
  return new PrometheusRequestError(redactSecrets(message, options.secrets));
}

// fetch says only "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND, ...) is in the cause.
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
