import type { DecisionOutcome, Observation } from '../decision';
import type { Policy } from '../policy';
import type { ActionRequest, GuardianAction } from './actions';
import type { AuditReceipt, AuditRecord } from './audit';
import type { DeploymentInfo, GuardianOutcome, ReplaySource } from './guardian';
import type { CompensationOutcome, RollbackPlan, StepInput, StepOutcome } from './plan';
import type { MemberOrder, ReleasePlan } from './release';

/**
 * The guardian's activities as the workflow sees them: inputs and outputs only,
 * so that workflow code can import these types without pulling in any I/O.
 * createActivities(deps) in src/activities implements this contract.
 */

// ---- admission -------------------------------------------------------------

export interface AdmitInput {
  workflowId: string;
  deployment: DeploymentInfo;
  policy: Policy;
  policyHash: string;
  /** The rehearsal's replayed scenario, if any: a worker that refuses replay refuses the guardian at admission. */
  replay?: ReplaySource;
}

export interface AdmitResult {
  admittedAt: string;
  /**
   * The worker verifies signed tokens (it has trusted keys, or refuses all):
   * the guardian's update validators then refuse, before history, any request
   * that carries no token of the right shape.
   */
  tokensRequired?: boolean;
  /**
   * Where this deployment's rollback steps go: the execute plane of its
   * environment, when the worker that admitted it is a decide plane. Absent:
   * the guardian's own task queue (one worker runs both planes).
   */
  stepTaskQueue?: string;
}

export interface SupersedeInput {
  workflowId: string;
  service: string;
  environment: string;
}

export interface SupersedeResult {
  /** Workflow ids of the older guardians that were told to stand down. */
  superseded: string[];
}

/**
 * A `supersede` signal names its sender; no signal is trusted for that. The
 * guardian asks Temporal whether the sender is a running guardian of the same
 * service and environment that started after it, and is not a rehearsal.
 */
export interface VerifySupersedeInput {
  workflowId: string;
  /** The workflow id the signal claims to come from. */
  by: string;
  service: string;
  environment: string;
}

export interface VerifySupersedeResult {
  genuine: boolean;
  /** Why (not), in words safe for the audit trail. */
  reason: string;
}

/** A `rollbackLockGranted` signal is checked against the lock itself: is this guardian its holder now? */
export interface ConfirmRollbackTurnInput {
  lockId: string;
  holder: string;
}

export interface ConfirmRollbackTurnResult {
  granted: boolean;
  reason: string;
}

/**
 * The lock's side of the same check: an `acquire` or `release` signal names a
 * guardian, and anyone with signal rights can send one. The lock asks
 * Temporal where that guardian really stands before it queues, or lets go of,
 * anyone.
 */
export interface RollbackLockMemberInput {
  workflowId: string;
  service: string;
  environment: string;
}

export interface RollbackLockMemberResult {
  /**
   * `waiting`/`granted`: a running guardian of this service queued for, or
   * holding, the lock; `none`: running but neither; `closed`: not running (or
   * no such workflow); `stranger`: not a guardian of this service.
   */
  state: 'waiting' | 'granted' | 'none' | 'closed' | 'stranger';
  reason: string;
}

// ---- health ----------------------------------------------------------------

export interface EvaluateHealthInput {
  deployment: DeploymentInfo;
  /** Interval number since the watch began (the replay source reads this index). */
  index: number;
  intervalSeconds: number;
  series: Policy['series'];
  sources: Policy['sources'];
  replay?: ReplaySource;
}

/** Per series, one value per group or null; a failing source reports `error`, never throws. */
export type EvaluateHealthResult = Observation;

/**
 * One interval's reading as a local activity returns it. A local activity's
 * input is not kept in history (only its result, in a marker), so the result
 * names its interval: the report rebuilds the timeline from it.
 */
export interface IntervalReading {
  index: number;
  observation: Observation;
}

export interface BuildPlanInput {
  deployment: DeploymentInfo;
  policy: Policy;
  policyHash: string;
  decision: DecisionOutcome;
  trigger: 'automatic' | 'manual';
  /** Seconds since the deploy, to know the canary's traffic share for risk rules. */
  elapsedSeconds: number;
  /** Evidence is overwhelming (e.g. a crash): revert traffic in one stage instead of progressively. */
  strongEvidence: boolean;
}

// ---- people --------------------------------------------------------------------

export interface AuthorizeInput {
  workflowId: string;
  deployment: DeploymentInfo;
  action: GuardianAction;
  request: ActionRequest;
  approval?: Policy['approval'];
  owners: string[];
  /** The plan the guardian holds now, if any; approvals must name it. */
  planHash?: string;
  trustedKeyIds: string[];
  /**
   * Unique per request within the guardian (`<workflowId>#r<n>`): the token's
   * id is claimed once per namespace in its name, so an activity retry of the
   * same request finds its own claim, and any other request finds it taken.
   */
  requestNonce?: string;
}

export interface AuthorizeResult {
  authorized: boolean;
  /** Verified identity (from the token once tokens exist) and the role that counted. */
  subject: string;
  role: string;
  /** Why not, in words safe to show the requester (no token content). */
  reason: string;
  /**
   * Unique id of the token, remembered by the workflow for single use. Set
   * whenever the signature verified, also when the request is refused: a
   * token that was refused once is spent, never valid later.
   */
  tokenId?: string;
}

export type NotificationEventName =
  | 'regression-detected'
  | 'rollback-decided'
  | 'approval-requested'
  | 'rollback-started'
  | 'rollback-completed'
  | 'rollback-failed'
  | 'escalated'
  | 'promoted';

/**
 * What an approval-requested notification needs to write the approve command:
 * receivers build the command (with the namespace only the worker knows), so
 * it is never parsed back out of the guardian's prose.
 */
export interface ApprovalRequest {
  planHash: string;
  /** Roles that may approve; the command names them for the person to pick one. */
  roles: string[];
  /** When the wait for approvals ends (ISO); absent from guardians before it was sent. */
  until?: string;
}

export interface NotifyInput {
  event: NotificationEventName;
  workflowId: string;
  deployment: DeploymentInfo;
  notifications: Policy['notifications'];
  /** For people: receivers show it, never parse it. */
  message: string;
  outcome?: GuardianOutcome;
  /** The plan the event is about, once there is one. */
  planHash?: string;
  /** approval-requested only. */
  approval?: ApprovalRequest;
}

// ---- releases -------------------------------------------------------------------

/** One service a release reads: a member (baseline and canary) or a service outside it (baseline only). */
export interface ReleaseServiceRead {
  service: string;
  deployment: DeploymentInfo;
  series: Policy['series'];
  sources: Policy['sources'];
  replay?: ReplaySource;
}

export interface ReadReleaseIntervalInput {
  index: number;
  intervalSeconds: number;
  services: ReleaseServiceRead[];
}

/** One interval of every service of a release, named (a local activity's input is not kept in history). */
export interface ReleaseIntervalReading {
  index: number;
  observations: Record<string, Observation>;
}

export interface BuildReleasePlanInput {
  releaseId: string;
  /** In the order they are to be rolled back. */
  members: BuildPlanInput[];
}

export interface ConfirmMemberOrderInput {
  releaseWorkflowId: string;
  service: string;
  /** The member's own task queue: a release on any other queue runs code that is not ours. */
  taskQueue: string;
}

export interface ConfirmMemberOrderResult {
  /** Orders are numbered per member; one a member already acted on is not new. */
  seq: number;
  order: MemberOrder;
  /** Where the order came from, or why there is none, for the audit. */
  reason: string;
}

/** The activity surface the guardian calls; createActivities(deps) must satisfy it. */
export interface GuardianActivityContract {
  admitDeployment(input: AdmitInput): Promise<AdmitResult>;
  supersedeOlderGuardians(input: SupersedeInput): Promise<SupersedeResult>;
  verifySupersede(input: VerifySupersedeInput): Promise<VerifySupersedeResult>;
  confirmRollbackTurn(input: ConfirmRollbackTurnInput): Promise<ConfirmRollbackTurnResult>;
  rollbackLockMember(input: RollbackLockMemberInput): Promise<RollbackLockMemberResult>;
  /** One health read as a regular activity (the worker still serves it; guardians read as below). */
  evaluateHealth(input: EvaluateHealthInput): Promise<EvaluateHealthResult>;
  /** The health read the guardian makes every interval, as a local activity inside the timer's workflow task. */
  readHealthInterval(input: EvaluateHealthInput): Promise<IntervalReading>;
  buildRollbackPlan(input: BuildPlanInput): Promise<RollbackPlan>;
  executeStep(input: StepInput): Promise<StepOutcome>;
  compensateStep(input: StepInput): Promise<CompensationOutcome>;
  authorizeAction(input: AuthorizeInput): Promise<AuthorizeResult>;
  /** Stores the record once; returns where it is in the chain (undefined for sinks without a chain). */
  recordAudit(record: AuditRecord): Promise<AuditReceipt | undefined>;
  notify(input: NotifyInput): Promise<void>;
  /** A release's read of all its services for one interval (a local activity). */
  readReleaseInterval(input: ReadReleaseIntervalInput): Promise<ReleaseIntervalReading>;
  buildReleasePlan(input: BuildReleasePlanInput): Promise<ReleasePlan>;
  confirmMemberOrder(input: ConfirmMemberOrderInput): Promise<ConfirmMemberOrderResult>;
}
