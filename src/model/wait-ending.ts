import type { GuardianStatus } from './guardian';
import { approveCommand, escalationCommands, SIGNING_HINT } from './operator-commands';

/**
 * How a person ends the wait a guardian is in, the same in every view (`guard
 * --wait`, `ripcord status`, the Web UI's current details): who may act, the
 * plan they judge, and the exact commands. Pure: the workflow uses it too.
 */
export interface WaitEnding {
  /** What the guardian is doing, for a first line: "Waiting for approval". */
  headline: string;
  /** Who may end the wait: "sre (1 approval needed)". */
  who: string;
  /** The wait's end (ISO), when it has one. */
  until?: string;
  /** The full hash of the plan to approve (gate only). */
  planHash?: string;
  /** The exact commands, ready to paste. */
  commands: string[];
  /** How to sign them. */
  hint: string;
}

export type WaitingStatus = Pick<
  GuardianStatus,
  'phase' | 'deploymentId' | 'service' | 'environment' | 'plan' | 'approvers' | 'waiting'
>;

/** Undefined unless a person must act: at the gate with a plan, or escalated. */
export function waitEnding(status: WaitingStatus, namespace: string): WaitEnding | undefined {
  const at = {
    deploymentId: status.deploymentId,
    service: status.service,
    environment: status.environment,
    namespace,
  };
  const roles = status.approvers?.roles ?? [];
  const until = status.waiting?.until;
  if (status.phase === 'gate' && status.plan && status.approvers) {
    const { quorum } = status.approvers;
    return {
      headline: 'Waiting for approval',
      who: `${roles.join(' or ')} (${quorum} approval${quorum === 1 ? '' : 's'} needed)`,
      ...(until ? { until } : {}),
      planHash: status.plan.planHash,
      commands: [approveCommand(at, { planHash: status.plan.planHash, roles })],
      hint: `${SIGNING_HINT}; to refuse the plan, run it with reject instead of approve`,
    };
  }
  if (status.phase === 'escalated') {
    const [, rollback, abort] = escalationCommands(at, roles);
    return {
      headline: 'Escalated: waiting for a person',
      who: roles.length > 0 ? `${roles.join(' or ')}, or an owner of the service` : 'an owner of the service',
      ...(until ? { until } : {}),
      commands: [rollback!, abort!],
      hint: `${SIGNING_HINT}; nobody acting by the deadline closes it as escalated`,
    };
  }
  return undefined;
}
