import { sleep } from '@temporalio/workflow';

/**
 * A claim on one action token's id, namespace-wide (issue #16: single use
 * across guardians, not per guardian). The authorisation activity starts this
 * workflow with id `ripcord-token/<jti>` and a reuse policy that rejects
 * duplicates: whoever starts it first holds the token, and every later start,
 * from any guardian in the namespace, is refused by Temporal itself.
 *
 * The workflow only waits until the token expires, so its id is taken while
 * the token could still verify, then for the namespace's retention after it
 * closes. It does nothing else and never needs a signal.
 */

export const TOKEN_CLAIM_WORKFLOW_TYPE = 'tokenClaim';
/** Tokens live at most 24 h (DEFAULT_MAX_TTL_SECONDS); a claim never waits longer than that. */
export const MAX_TOKEN_CLAIM_MS = 24 * 3600 * 1000;

export interface TokenClaimInput {
  /** When the token expires (ISO); the claim stays open until then. */
  until: string;
}

export async function tokenClaim(input: TokenClaimInput): Promise<void> {
  const until = Date.parse(input.until);
  // An unreadable time keeps the claim open for the longest a token can live: failing toward "still used".
  const wait = Number.isFinite(until)
    ? Math.min(Math.max(until - Date.now(), 0), MAX_TOKEN_CLAIM_MS)
    : MAX_TOKEN_CLAIM_MS;
  if (wait > 0) await sleep(wait);
}
