import type { NotificationContent } from './content';

/**
 * PagerDuty Events API v2. One incident per guardian (dedup_key = workflow
 * id): the alarming events trigger or update it, rollback-completed and
 * promoted resolve it, so a rollback that worked closes its own page.
 */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export type PagerDutyEvent =
  | {
      routing_key: string;
      event_action: 'trigger';
      dedup_key: string;
      payload: {
        summary: string;
        source: string;
        severity: NotificationContent['severity'];
        component: string;
        group: string;
        class: string;
        timestamp: string;
        custom_details: Record<string, unknown>;
      };
      links: { href: string; text: string }[];
      client: 'ripcord';
      client_url: string;
    }
  | { routing_key: string; event_action: 'resolve'; dedup_key: string };

export function pagerDutyEvent(content: NotificationContent, routingKey: string): PagerDutyEvent {
  if (content.resolves) {
    return { routing_key: routingKey, event_action: 'resolve', dedup_key: content.workflowId };
  }
  const d = content.deployment;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: content.workflowId,
    payload: {
      // PagerDuty cuts summaries at 1024 characters.
      summary: content.title.slice(0, 1024),
      source: content.workflowId,
      severity: content.severity,
      component: d.service,
      group: d.environment,
      class: content.event,
      timestamp: content.at,
      custom_details: {
        message: content.message,
        deploymentId: d.deploymentId,
        version: d.version,
        previousVersion: d.previousVersion,
        ...(content.planHash ? { planHash: content.planHash } : {}),
        ...(content.approveCommand ? { approveCommand: content.approveCommand } : {}),
        ...(content.escalationCommands ? { escalationCommands: content.escalationCommands } : {}),
        ...(content.outcome ? { outcome: content.outcome } : {}),
      },
    },
    links: [{ href: content.webUiUrl, text: 'Guardian in the Temporal Web UI' }],
    client: 'ripcord',
    client_url: content.webUiUrl,
  };
}
