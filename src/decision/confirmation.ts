/**
 * When a breach may become a rollback.
 *
 * A breach (the anytime-valid test crossing 1/alpha) says the canary's data is
 * unlikely under "no regression", but a short spike is a real, passing change
 * that would cross it too. So a breach opens a confirmation window of
 * `confirmationWindowSeconds`, and a rollback needs the regression to be seen
 * again on data that arrived after the breach, in the window's later part:
 *
 *  - grace: the first half of the window (rounded up, at least one interval)
 *    is not used as evidence. A spike that caused the breach may still be
 *    running then; pooling its tail with the window is exactly how a naive
 *    confirmation rolls back on a transient.
 *  - evidence: after the grace, a fresh mixture of likelihood ratios (the same
 *    alternatives as the breach test, started anew) is collected. It confirms
 *    once it reaches 1/CONFIRM_ALPHA and dismisses the breach once it falls to
 *    DISMISS_LEVEL; in between the guardian keeps collecting, so a regression
 *    at low traffic is not thrown away for lack of events, while a strong one
 *    is confirmed by the first interval after the grace. Since this is a
 *    sequential test, stopping as soon as it crosses keeps its guarantee.
 *
 * A rollback therefore needs the level-alpha breach and the confirmation, so
 * the false-rollback probability stays below alpha whatever the confirmation
 * does. For a canary that has recovered (the spike is over), the fresh
 * evidence is a test supermartingale, so it confirms with probability at most
 * CONFIRM_ALPHA per breach (Ville), and far less in practice because a
 * recovered canary sits below the tolerance.
 */

/** Fresh evidence needed to confirm: an e-value of 1/CONFIRM_ALPHA. */
export const CONFIRM_ALPHA = 0.1;
/** Fresh evidence at or below this e-value dismisses the breach as a transient. */
export const DISMISS_LEVEL = 0.1;

export interface ConfirmationPlan {
  /** Intervals in the window after the breach (0: confirmation disabled). */
  windowIntervals: number;
  /** Intervals after the breach that are not used as evidence. */
  graceIntervals: number;
}

export function confirmationPlan(windowSeconds: number, intervalSeconds: number): ConfirmationPlan {
  const windowIntervals = Math.max(0, Math.ceil(windowSeconds / intervalSeconds - 1e-9));
  return { windowIntervals, graceIntervals: windowIntervals === 0 ? 0 : Math.ceil(windowIntervals / 2) };
}

export type ConfirmationCheck = 'confirm' | 'dismiss' | 'wait';

/**
 * Reads the fresh evidence. A breach is only dismissed on evidence against
 * it, never for lack of evidence: at low traffic the data after a real breach
 * can stay quiet for a long time, and dismissing then would throw the breach
 * away (a pending breach escalates after maxInconclusiveSeconds instead).
 */
export function checkFreshEvidence(logFresh: number): ConfirmationCheck {
  if (logFresh >= Math.log(1 / CONFIRM_ALPHA)) return 'confirm';
  if (logFresh <= Math.log(DISMISS_LEVEL)) return 'dismiss';
  return 'wait';
}
