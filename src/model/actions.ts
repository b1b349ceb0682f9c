import type { GuardianPhase } from './guardian';

/** An operator's request to a guardian, and its answer. */

/**
 * An operator's request. Validators only reject malformed requests; who may do
 * what is decided by the authorizeAction activity, from the signed token.
 */
export interface ActionRequest {
  /** Who asks, as the token names them (on a worker that trusts claims, as the CLI user claims). */
  actor: string;
  role: string;
  reason?: string;
  /** Approve and reject name the plan they judge: an approval of one plan never approves another. */
  planHash?: string;
  /** Signed token (JWS) carried for the verification activity. */
  token?: string;
}

export interface ActionResult {
  accepted: boolean;
  message: string;
  phase: GuardianPhase;
}

export type GuardianAction = 'approve' | 'reject' | 'abort' | 'pause' | 'resume' | 'rollbackNow';
