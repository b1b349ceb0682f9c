import { z } from 'zod';
import { readJsonResponse } from '../support/response';
import { safeUrl } from '../support/safe-url';
import { traceHeaders } from '../../tracing/context';
import type { StepContext } from '../types';

/** What the running service says it runs; it may say more (a pid, a start time), which is not read. */
const RunningVersion = z.object({ version: z.string(), digest: z.string() });
export type RunningVersion = z.infer<typeof RunningVersion>;

export type VersionReading = { ok: true; running: RunningVersion } | { ok: false; problem: string };

const REQUEST_TIMEOUT_MS = 2_000;
const POLL_EVERY_MS = 250;
const HEARTBEAT_EVERY_MS = 2_000;

/** One GET of the version endpoint; any failure is described, never thrown (except cancellation). */
export async function readRunningVersion(url: string, signal: AbortSignal): Promise<VersionReading> {
  const where = safeUrl(url);
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(url, {
      // Not through sendOutbound (no circuit, failures are readings): the trace context is added here.
      headers: { accept: 'application/json', ...traceHeaders() },
      signal: AbortSignal.any([signal, timeout]),
      redirect: 'error',
    });
  } catch (error) {
    if (signal.aborted) throw new Error('cancelled while reading the running version');
    if (timeout.aborted)
      return { ok: false, problem: `${where} did not answer within ${REQUEST_TIMEOUT_MS / 1000}s` };
    return { ok: false, problem: `${where} is unreachable (${networkReason(error)})` };
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) return { ok: false, problem: `${where} answered HTTP ${response.status}` };
  const reading = readJsonResponse(RunningVersion, text, {
    target: 'artifact',
    what: `the answer of ${where}`,
  });
  return reading.ok ? { ok: true, running: reading.value } : reading;
}

export function describeReading(reading: VersionReading): string {
  return reading.ok ? `${reading.running.version} (${reading.running.digest})` : reading.problem;
}

/**
 * Polls the version endpoint until it reports `digest`, heartbeating while it
 * waits. Resolves with what it read last either way: the caller decides what
 * a timeout means.
 */
export async function waitForDigest(
  url: string,
  digest: string,
  timeoutSeconds: number,
  ctx: Pick<StepContext, 'heartbeat' | 'sleep' | 'signal'>,
  progress: Record<string, unknown> = {},
): Promise<{ reached: boolean; last: VersionReading }> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let lastBeat = 0;
  for (;;) {
    const last = await readRunningVersion(url, ctx.signal);
    if (last.ok && last.running.digest === digest) return { reached: true, last };
    if (Date.now() >= deadline) return { reached: false, last };
    if (Date.now() - lastBeat >= HEARTBEAT_EVERY_MS) {
      ctx.heartbeat({ ...progress, waitingFor: digest, seen: describeReading(last) });
      lastBeat = Date.now();
    }
    await ctx.sleep(POLL_EVERY_MS);
  }
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
}
