import type { DecisionCause, DecisionKind } from '../decision';
import type { Approval, Mode } from '../policy';
import type { GuardianAction } from './actions';
import type { RiskLevel, SignalStatus } from './guardian';
import type { ResolvedAction } from './plan';
import type { ReleaseVerdict } from './release';

/**
 * One audit record, as every sink stores it and every reader reads it: a
 * discriminated union by `kind`, whose `details` say what happened in fields.
 * Code reads `kind` and `details`; `summary` is one sentence for people
 * (`ripcord audit show`, the report's timeline) and is never parsed: its words
 * may change at any time.
 *
 * Records written by an older worker (guardians started before details were
 * typed) have the same top-level shape but may lack these fields; readers of
 * stored or replayed records treat a missing field as unknown, never guess it
 * from the summary.
 */

// ---- what every record carries ----------------------------------------------------

/** The fields every record has, whatever its kind. */
export interface AuditCommon {
  /** `${workflowId}#${sequence}`: appending the same record twice (an activity retry) stores it once. */
  id: string;
  at: string;
  workflowId: string;
  deploymentId: string;
  service: string;
  environment: string;
  policyHash: string;
  actor: string;
  planHash?: string;
  /** For people only: never parse it (read `kind` and `details`). */
  summary: string;
}

// ---- what each kind says ------------------------------------------------------------

/** The guardian took the deployment on. */
export interface AdmittedDetails {
  version: string;
  mode: Mode;
  /** Older guardians of the same service and environment it stood down (workflow ids). */
  superseded: string[];
}

/** What the decision core (or a person) decided, and on what evidence. */
export interface DecisionDetails {
  decision: DecisionKind;
  source: 'automatic' | 'manual';
  /** Why, as a code (absent only when the outcome was decided by an older worker). */
  cause?: DecisionCause;
  /** The core's words for people. */
  reason: string;
  decidedAtIndex: number | null;
  /** The signal that caused it, when one did. */
  signal?: string;
  /** Each signal's state when the decision was made. */
  evidence: SignalStatus[];
}

/** The rollback plan built (its hash is the record's `planHash`). */
export interface PlanDetails {
  trigger: 'automatic' | 'manual';
  risk: RiskLevel;
  riskReasons: string[];
  /** The configuration changes, for people. */
  changes: string[];
  steps: number;
}

/** An operator's request the guardian accepted (approve and reject are `approval` records). */
export interface ActionDetails {
  action: Exclude<GuardianAction, 'approve' | 'reject'>;
  /** A person asked for it (rollbackNow: a manual rollback, not the decision core's). */
  manual: boolean;
  role: string;
  reason?: string;
}

/**
 * Why an operator's request was refused after it reached history (validators
 * refuse malformed ones before):
 * - not-authorized: the authorisation activity said no (token, role, owner...);
 * - token-reused: the signed token was already spent;
 * - rate-limited: the person is over the manual rollback limit;
 * - no-approval-pending, plan-mismatch, already-approved, role-already-counted: approve/reject at the gate;
 * - rollback-under-way: rollbackNow while a rollback is being planned, gated, run or verified.
 */
export type ActionDenialCode =
  | 'not-authorized'
  | 'token-reused'
  | 'rate-limited'
  | 'no-approval-pending'
  | 'plan-mismatch'
  | 'already-approved'
  | 'role-already-counted'
  | 'rollback-under-way';

export type ActionDeniedDetails =
  | {
      code: ActionDenialCode;
      action: GuardianAction;
      role: string;
      /** Why, for people. */
      reason: string;
    }
  | {
      /** The request that reached the manual rollback limit: accepted, but the next ones are refused before history. */
      code: 'rate-limit-reached';
      action: 'rollbackNow';
      subject: string;
      requests: number;
      windowMinutes: number;
    };

/** An internal signal that could not be authenticated (a forged supersede or lock grant). */
export interface MessageRefusedDetails {
  message: 'supersede' | 'rollbackLockGranted' | 'memberOrder';
  /** How many such messages this guardian refused so far. */
  count: number;
  /** Why, for people. */
  reason: string;
  /** The last one recorded one by one: further refusals are only counted (status.refusedMessages). */
  lastRecorded: boolean;
}

/** A verdict on a high-risk plan: a person's approval or rejection, or what the gate did without one. */
export type ApprovalDetails =
  | {
      verdict: 'approved' | 'rejected';
      subject: string;
      role: string;
      planHash: string;
      reason?: string;
    }
  | {
      /** Nobody decided before the approval timeout: the policy's `onTimeout` applies. */
      verdict: 'timed-out';
      onTimeout: Approval['onTimeout'];
      planHash: string;
    }
  | {
      /** A high-risk plan, but the policy names no approvers: escalated. */
      verdict: 'no-approvers';
      planHash: string;
    };

/** Which step of the plan a step or compensation record is about. */
export interface StepRef {
  index: number;
  name: string;
  type: ResolvedAction['type'];
}

/**
 * What happened to one step: done (with what the target read back), failed
 * for good, frozen before it (irreversible: a person decides), or `checked`:
 * the step's own health check after it ran (the step stays done; unhealthy,
 * the guardian stops there and hands over).
 */
export type StepDetails = StepRef &
  (
    | { state: 'done'; verified: string; idempotencyKey: string }
    | { state: 'failed'; error: string }
    | { state: 'frozen'; because: 'irreversible' }
    | { state: 'checked'; healthy: boolean; detail: string }
  );

/** A completed step undone (or not) after a failure, an abort or a cancellation. */
export type CompensationDetails = StepRef & { undone: boolean; detail: string };

/** The recovery check after the rollback. */
export interface RecoveryDetails {
  recovered: boolean;
  detail: string;
}

/**
 * Why a guardian handed over to a person (the outcome `escalated`, or the
 * escalation a person may still answer):
 * - the decision core's causes: advisory-regression, canary-silent, no-data,
 *   inconclusive, breach-unresolved, breach-pending-at-end, no-evidence;
 * - outside-rollback-window: a regression after the automatic rollback window;
 * - not-approved: a high-risk plan without approval in time (or without approvers);
 * - step-failed: a step failed for good (`compensated`: completed steps were undone);
 * - irreversible-step: the plan reached a step no machine may run;
 * - health-not-back: a step's own health check did not pass;
 * - not-recovered: rolled back, but health did not return within the deadline;
 * - unknown: carried from a run of an older worker that did not record why.
 */
export type EscalationReason =
  | Exclude<DecisionCause, 'regression' | 'healthy'>
  | 'outside-rollback-window'
  | 'not-approved'
  | 'step-failed'
  | 'irreversible-step'
  | 'health-not-back'
  | 'not-recovered'
  /** A release: stable versions degraded with it (a platform incident), so it is not to blame. */
  | 'systemic'
  /** A release member closed by its release's escalation (a person took over the release). */
  | 'release-escalated'
  | 'unknown';

/** Why an escalation happened, with what code needs to know about it. */
export interface EscalationCause {
  reason: EscalationReason;
  /** The signal the decision was about, when one was. */
  signal?: string;
  /** step-failed: whether the completed steps were undone. */
  compensated?: boolean;
}

/** Where the guardian was when an operator aborted it. */
export type AbortedDuring = 'watch' | 'gate' | 'rollback-turn' | 'rollback' | 'escalation';

/** How the guardian closed, and why, as codes. */
export type OutcomeDetails =
  | { outcome: 'promoted'; reason: 'watch-ended-healthy' }
  | { outcome: 'promoted'; reason: 'would-have-rolled-back'; mode: 'observe' | 'notify' }
  /** A release member its release kept: the release's watch ended with it healthy. */
  | { outcome: 'promoted'; reason: 'release-promoted'; release: string }
  | { outcome: 'rolled-back'; reason: 'recovered' }
  | {
      outcome: 'aborted';
      reason: 'aborted';
      by: string;
      during: AbortedDuring;
      /** Aborted during the rollback: whether the completed steps were undone. */
      compensated?: boolean;
    }
  | { outcome: 'aborted'; reason: 'superseded'; by: string }
  | { outcome: 'aborted'; reason: 'rejected'; by: string }
  | ({ outcome: 'escalated' } & EscalationCause);

/** What a release judged across its members, with the evidence (docs/policy.md, releases). */
export interface ReleaseVerdictDetails {
  verdict: ReleaseVerdict['kind'];
  /** Members to roll back, in the order rolled back (empty: none). */
  rollback: string[];
  atIndex: number;
  reason: string;
  /** Each member's verdict and the judge's words for it. */
  members: Array<{ service: string; verdict: string; reason: string; explainedBy?: string[] }>;
  /** Stable versions tested for a platform degradation, and what they showed. */
  systemic: Array<{ service: string; inRelease: boolean; signal: string; degraded: boolean; eValue: number }>;
}

/** One member's part of a coordinated rollback: ordered, done, or failed. */
export interface ReleaseMemberDetails {
  service: string;
  state: 'ordered' | 'rolled-back' | 'failed' | 'promoted' | 'held' | 'aborted' | 'escalated';
  planHash?: string;
  /** The member guardian's outcome and words, once it closed. */
  outcome?: string;
  reason?: string;
}

/** Which of the execute plane's checks a step failed (docs/security.md, two planes). */
export type StepCheck = 'caller' | 'plan' | 'environment' | 'target' | 'approvals';

/**
 * A step (or compensation) the execute plane refused before acting: it checks
 * with Temporal and its own keys who asks, that the step is one of the plan
 * the guardian recorded, that it serves the environment and the target, and
 * that the plan's approvals verify again. Written by the executor to its own
 * trail; nothing was changed.
 */
export interface StepRefusedDetails {
  /** The workflow that asked (the activity's caller, as Temporal names it). */
  workflowId: string;
  /** The plan the step names. */
  planHash: string;
  /** The step's index in that plan. */
  index: number;
  /** A step, or the compensation of one. */
  activity: 'executeStep' | 'compensateStep';
  check: StepCheck;
  /** Why, for people. */
  reason: string;
}

/** Every kind of record, and its details. */
export interface AuditDetailsByKind {
  admitted: AdmittedDetails;
  decision: DecisionDetails;
  plan: PlanDetails;
  action: ActionDetails;
  'action-denied': ActionDeniedDetails;
  'message-refused': MessageRefusedDetails;
  approval: ApprovalDetails;
  step: StepDetails;
  compensation: CompensationDetails;
  recovery: RecoveryDetails;
  outcome: OutcomeDetails;
  'release-verdict': ReleaseVerdictDetails;
  'release-member': ReleaseMemberDetails;
  'step-refused': StepRefusedDetails;
}

export type AuditKind = keyof AuditDetailsByKind;

/** A record of one kind. */
export type AuditRecordOf<K extends AuditKind> = AuditCommon & { kind: K; details: AuditDetailsByKind[K] };

export type AuditRecord = { [K in AuditKind]: AuditRecordOf<K> }[AuditKind];

/** Where a stored audit record landed in its chain: the guardian keeps its last one as its trail's head. */
export interface AuditReceipt {
  seq: number;
  hash: string;
}
