import type { GuardianAction } from '../model/actions';

/**
 * The contract between the authorisation activity and whatever checks signed
 * action tokens. Types only, so that activities and tests can name it without
 * loading the JOSE implementation.
 */

/** What a verified token says. */
export interface VerifiedClaims {
  subject: string;
  /** The role the request acts in, which the token grants. */
  role: string;
  /** Unique per token; the workflow remembers it so a token is used once. */
  tokenId: string;
  /** The plan an approve or reject token is bound to. */
  planHash?: string;
  /** When the token expires (ISO), from `exp`: its single-use claim must last at least that long. */
  expiresAt?: string;
}

/**
 * What a verifier's refusal may carry when the signature verified but a claim
 * was refused (wrong plan, action, deployment, role, expired): the token's id,
 * so that it is spent although refused. Absent whenever the verifier cannot
 * tell that the signature verified.
 */
export interface SignedButRefused {
  signedTokenId: string;
  expiresAt?: string;
  /** The token's (signed) subject: a refusal that spends a token is counted against who it names, never a claimed name. */
  subject?: string;
}

/** What the guardian expects the token to say. */
export interface ExpectedAction {
  workflowId: string;
  deploymentId: string;
  action: GuardianAction;
  /** Key ids the guardian's policy trusts for approvals (`trustedKeys.approvals`). */
  trustedKeyIds: string[];
  /** The role the request acts in; the token must grant it. */
  role: string;
  /** The plan the guardian holds now: an approval or rejection must be bound to exactly this one. */
  planHash?: string;
  /**
   * Judge the token's times (exp, nbf) as of this moment instead of the
   * verifier's clock. The execute plane verifies an approval again later, as
   * of when Temporal recorded the request: a token valid then still counts
   * after it expired. Absent: now (every request a guardian receives).
   */
  at?: Date;
}

/** Verifies an action token; throws with a reason safe to show (never token content). */
export interface ActionTokenVerifier {
  verify(token: string, expected: ExpectedAction): Promise<VerifiedClaims>;
}
