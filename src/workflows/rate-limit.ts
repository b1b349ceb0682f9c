/**
 * The manual-rollback rate limit (docs/architecture.md §5, abuse resistance). Each
 * `rollbackNow` that reaches the guardian costs an authorisation activity,
 * audit records and history, whether or not its token is good; someone
 * holding a start-workflow or update permission but no valid token could
 * otherwise grow a guardian's history without bound. Past the limit the
 * update validator refuses the request, so it never reaches history.
 * Pure functions of workflow time, so they are deterministic.
 */

export interface RateLimit {
  requests: number;
  windowMs: number;
}

/** At most 3 manual rollback requests per guardian in any 10 minutes: a person retrying a typo is fine, a loop is not. */
export const ROLLBACK_NOW_LIMIT: RateLimit = { requests: 3, windowMs: 10 * 60_000 };

/** The requests still inside the window. */
export function recentRequests(requestsMs: readonly number[], nowMs: number, limit: RateLimit): number[] {
  return requestsMs.filter((at) => at > nowMs - limit.windowMs && at <= nowMs);
}

/** Milliseconds until one more request is allowed; 0 when it is allowed now. */
export function retryAfterMs(requestsMs: readonly number[], nowMs: number, limit: RateLimit): number {
  const recent = recentRequests(requestsMs, nowMs, limit).sort((a, b) => a - b);
  if (recent.length < limit.requests) return 0;
  const oldestThatMustExpire = recent[recent.length - limit.requests]!;
  return Math.max(1, oldestThatMustExpire + limit.windowMs - nowMs);
}
