import { defineQuery } from '@temporalio/workflow';

/**
 * The guardian's contract with the outside world, defined once and imported by
 * both the workflow and the client (Temporal samples' pattern). Workflow-safe: no I/O.
 */

export const GUARDIAN_WORKFLOW_TYPE = 'guardian';

export interface DeploymentRef {
  deploymentId: string;
  service: string;
  environment: string;
  version: string;
}

export interface GuardianInput extends DeploymentRef {
  /** How long to watch before promoting, in seconds. */
  watchSeconds: number;
  /** How often to evaluate health, in seconds. */
  intervalSeconds: number;
}

export type GuardianPhase = 'admit' | 'watch' | 'close';
export type GuardianOutcome = 'promoted' | 'rolled-back' | 'aborted' | 'escalated' | 'expired';

export interface GuardianStatus {
  phase: GuardianPhase;
  evaluations: number;
  outcome?: GuardianOutcome;
}

export interface GuardianResult {
  outcome: GuardianOutcome;
  evaluations: number;
  admittedAt: string;
}

export const statusQuery = defineQuery<GuardianStatus>('status');

/** One guardian per deployment: the id makes a second start of the same deployment a no-op, not a duplicate. */
export function guardianWorkflowId(ref: DeploymentRef): string {
  return `ripcord/${ref.environment}/${ref.service}/${ref.deploymentId}`;
}
