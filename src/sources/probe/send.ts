import { performance } from 'node:perf_hooks';
import type { ProbeResult } from './measures';

export interface ProbeRequest {
  url: URL;
  method: 'GET' | 'HEAD' | 'POST';
  headers: Readonly<Record<string, string>>;
  expectStatus: number;
  timeoutMs: number;
  /** The evaluation's signal (source timeout, activity cancellation). */
  signal: AbortSignal;
}

/**
 * One synthetic transaction, timed to the last byte of the answer. Never
 * throws: a status other than the expected one, a timeout and a network error
 * are results. Redirects are not followed (a 3xx is a status like any other,
 * and the Authorization header never travels to another host).
 */
export async function sendProbe(request: ProbeRequest): Promise<ProbeResult> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const started = performance.now();
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: { 'user-agent': 'ripcord-probe', 'cache-control': 'no-cache', ...request.headers },
      signal: AbortSignal.any([request.signal, timeout]),
      redirect: 'manual',
      ...(request.method === 'POST' ? { body: '' } : {}),
    });
    await response.arrayBuffer();
    const latencyMs = performance.now() - started;
    return response.status === request.expectStatus
      ? { ok: true, latencyMs }
      : { ok: false, latencyMs, failure: 'status' };
  } catch {
    if (timeout.aborted && !request.signal.aborted) {
      return { ok: false, latencyMs: request.timeoutMs, failure: 'timeout' };
    }
    return { ok: false, latencyMs: null, failure: 'network' };
  }
}
