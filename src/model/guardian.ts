import type { DecisionOutcome, DecisionState, VerdictKind } from '../decision';
import type { Policy } from '../policy';
import type { EscalationCause } from './audit';
import type { RollbackPlan } from './plan';
import type { ReleaseMembership, ReleaseStatus } from './release';

/**
 * The guardian as everyone sees it: the deployment it guards, its input, its
 * status and result. Plain data, shared by the workflow, the client, the CLI and
 * the report; the message definitions that carry it are in workflows/messages.ts.
 */
export const GUARDIAN_WORKFLOW_TYPE = 'guardian';

/** What the pipeline tells ripcord about one deployment. */
export interface DeploymentInfo {
  deploymentId: string;
  service: string;
  environment: string;
  version: string;
  previousVersion: string;
  /** Digest of the new artifact, `sha256:<hex>`. */
  artifactDigest?: string;
  /** Digest to return to on rollback when the plan does not pin one. */
  previousDigest?: string;
  /** Who deployed; they may not approve the rollback of their own deploy unless the policy allows it. */
  deployer?: string;
  /** ISO time of the deploy; the rollback window counts from here. */
  deployedAt: string;
}

/** A scenario file replayed as the only health source (rehearse, tests). */
export interface ReplaySource {
  scenarioFile: string;
  /** In a release scenario (ripcord.release-scenario/v1): the service whose series are replayed. */
  member?: string;
}

export interface GuardianInput {
  deployment: DeploymentInfo;
  /** The normalised policy, pinned in history by its hash; admission re-checks the hash. */
  policy: Policy;
  policyHash: string;
  /** How long to watch before promoting; default: the canary's holds or the automatic rollback window. */
  watchSeconds?: number;
  /** Replace every source of the policy with a scenario (rehearse). */
  replay?: ReplaySource;
  /**
   * Time compression for rehearsals: every wait for data (intervals, settle,
   * verification) is divided by this. Default 1. Waits for people (approval
   * timeout, escalation) are not: see `humanWaitSpeed`.
   */
  speed?: number;
  /**
   * Time compression for waits on people (approval timeout, escalation).
   * Default 1: people keep real time, also in a rehearsal at `speed`. Honoured
   * only with `replay` (a rehearsal); no command sets it; tests raise it to
   * keep their old pace.
   */
  humanWaitSpeed?: number;
  /** Continue-as-new after this many evaluations (default 500); tests lower it. */
  continueAsNewEvery?: number;
  /**
   * Waiting phases (gate, escalated) continue-as-new when Temporal suggests it
   * or history passes this many events (default 10,000): messages cannot grow
   * a waiting guardian's history without bound. Tests lower it.
   */
  continueAsNewAtEvents?: number;
  /**
   * A member of a release: its release judges it and orders its rollback or
   * promotion; it takes no decision of its own, and people address the release.
   */
  release?: ReleaseMembership;
  /** State carried across continue-as-new; absent on the first run. */
  carried?: CarriedState;
}

export type GuardianPhase =
  'admit' | 'watch' | 'confirm' | 'plan' | 'gate' | 'execute' | 'verify' | 'escalated' | 'close';

export type GuardianOutcome = 'promoted' | 'rolled-back' | 'aborted' | 'escalated' | 'expired';

export type RiskLevel = 'normal' | 'high';

export interface SignalStatus {
  signal: string;
  verdict: VerdictKind;
  phase: 'watching' | 'confirming' | 'confirmed';
  /** The decision core's words, for people: never parsed. */
  reason: string;
  eValue: number;
  threshold: number;
  /** Breaches of this signal dismissed so far (fresh data did not confirm them); absent while none. */
  dismissedBreaches?: number;
}

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'compensated' | 'frozen';

export interface StepStatus {
  index: number;
  name: string;
  type: string;
  state: StepState;
  detail?: string;
}

export interface ApprovalRecord {
  subject: string;
  role: string;
  at: string;
  /** The plan this approval approves: it never counts toward another plan. */
  planHash: string;
}

/** Where a guardian's own audit records end in the trail: kept by Temporal, out of reach of the trail's writer. */
export interface AuditHead {
  /** The chain position and hash of the guardian's last stored record. */
  seq: number;
  hash: string;
  /** How many records this guardian wrote (across continue-as-new). */
  records: number;
}

export interface GuardianStatus {
  workflowId: string;
  deploymentId: string;
  service: string;
  environment: string;
  version: string;
  policyHash: string;
  mode: Policy['mode'];
  phase: GuardianPhase;
  paused: boolean;
  /** Evaluations done so far (across continue-as-new). */
  evaluations: number;
  lastVerdict?: { index: number; verdict: VerdictKind; reason: string };
  signals: SignalStatus[];
  decision?: DecisionOutcome & { source: 'automatic' | 'manual' };
  plan?: { planHash: string; risk: RiskLevel; riskReasons: string[]; steps: StepStatus[] };
  approvals: ApprovalRecord[];
  /** What the guardian waits for right now, and until when (ISO), for people and `ripcord status`. */
  waiting?: { for: string; until?: string };
  /**
   * While a person must end the wait (gate, escalated): the policy's approval
   * roles and quorum, so every view can print the exact command that ends it.
   */
  approvers?: { roles: string[]; quorum: number };
  outcome?: GuardianOutcome;
  reason?: string;
  continuedAsNew: number;
  /** The head of this guardian's audit records (absent while the sink keeps no chain). */
  auditHead?: AuditHead;
  /** Where the guardian stands with its service's rollback lock: queued for it, or holding it. */
  rollbackTurn?: 'waiting' | 'granted';
  /** Messages refused as unauthenticated (forged supersede, lock grants); the first few are audited one by one. */
  refusedMessages?: number;
  /**
   * A rehearsal (its health is a replayed scenario): it never supersedes a live
   * guardian, is never superseded by one, and takes its own rollback lock.
   */
  rehearsal?: true;
  /** A member guardian: the release that orders it. */
  memberOf?: ReleaseMembership;
  /** A release workflow: its members, verdicts and what was rolled back. */
  release?: ReleaseStatus;
}

export interface GuardianResult {
  outcome: GuardianOutcome;
  reason: string;
  evaluations: number;
  decision?: DecisionOutcome & { source: 'automatic' | 'manual' };
  planHash?: string;
  /** The head of this guardian's audit records: `ripcord audit verify --temporal` checks the trail still holds it. */
  auditHead?: AuditHead;
}

/** Everything the next run needs after continue-as-new; small by construction. */
export interface CarriedState {
  /** The decision core's state (plain JSON from src/decision). */
  decisionState: DecisionState;
  status: GuardianStatus;
  admittedAt: string;
  /** Next audit record sequence number: record ids stay unique across runs. */
  auditSeq: number;
  /** Token ids already used: a signed token acts once. */
  usedTokenIds: string[];
  /** Recent manual rollback requests (ms) per verified identity: the rate limit holds across continue-as-new. */
  rollbackNowBySubject?: Record<string, number[]>;
  /** Learnt at admission: the worker verifies signed tokens. */
  tokensRequired?: boolean;
  /** Operator requests numbered so far (namespace-wide token claims name them). */
  requestSeq?: number;
  /** A release member: the last order of its release it acted on. */
  orderSeq?: number;
  /** Learnt at admission: the execute plane's task queue for rollback steps (absent: the guardian's own). */
  stepTaskQueue?: string;
  /** Where to pick up when continue-as-new happened in a waiting phase rather than in the watch. */
  resume?: ResumePoint;
}

/** A waiting phase that continued as new to keep its history bounded, and what it needs to go on. */
export type ResumePoint =
  | {
      phase: 'gate';
      plan: RollbackPlan;
      /** Epoch ms (workflow time) when the approval wait ends: the policy's timeout counted from the first run. */
      untilMs: number;
      /** The timeout already passed and the policy said hold. */
      holding: boolean;
    }
  | {
      phase: 'escalated';
      reason: string;
      untilMs: number;
      /** Why, as codes (absent when carried from an older worker's run). */
      cause?: EscalationCause;
    }
  /** A release member waiting for its release's order. */
  | { phase: 'member' };

/** One guardian per deployment: the id makes a retried start return the existing run. */
export function guardianWorkflowId(
  ref: Pick<DeploymentInfo, 'environment' | 'service' | 'deploymentId'>,
  options: { rehearsal?: boolean } = {},
): string {
  const prefix = options.rehearsal ? REHEARSAL_WORKFLOW_ID_PREFIX : GUARDIAN_WORKFLOW_ID_PREFIX;
  return `${prefix}${ref.environment}/${ref.service}/${ref.deploymentId}`;
}

export const GUARDIAN_WORKFLOW_ID_PREFIX = 'ripcord/';

/** Rehearsals (replayed health) live apart: the same deployment id never collides with the live guardian's. */
export const REHEARSAL_WORKFLOW_ID_PREFIX = 'ripcord-rehearsal/';

/** A full guardian workflow id (live or rehearsal), as opposed to a bare deployment id. */
export function isGuardianWorkflowId(id: string): boolean {
  return id.startsWith(GUARDIAN_WORKFLOW_ID_PREFIX) || id.startsWith(REHEARSAL_WORKFLOW_ID_PREFIX);
}
