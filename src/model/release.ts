import type { Policy } from '../policy';
import type { AuditHead, DeploymentInfo, GuardianOutcome } from './guardian';
import type { RollbackPlan } from './plan';

/**
 * A release: several deployments that ship together, guarded by one parent
 * workflow that runs one child guardian per member (docs/architecture.md,
 * releases). Plain data shared by the workflow, the client, the CLI and the
 * report.
 */
export const RELEASE_WORKFLOW_TYPE = 'release';

/**
 * Release workflow ids: `ripcord-release/<environment>/<name>/<releaseId>`. Members are its
 * children, with their usual guardian ids (`ripcord/<environment>/<service>/<releaseId>`): every
 * command that finds a deployment finds a member.
 */
export const RELEASE_WORKFLOW_ID_PREFIX = 'ripcord-release/';

export type ReleaseRollbackMode = 'independent' | 'together';

/** One deployment of the release: its own policy judges it and plans its rollback. */
export interface ReleaseMemberInput {
  deployment: DeploymentInfo;
  policy: Policy;
  policyHash: string;
  /** Services it calls: other members, or services outside the release. */
  dependsOn: string[];
}

/**
 * A service outside the release whose health tells a platform incident from a
 * release problem. Only its serving version is read (the baseline group).
 */
export interface ReleaseOutsideService {
  service: string;
  /** The version it serves: its queries' `{{version}}`. */
  version: string;
  policy: Policy;
  policyHash: string;
  dependsOn: string[];
}

/** A release scenario replayed as every member's and outside service's health (tests, rehearsals). */
export interface ReleaseReplaySource {
  releaseScenarioFile: string;
}

export interface ReleaseInput {
  /** The pipeline's id for this release; approval tokens name it as their deployment. */
  releaseId: string;
  /** A name for people (release.yaml metadata.name). */
  name: string;
  environment: string;
  mode: ReleaseRollbackMode;
  deployer?: string;
  /** ISO time the release started; rollback windows count from here. */
  startedAt: string;
  /** In the order of release.yaml; the first member's policy governs the release's own gate. */
  members: ReleaseMemberInput[];
  outside: ReleaseOutsideService[];
  /** After a culprit's rollback, how long its dependents settle before they are judged again on fresh data. */
  settleSeconds: number;
  /** How long to watch before promoting the members still kept; default: the longest member watch. */
  watchSeconds?: number;
  replay?: ReleaseReplaySource;
  /** Time compression for data waits (tests, rehearsals); default 1. */
  speed?: number;
  /** Time compression for waits on people; honoured only with `replay`. */
  humanWaitSpeed?: number;
}

/** How the release judged a member so far. */
export type ReleaseMemberState =
  | 'watching'
  /** Its own regression: rolled back, or being rolled back. */
  | 'rolling-back'
  | 'rolled-back'
  /** Regressed, but its dependencies explain it (a cascade): kept and judged again after their rollback. */
  | 'explained'
  /** Held: no automatic rollback (systemic degradation, escalated release). */
  | 'held'
  | 'promoted'
  | 'aborted'
  /** Its rollback failed or did not recover: a person must look. */
  | 'failed';

export interface ReleaseMemberStatus {
  service: string;
  version: string;
  previousVersion: string;
  workflowId: string;
  dependsOn: string[];
  state: ReleaseMemberState;
  /** The judge's words for this member, for people: never parsed. */
  reason?: string;
  /** Its guardian's outcome once it closed. */
  outcome?: GuardianOutcome;
}

/** Each verdict the release reached, with its evidence (also an audit record of kind `release-verdict`). */
export interface ReleaseVerdict {
  kind: 'isolated' | 'cascade' | 'systemic' | 'unresolved' | 'manual' | 'healthy';
  /** Members to roll back, in the order they are rolled back. */
  rollback: string[];
  atIndex: number;
  reason: string;
}

export interface ReleaseStatus {
  releaseId: string;
  name: string;
  mode: ReleaseRollbackMode;
  members: ReleaseMemberStatus[];
  outside: string[];
  verdicts: ReleaseVerdict[];
  /** Members whose rollback completed, in order. */
  rolledBack: string[];
}

/** One plan for a coordinated rollback: every member's own plan, in execution order, under one hash. */
export interface ReleasePlan {
  planHash: string;
  members: Array<{ service: string; plan: RollbackPlan }>;
}

/**
 * What the release orders a member guardian to do. The signal that wakes the
 * member carries nothing: the member asks its parent (by query, from an
 * activity) for its order, so a forged signal orders nothing.
 */
export type MemberOrder =
  | { kind: 'none' }
  | {
      kind: 'rollback';
      plan: RollbackPlan;
      releasePlanHash: string;
      /** Interval numbering to continue from (post-step checks and recovery read after the release's reads). */
      fromIndex: number;
      /** The release's verdict, for the member's status and audit. */
      reason: string;
    }
  | { kind: 'hold'; reason: string }
  | { kind: 'promote'; reason: string }
  /** The release escalated and nobody acted before it closed: the member closes escalated, untouched. */
  | { kind: 'close-escalated'; reason: string }
  | { kind: 'abort'; by: string; reason: string };

/** A member guardian's link to its release (absent for a deployment guarded alone). */
export interface ReleaseMembership {
  releaseWorkflowId: string;
  releaseId: string;
}

/** A rehearsal of a release (replayed health) lives apart from the live release of the same id. */
export const RELEASE_REHEARSAL_WORKFLOW_ID_PREFIX = 'ripcord-release-rehearsal/';

export function releaseWorkflowId(ref: {
  environment: string;
  name: string;
  releaseId: string;
  replay?: unknown;
}): string {
  const prefix = ref.replay !== undefined ? RELEASE_REHEARSAL_WORKFLOW_ID_PREFIX : RELEASE_WORKFLOW_ID_PREFIX;
  return `${prefix}${ref.environment}/${ref.name}/${ref.releaseId}`;
}

export function isReleaseWorkflowId(id: string): boolean {
  return id.startsWith(RELEASE_WORKFLOW_ID_PREFIX) || id.startsWith(RELEASE_REHEARSAL_WORKFLOW_ID_PREFIX);
}

export interface ReleaseResult {
  outcome: GuardianOutcome;
  reason: string;
  /** Members rolled back, in the order rolled back. */
  rolledBack: string[];
  /** Each member guardian's outcome ('failed': its workflow failed; 'unknown': it had not closed). */
  members: Record<string, GuardianOutcome | 'failed' | 'unknown'>;
  verdicts: ReleaseVerdict[];
  /** The last release plan's hash, when there was one. */
  planHash?: string;
  auditHead?: AuditHead;
}
