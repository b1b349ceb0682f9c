import type { DeploymentInfo, RiskLevel } from './guardian';

/** The rollback plan and its steps' outcomes: built by an activity, run by the workflow, applied by targets. */

// ---- plan --------------------------------------------------------------------

export type ResolvedAction =
  | { type: 'shift-traffic'; weights: number[]; pauseSeconds: number }
  | { type: 'swap-blue-green' }
  | { type: 'revert-artifact'; digest: string; signedBy: string }
  | { type: 'disable-flag'; flag: string; project: string }
  | { type: 'down-migration'; migration: string; reversible: boolean; connectionSecret?: string }
  | { type: 'webhook'; url: string; method: 'POST' | 'PUT'; hmacSecret: string };

export interface PlannedStep {
  index: number;
  name: string;
  /** sha256 of deployment id, plan hash and step index: the same step is applied at most once. */
  idempotencyKey: string;
  action: ResolvedAction;
  timeoutSeconds: number;
  retries: { maxAttempts: number; initialSeconds: number; multiplier: number; maxSeconds: number };
  verify: { targetState: boolean; signals: string[]; settleSeconds: number; timeoutSeconds: number };
  /** A step no machine may run (an irreversible migration): the guardian freezes and escalates here. */
  irreversible: boolean;
}

export interface RollbackPlan {
  /** sha256 over the canonical JSON of everything below except createdAt; every later action names it. */
  planHash: string;
  policyHash: string;
  deploymentId: string;
  createdAt: string;
  trigger: 'automatic' | 'manual';
  risk: RiskLevel;
  riskReasons: string[];
  /** Configuration changes the plan makes, for people: e.g. "canary weight 25% → 0%". */
  changes: string[];
  steps: PlannedStep[];
}

// ---- steps -------------------------------------------------------------------

export interface StepInput {
  deployment: DeploymentInfo;
  planHash: string;
  step: PlannedStep;
}

export interface StepOutcome {
  /** False when the idempotency key shows the step was already applied (a retry after a crash). */
  applied: boolean;
  /** The target read back after the step, in words (e.g. "canary weight 0%"). */
  verified: string;
}

export interface CompensationOutcome {
  compensated: boolean;
  detail: string;
}

/** Error types the step activities throw for failures no retry can fix. */
export const PERMANENT_STEP_ERROR = 'PermanentStepError';

export const VERIFICATION_FAILED = 'StepVerificationFailed';
