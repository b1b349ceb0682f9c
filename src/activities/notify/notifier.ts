import type { Notification } from '../../policy';
import type { DeploymentInfo, GuardianOutcome } from '../../model/guardian';
import type { ApprovalRequest, NotificationEventName } from '../../model/activity-contract';

/** One message to one receiver of the policy. */
export interface OutboundNotification {
  /** The receiver as the policy names it; its secret fields are still references. */
  receiver: Notification;
  event: NotificationEventName;
  workflowId: string;
  deployment: DeploymentInfo;
  /** For people: shown, never parsed. */
  message: string;
  outcome?: GuardianOutcome;
  /** The plan the event is about, once the guardian has one. */
  planHash?: string;
  /** approval-requested only: what the approve command needs. */
  approval?: ApprovalRequest;
}

/**
 * Delivers notifications (HttpNotifier: Slack, signed webhooks, PagerDuty; it
 * resolves secret references only when it sends). A notifier may throw; the
 * notify activity catches it.
 */
export interface Notifier {
  send(notification: OutboundNotification): Promise<void>;
}
