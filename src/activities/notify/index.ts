import { activityLog } from '../activity-context';
import type { NotifyInput } from '../../model/activity-contract';
import type { Notifier } from './notifier';

export type { Notifier, OutboundNotification } from './notifier';
export { LogNotifier, MemoryNotifier } from './log-notifier';
export { HttpNotifier, type HttpNotifierOptions, type NotificationDeliveryReport } from './http-notifier';
export { notificationContent, type NotificationContent } from './content';
export { DEFAULT_DELIVERY, DeliveryError, type DeliveryPolicy } from './delivery';
export { EVENT_HEADER, type WebhookNotification } from './webhook';
export { PAGERDUTY_EVENTS_URL, type PagerDutyEvent } from './pagerduty';
export { type SlackMessage } from './slack';

/**
 * Tells every receiver subscribed to the event. Best effort by design: a
 * receiver that is down is logged and skipped, and the activity never fails,
 * so a dead chat server can never hold up a rollback.
 */
export function notify(notifier: Notifier) {
  return async (input: NotifyInput): Promise<void> => {
    let receivers: NotifyInput['notifications'];
    try {
      receivers = (input.notifications ?? []).filter((n) => n.on.includes(input.event));
    } catch {
      activityLog().warn('notification skipped: the receivers could not be read', { event: input.event });
      return;
    }
    await Promise.all(
      receivers.map(async (receiver) => {
        try {
          await notifier.send({
            receiver,
            event: input.event,
            workflowId: input.workflowId,
            deployment: input.deployment,
            message: input.message,
            ...(input.outcome !== undefined ? { outcome: input.outcome } : {}),
            ...(input.planHash !== undefined ? { planHash: input.planHash } : {}),
            ...(input.approval !== undefined ? { approval: input.approval } : {}),
          });
        } catch (error) {
          activityLog().warn(`notification to ${receiver.name} failed; carrying on`, {
            receiver: receiver.name,
            event: input.event,
            error: safeMessage(error),
          });
        }
      }),
    );
  };
}

// An HTTP client's message can echo a URL with a key in it: keep the words, drop the URLs.
function safeMessage(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>').slice(0, 200);
}
