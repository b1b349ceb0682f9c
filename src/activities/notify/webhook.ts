import { createHash } from 'node:crypto';
import {
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
} from '../../targets/webhook/signature';
import type { NotificationContent } from './content';

/**
 * A generic webhook notification: JSON, signed like the webhook target's
 * calls (HMAC-SHA256 over "<timestamp>.<body>", X-Ripcord-Timestamp and
 * X-Ripcord-Signature), so one receiver checks both with
 * verifyWebhookSignature. The id is the same for every retry of the same
 * notification (also sent as Idempotency-Key): a receiver drops duplicates.
 */
export const EVENT_HEADER = 'X-Ripcord-Event';

export interface WebhookNotification {
  type: 'ripcord.notification';
  version: 1;
  id: string;
  event: NotificationContent['event'];
  at: string;
  severity: NotificationContent['severity'];
  title: string;
  message: string;
  workflowId: string;
  webUiUrl: string;
  deployment: NotificationContent['deployment'];
  outcome?: NotificationContent['outcome'];
  planHash?: string;
  approveCommand?: string;
  rejectCommand?: string;
  escalationCommands?: string[];
}

export function webhookNotification(content: NotificationContent): WebhookNotification {
  const { event, at, severity, title, message, workflowId, webUiUrl, deployment } = content;
  return {
    type: 'ripcord.notification',
    version: 1,
    id: notificationId(content),
    event,
    at,
    severity,
    title,
    message,
    workflowId,
    webUiUrl,
    deployment,
    ...(content.outcome ? { outcome: content.outcome } : {}),
    ...(content.planHash ? { planHash: content.planHash } : {}),
    ...(content.approveCommand ? { approveCommand: content.approveCommand } : {}),
    ...(content.rejectCommand ? { rejectCommand: content.rejectCommand } : {}),
    ...(content.escalationCommands ? { escalationCommands: content.escalationCommands } : {}),
  };
}

/** Headers of a signed webhook notification; `nowMs` is the signing time. */
export function signedHeaders(
  body: string,
  payload: WebhookNotification,
  secret: string,
  nowMs: number,
): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'ripcord',
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
    [IDEMPOTENCY_HEADER]: payload.id,
    [EVENT_HEADER]: payload.event,
  };
}

/** Same guardian, event and words: the same notification (an activity retry), whenever it is sent. */
function notificationId(content: NotificationContent): string {
  return createHash('sha256')
    .update(`${content.workflowId}|${content.event}|${content.message}|${content.planHash ?? ''}`, 'utf8')
    .digest('hex');
}
