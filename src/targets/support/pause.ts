import type { StepContext } from '../types';

/** The longest a pause goes without a heartbeat; well inside any step's heartbeat timeout. */
export const PAUSE_HEARTBEAT_EVERY_MS = 1_000;

/**
 * Waits `ms` in slices of at most a second, heartbeating `details` after each
 * slice, so a long pause (between traffic stages, between status polls) never
 * looks like a dead activity. Cancellation stops it at once: `ctx.sleep`
 * rejects when the activity is cancelled, and the signal is checked before
 * every slice as well. Nothing to wait (0 or less) returns without a heartbeat.
 */
export async function heartbeatingPause(
  ms: number,
  ctx: Pick<StepContext, 'heartbeat' | 'sleep' | 'signal'>,
  details: unknown,
): Promise<void> {
  let remaining = ms;
  while (remaining > 0) {
    ctx.signal.throwIfAborted();
    const slice = Math.min(remaining, PAUSE_HEARTBEAT_EVERY_MS);
    await ctx.sleep(slice);
    remaining -= slice;
    ctx.heartbeat(details);
  }
}
