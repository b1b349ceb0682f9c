import type { CompensationOutcome, PlannedStep, ResolvedAction } from '../model/plan';
import type { DeploymentInfo } from '../model/guardian';

/**
 * A rollback target changes one kind of thing in production (traffic weights,
 * the running artifact, a feature flag, the schema, an outside system) and can
 * read it back. Every call is idempotent by the step's idempotency key: the
 * guardian may call apply again after a crash, and the target must not apply
 * the step twice.
 */
export interface RollbackTarget {
  /** For people and logs: "recording (dry run)", "nginx", ... */
  readonly name: string;
  /** Brings production to the step's intended state. */
  apply(step: PlannedStep, ctx: StepContext): Promise<ApplyResult>;
  /** Reads production back and describes it ("canary weight 0%"); throws StepVerificationError when it differs. */
  verify(step: PlannedStep, ctx: StepContext): Promise<string>;
  /** Restores what the step changed (also a step that was applied only in part); idempotent. */
  compensate(step: PlannedStep, ctx: StepContext): Promise<CompensationOutcome>;
  /**
   * Why this target cannot act for the deployment (a service it has no
   * configuration for), or undefined when it can. Cheap and without I/O: the
   * execute plane asks before it runs a step. Targets that are not addressed
   * by service leave it out.
   */
  serves?(deployment: DeploymentInfo): string | undefined;
}

export interface ApplyResult {
  /** False when the key shows the step was already applied (a retry after a crash). */
  applied: boolean;
  detail: string;
}

/** What a target may use while it works; supplied by the activity (or by a test). */
export interface StepContext {
  deployment: DeploymentInfo;
  planHash: string;
  /** Tells Temporal the step is alive; long steps call it at least every few seconds. */
  heartbeat(details?: unknown): void;
  /** Waits, and rejects when the activity is cancelled. */
  sleep(ms: number): Promise<void>;
  /** Aborted when the activity is cancelled: pass it to every network call. */
  signal: AbortSignal;
}

export type ActionType = ResolvedAction['type'];
