/**
 * When a breach may become a rollback.
 *
 * A breach (the anytime-valid test crossing its threshold) says the canary's
 * data is unlikely under "no regression", but a short spike is a real, passing
 * change that would cross it too. So a breach opens a confirmation window of
 * `confirmationWindowSeconds`, and a rollback needs the regression to be seen
 * again on data that arrived after that window:
 *
 *  - the window is a grace period: a spike that caused the breach may still
 *    be running during it, and pooling its tail with the evidence is exactly
 *    how a naive confirmation rolls back on a transient. Data in the window
 *    may only count against the regression (its likelihood ratios are capped
 *    at 1, which keeps them valid), never for it. The window should therefore
 *    be at least as long as the spikes the service is known to have.
 *  - after the window, a fresh mixture of likelihood ratios (the breach test's
 *    alternatives, started anew and weighted towards the effect the breach
 *    found) is collected. It confirms once it reaches 1/CONFIRM_ALPHA and
 *    dismisses the breach once it falls to DISMISS_LEVEL; in between the
 *    guardian keeps collecting, so a regression at low traffic is not thrown
 *    away for lack of events, while a strong one is confirmed by the first
 *    interval after the window. Being a sequential test, it keeps its
 *    guarantee when it stops as soon as it crosses.
 *
 * For a canary that has recovered (the spike is over), the fresh evidence is a
 * test supermartingale given everything before it, so it confirms with
 * probability at most CONFIRM_ALPHA per breach (Ville), and far less in
 * practice because a recovered canary sits below the tolerance. How the
 * false-rollback budget is shared between breach and confirmation: see
 * breachLevel in engine.ts.
 */

/** Fresh evidence needed to confirm, whatever was carried: an e-value of 1/CONFIRM_ALPHA. */
export const CONFIRM_ALPHA = 0.1;
/** Fresh evidence at or below this e-value dismisses the breach as a transient. */
export const DISMISS_LEVEL = 0.1;

export interface ConfirmationPlan {
  /** Intervals in the window after the breach (0: confirmation disabled). */
  windowIntervals: number;
  /** Intervals after the breach whose data may only count against the regression (the whole window). */
  graceIntervals: number;
}

export function confirmationPlan(windowSeconds: number, intervalSeconds: number): ConfirmationPlan {
  const windowIntervals = Math.max(0, Math.ceil(windowSeconds / intervalSeconds - 1e-9));
  return { windowIntervals, graceIntervals: windowIntervals };
}

export type ConfirmationCheck = 'confirm' | 'dismiss' | 'wait';

/**
 * Reads the evidence after the grace. Confirms once the fresh evidence alone
 * reaches 1/CONFIRM_ALPHA (the regression is seen again on data after the
 * window) and the carried evidence times the fresh evidence reaches the
 * rollback level. A breach is only dismissed on evidence against it, never for
 * lack of evidence: at low traffic the data after a real breach can stay quiet
 * for a long time, and dismissing then would throw the breach away (a pending
 * breach escalates after maxInconclusiveSeconds instead).
 */
export function checkFreshEvidence(
  logFresh: number,
  logCombined: number,
  logRollback: number,
): ConfirmationCheck {
  if (logFresh >= Math.log(1 / CONFIRM_ALPHA) && logCombined >= logRollback) return 'confirm';
  if (logFresh <= Math.log(DISMISS_LEVEL)) return 'dismiss';
  return 'wait';
}
