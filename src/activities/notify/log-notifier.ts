import { activityLog } from '../activity-context';
import type { Notifier, OutboundNotification } from './notifier';

/**
 * Writes each notification to the activity log instead of sending it: the
 * default until real receivers exist, and what a dry run wants. Logs the
 * receiver's name and type only, never its URL or secret reference.
 */
export class LogNotifier implements Notifier {
  async send(notification: OutboundNotification): Promise<void> {
    activityLog().info(`notification (${notification.event}) for ${notification.receiver.name}`, {
      receiver: notification.receiver.name,
      receiverType: notification.receiver.type,
      event: notification.event,
      workflowId: notification.workflowId,
      message: notification.message,
      ...(notification.outcome !== undefined ? { outcome: notification.outcome } : {}),
    });
  }
}

/** Keeps what it was asked to send (workflow tests). */
export class MemoryNotifier implements Notifier {
  readonly sent: OutboundNotification[] = [];

  async send(notification: OutboundNotification): Promise<void> {
    this.sent.push(notification);
  }
}
