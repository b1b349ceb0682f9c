import { webUiLink } from '../../client/guardians';
import { approveCommand, escalationCommands } from '../../model/operator-commands';
import type { DeploymentInfo, GuardianOutcome } from '../../model/guardian';
import type { NotificationEventName } from '../../model/activity-contract';
import type { OutboundNotification } from './notifier';

/**
 * What every receiver is told, whatever its format: a title a person can act
 * on, the guardian's own words, the Web UI link, and the essentials of the
 * event (the plan, the exact approve command, the outcome). Slack, webhook and
 * PagerDuty only render this.
 */
export interface NotificationContent {
  event: NotificationEventName;
  /** One line: what happened to which service, e.g. "Approval needed: rollback of checkout 2.0.0 in production". */
  title: string;
  /** The guardian's message, without the command it may end with (that is `approveCommand`). */
  message: string;
  severity: 'critical' | 'error' | 'warning' | 'info';
  /** True for the events that end an incident (PagerDuty resolves on them). */
  resolves: boolean;
  workflowId: string;
  deployment: DeploymentInfo;
  webUiUrl: string;
  at: string;
  outcome?: GuardianOutcome;
  planHash?: string;
  /** approval-requested: the exact command that approves this plan, ready to paste. */
  approveCommand?: string;
  /** approval-requested: the same command with `reject`. */
  rejectCommand?: string;
  /** escalated: what a person can do now. */
  escalationCommands?: string[];
}

export interface ContentContext {
  /** Base URL of the Temporal Web UI. */
  webUi: string;
  namespace: string;
  now: Date;
}

const TITLES: Record<NotificationEventName, (d: DeploymentInfo) => string> = {
  'regression-detected': (d) =>
    `Regression detected in ${d.service} ${d.version} (${d.environment}); no action taken`,
  'rollback-decided': (d) => `Rolling back ${d.service} ${d.version} in ${d.environment}`,
  'approval-requested': (d) => `Approval needed: rollback of ${d.service} ${d.version} in ${d.environment}`,
  'rollback-started': (d) =>
    `Rollback started: ${d.service} ${d.version} → ${d.previousVersion} in ${d.environment}`,
  'rollback-completed': (d) =>
    `Rolled back: ${d.service} is on ${d.previousVersion} again in ${d.environment}`,
  'rollback-failed': (d) =>
    `Rollback FAILED: ${d.service} ${d.version} in ${d.environment}; check production`,
  escalated: (d) => `Escalated to a person: ${d.service} ${d.version} in ${d.environment}`,
  promoted: (d) => `Promoted: ${d.service} ${d.version} in ${d.environment}`,
};

const SEVERITY: Record<NotificationEventName, NotificationContent['severity']> = {
  'regression-detected': 'warning',
  'rollback-decided': 'warning',
  'approval-requested': 'error',
  'rollback-started': 'warning',
  'rollback-completed': 'info',
  'rollback-failed': 'critical',
  escalated: 'critical',
  promoted: 'info',
};

/** The outcome an event implies when the guardian did not pass one. */
const IMPLIED_OUTCOME: Partial<Record<NotificationEventName, GuardianOutcome>> = {
  'rollback-completed': 'rolled-back',
  promoted: 'promoted',
};

export function notificationContent(n: OutboundNotification, context: ContentContext): NotificationContent {
  const d = n.deployment;
  const message = n.message.trim();
  const planHash = n.approval?.planHash ?? n.planHash;
  const outcome = n.outcome ?? IMPLIED_OUTCOME[n.event];
  const at = { ...d, namespace: context.namespace };
  const judge = (verb: 'approve' | 'reject'): string | undefined =>
    n.approval ? approveCommand(at, n.approval, verb) : undefined;
  const approve = judge('approve');
  return {
    event: n.event,
    title: TITLES[n.event](d),
    message,
    severity: SEVERITY[n.event],
    resolves: n.event === 'rollback-completed' || n.event === 'promoted',
    workflowId: n.workflowId,
    deployment: d,
    webUiUrl: webUiLink(context.webUi, context.namespace, n.workflowId),
    at: context.now.toISOString(),
    ...(outcome ? { outcome } : {}),
    ...(planHash ? { planHash } : {}),
    ...(approve ? { approveCommand: approve, rejectCommand: judge('reject')! } : {}),
    ...(n.event === 'escalated' ? { escalationCommands: escalationCommands(at) } : {}),
  };
}
