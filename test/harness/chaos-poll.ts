import type { GuardianHandle } from '../../src/client/guardians';
import { guardianStatus } from '../../src/client/guardians';
import type { GuardianStatus } from '../../src/model/guardian';

/**
 * Waiting in the chaos tier: every wait is a poll against a generous deadline,
 * never a sleep that assumes how fast a shared two-core machine is. A deadline
 * that passes fails with what was seen last, so a slow run says why.
 */

export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** Polls `check` until it returns something other than undefined/false; fails at the deadline. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why =
        lastError === undefined ? '' : ` (last error: ${(lastError as Error).message ?? lastError})`;
      throw new Error(`timed out waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}

/**
 * Polls the guardian's status query until `predicate` holds. Queries fail while
 * no worker serves the task queue (killed, restarting) or the server is down;
 * those failures are part of the chaos and are simply retried until the deadline.
 */
export async function waitForStatus(
  handle: GuardianHandle,
  what: string,
  predicate: (status: GuardianStatus) => boolean,
  options: PollOptions = {},
): Promise<GuardianStatus> {
  let last: GuardianStatus | undefined;
  try {
    return await waitUntil(
      what,
      async () => {
        const status = await guardianStatus(handle);
        const shown = (s: GuardianStatus | undefined) =>
          s &&
          `${s.phase} ${s.evaluations} ${s.plan?.steps.map((x) => x.state).join(',') ?? ''} ${s.outcome ?? ''}`;
        if (shown(status) !== shown(last))
          trace(
            `status: ${shown(status)} ${status.lastVerdict?.verdict ?? ''} ${status.lastVerdict?.reason ?? ''}`.slice(
              0,
              300,
            ),
          );
        last = status;
        return predicate(last) ? last : undefined;
      },
      { intervalMs: 250, ...options },
    );
  } catch (error) {
    const seen = last
      ? ` — last status: phase ${last.phase}, evaluations ${last.evaluations}, outcome ${last.outcome ?? 'none'}, ` +
        `steps ${JSON.stringify(last.plan?.steps.map((s) => `${s.index}:${s.state}`) ?? [])}, reason ${last.reason ?? ''}, ` +
        `waiting ${last.waiting?.for ?? ''}`
      : '';
    throw new Error(`${(error as Error).message}${seen}${await pendingWork(handle)}`);
  }
}

/** What the guardian waits on in Temporal (activity, attempt, last failure): the first thing to read when it hangs. */
export async function pendingWork(handle: GuardianHandle): Promise<string> {
  try {
    const { raw } = await handle.describe();
    const lines = (raw.pendingActivities ?? []).map(
      (a) =>
        `\n  pending ${a.activityType?.name ?? '?'}: attempt ${a.attempt ?? '?'}, state ${String(a.state)}, ` +
        `worker ${a.lastWorkerIdentity ?? '-'}, last failure: ${a.lastFailure?.message ?? 'none'}`,
    );
    return lines.join('');
  } catch (error) {
    return `\n  (cannot describe the guardian: ${(error as Error).message})`;
  }
}

const started = Date.now();

/** Progress lines on stderr when RIPCORD_CHAOS_TRACE=1: where a slow or stuck run spends its time. */
export function trace(line: string): void {
  if (process.env.RIPCORD_CHAOS_TRACE !== '1') return;
  process.stderr.write(`[chaos +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
}
