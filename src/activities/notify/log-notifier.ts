import { activityLog, currentContext } from '../activity-context';
import { notificationContent } from './content';
import type { Notifier, OutboundNotification } from './notifier';

/** The embedded dev server's Web UI (the links' default, as for real receivers). */
const LOCAL_WEB_UI = 'http://127.0.0.1:8233';

export interface LogNotifierOptions {
  /** Base URL of the Temporal Web UI for the guardian link; default the local dev server's. */
  webUi?: string;
  /** The namespace when no activity context says it; default "default". */
  namespace?: string;
}

/**
 * Writes each notification to the worker's log instead of sending it: the
 * default until real receivers exist, and what a dry run wants. Logged at
 * WARN, the worker's default level, because a person must see it: an approval
 * request says who may approve, until when, the full plan hash and the exact
 * command. Logs the receiver's name and type only, never its URL or secret
 * reference.
 */
export class LogNotifier implements Notifier {
  constructor(private readonly options: LogNotifierOptions = {}) {}

  async send(notification: OutboundNotification): Promise<void> {
    const content = notificationContent(notification, {
      webUi: this.options.webUi ?? LOCAL_WEB_UI,
      namespace: currentContext()?.info.workflowNamespace ?? this.options.namespace ?? 'default',
      now: new Date(),
    });
    activityLog().warn(
      `notification (${notification.event}) for ${notification.receiver.name}: ${logLine(notification, content)}`,
      {
        receiver: notification.receiver.name,
        receiverType: notification.receiver.type,
        event: notification.event,
        workflowId: notification.workflowId,
        message: notification.message,
        webUi: content.webUiUrl,
        ...(notification.outcome !== undefined ? { outcome: notification.outcome } : {}),
        ...(content.planHash !== undefined ? { planHash: content.planHash } : {}),
        ...(notification.approval !== undefined
          ? {
              roles: notification.approval.roles,
              ...(notification.approval.until ? { until: notification.approval.until } : {}),
            }
          : {}),
        ...(content.approveCommand !== undefined ? { approveCommand: content.approveCommand } : {}),
        ...(content.escalationCommands !== undefined
          ? { escalationCommands: content.escalationCommands }
          : {}),
      },
    );
  }
}

/** The one line a person reads in the worker's output: what happened, and how to end the wait. */
function logLine(n: OutboundNotification, content: ReturnType<typeof notificationContent>): string {
  const parts = [content.title];
  if (n.approval) {
    const until = n.approval.until ? ` until ${n.approval.until}` : '';
    parts.push(`approvers: ${n.approval.roles.join(', ')}${until}`, `plan ${n.approval.planHash}`);
  }
  if (content.approveCommand) parts.push(`approve: ${content.approveCommand}`);
  if (content.escalationCommands) parts.push(`then: ${content.escalationCommands.join(' | ')}`);
  if (!content.approveCommand && !content.escalationCommands) parts.push(content.message);
  return parts.join('; ');
}

/** Keeps what it was asked to send (workflow tests). */
export class MemoryNotifier implements Notifier {
  readonly sent: OutboundNotification[] = [];

  async send(notification: OutboundNotification): Promise<void> {
    this.sent.push(notification);
  }
}
