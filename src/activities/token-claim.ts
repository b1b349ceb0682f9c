import { createHash } from 'node:crypto';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/client';
import { currentContext } from './activity-context';
import { MAX_TOKEN_CLAIM_MS, TOKEN_CLAIM_WORKFLOW_TYPE, type tokenClaim } from '../workflows/token-claim';

/**
 * Single use of action tokens across the namespace (issue #16). Each guardian
 * remembers the token ids it has seen, but two guardians that share a
 * deployment id (staging and production) would each accept the same token
 * once. A claim on the token id that every guardian sees closes that.
 */

export interface TokenClaim {
  /** The token's `jti`. */
  tokenId: string;
  /** When the token expires (ISO); unknown: the longest a token may live. */
  until?: string;
  /** Who claims: the request's nonce (`<workflowId>#r<n>`), so a retry of the same request is told apart. */
  claimedBy: string;
}

export type TokenClaimOutcome = { claimed: true } | { claimed: false; reason: string };

/** Claims a token id once per namespace; the same `claimedBy` may claim again (an activity retry). */
export interface TokenClaimStore {
  claim(claim: TokenClaim): Promise<TokenClaimOutcome>;
}

export const TOKEN_CLAIM_ID_PREFIX = 'ripcord-token/';
const PLAIN_JTI = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The claim's workflow id. A plain jti (a UUID, as `token sign` makes) is used
 * as it is, readable in the Web UI; anything else (long, or with other
 * characters) is replaced by its SHA-256, under a prefix a plain jti cannot
 * produce (it never holds "/").
 */
export function tokenClaimWorkflowId(tokenId: string): string {
  if (PLAIN_JTI.test(tokenId)) return `${TOKEN_CLAIM_ID_PREFIX}${tokenId}`;
  return `${TOKEN_CLAIM_ID_PREFIX}sha256/${createHash('sha256').update(tokenId, 'utf8').digest('hex')}`;
}

export interface TemporalTokenClaimsOptions {
  /** Where the claim workflow runs when called outside an activity (tests); inside one, the activity's own queue. */
  taskQueue?: string;
  now?: () => Date;
}

/**
 * Claims by starting the `tokenClaim` workflow with id `ripcord-token/<jti>`:
 * REJECT_DUPLICATE refuses a second start after the claim closed (for the
 * namespace's retention), FAIL refuses one while it runs. The claim runs on
 * the activity's own task queue, so the worker that checks tokens is the one
 * that runs claims. When the id is taken, the claim's memo says by whom: the
 * same request (a retry after the start succeeded) is fine, anyone else is
 * refused. Any other error is thrown, so the activity retries: whether the
 * token is still unused cannot be told, and it is never assumed.
 */
export function temporalTokenClaims(
  client: Client,
  options: TemporalTokenClaimsOptions = {},
): TokenClaimStore {
  return {
    async claim(claim: TokenClaim): Promise<TokenClaimOutcome> {
      const taskQueue = currentContext()?.info.taskQueue ?? options.taskQueue;
      if (taskQueue === undefined)
        throw new Error('a token claim needs a task queue (run it inside an activity)');
      const now = options.now?.() ?? new Date();
      const until = claim.until ?? new Date(now.getTime() + MAX_TOKEN_CLAIM_MS).toISOString();
      const workflowId = tokenClaimWorkflowId(claim.tokenId);
      try {
        await client.workflow.start<typeof tokenClaim>(TOKEN_CLAIM_WORKFLOW_TYPE, {
          workflowId,
          taskQueue,
          args: [{ until }],
          memo: { claimedBy: claim.claimedBy },
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        });
        return { claimed: true };
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      const existing = await client.workflow.getHandle(workflowId).describe();
      if (existing.memo?.claimedBy === claim.claimedBy) return { claimed: true };
      return {
        claimed: false,
        reason: `this token was already used (claimed by another request at ${existing.startTime.toISOString()})`,
      };
    },
  };
}
