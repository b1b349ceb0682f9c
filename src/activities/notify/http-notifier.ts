import { OutboundUrl } from '../../policy/schema/common';
import { resolveSecret, type SecretProvider } from '../../security/secrets';
import { activityLog, currentContext } from '../activity-context';
import { notificationContent, type NotificationContent } from './content';
import { DEFAULT_DELIVERY, deliver, type DeliveryPolicy, type DeliveryRequest } from './delivery';
import type { Notifier, OutboundNotification } from './notifier';
import { PAGERDUTY_EVENTS_URL, pagerDutyEvent } from './pagerduty';
import { slackMessage } from './slack';
import { signedHeaders, webhookNotification } from './webhook';

export interface NotificationDeliveryReport {
  receiverType: OutboundNotification['receiver']['type'];
  event: OutboundNotification['event'];
  delivered: boolean;
  attempts: number;
}

export interface HttpNotifierOptions {
  /** Base URL of the Temporal Web UI; every message links the guardian's page there. */
  webUi: string;
  /** The namespace for the link when no activity context says it; default "default". */
  namespace?: string;
  /** Where secret references are looked up; default the worker's environment. */
  secrets?: SecretProvider;
  /** PagerDuty Events API v2 endpoint (tests point it at a local receiver). */
  pagerDutyEventsUrl?: string;
  delivery?: Partial<DeliveryPolicy>;
  now?: () => Date;
  /** Told after every delivery, delivered or not (metrics). */
  onDelivery?: (report: NotificationDeliveryReport) => void;
}

/**
 * Sends notifications to the receivers the policy names: Slack-compatible
 * incoming webhooks, signed generic webhooks and PagerDuty. Secret references
 * are resolved at send time and never leave this class: errors name the
 * receiver, never its URL or key. A failed delivery throws (after its short
 * retries); the notify activity logs it and carries on.
 */
export class HttpNotifier implements Notifier {
  private readonly delivery: DeliveryPolicy;
  private readonly now: () => Date;

  constructor(private readonly options: HttpNotifierOptions) {
    this.delivery = { ...DEFAULT_DELIVERY, ...options.delivery };
    this.now = options.now ?? (() => new Date());
  }

  async send(notification: OutboundNotification): Promise<void> {
    const content = notificationContent(notification, {
      webUi: this.options.webUi,
      namespace: currentContext()?.info.workflowNamespace ?? this.options.namespace ?? 'default',
      now: this.now(),
    });
    const { receiver, event } = notification;
    let attempts = 0;
    try {
      const request = this.request(notification.receiver, content);
      const signal = currentContext()?.cancellationSignal;
      const delivered = await deliver(request, this.delivery, signal);
      attempts = delivered.attempts;
      activityLog().info(`notification (${event}) delivered to ${receiver.name}`, {
        receiver: receiver.name,
        receiverType: receiver.type,
        event,
        attempts,
      });
    } catch (error) {
      attempts = (error as { attempts?: number }).attempts ?? attempts;
      this.options.onDelivery?.({ receiverType: receiver.type, event, delivered: false, attempts });
      throw error;
    }
    this.options.onDelivery?.({ receiverType: receiver.type, event, delivered: true, attempts });
  }

  private request(receiver: OutboundNotification['receiver'], content: NotificationContent): DeliveryRequest {
    const what = `${receiver.type} receiver ${receiver.name}`;
    const secret = (reference: string) => resolveSecret(reference, this.options.secrets);
    switch (receiver.type) {
      case 'slack': {
        // The whole URL is the credential: it is checked, used and scrubbed, never shown.
        const raw = secret(receiver.webhookUrlSecret);
        const url = checkedUrl(raw, `${what}: the webhook URL in its secret`);
        const body = JSON.stringify(slackMessage(content, receiver.channel));
        return {
          url,
          headers: { 'Content-Type': 'application/json', 'User-Agent': 'ripcord' },
          body,
          what,
          secrets: [raw],
        };
      }
      case 'webhook': {
        const url = checkedUrl(receiver.url, `${what}: its url`);
        const key = secret(receiver.hmacSecret);
        const payload = webhookNotification(content);
        const body = JSON.stringify(payload);
        return {
          url,
          headers: signedHeaders(body, payload, key, this.now().getTime()),
          body,
          what,
          secrets: [key, receiver.url],
        };
      }
      case 'pagerduty': {
        const key = secret(receiver.routingKeySecret);
        const endpoint = this.options.pagerDutyEventsUrl ?? PAGERDUTY_EVENTS_URL;
        const url = checkedUrl(endpoint, `${what}: the PagerDuty events URL`);
        return {
          url,
          headers: { 'Content-Type': 'application/json', 'User-Agent': 'ripcord' },
          body: JSON.stringify(pagerDutyEvent(content, key)),
          what,
          secrets: [key],
        };
      }
    }
  }
}

/** https, or http on this machine, and no credentials in the URL; the message never quotes the URL. */
function checkedUrl(raw: string, what: string): URL {
  const parsed = OutboundUrl.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${what} ${parsed.error.issues[0]?.message ?? 'is not allowed'}`);
  }
  return new URL(parsed.data);
}
