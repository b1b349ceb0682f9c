import type { NotificationContent } from './content';

/**
 * A Slack incoming-webhook message (Mattermost and Rocket.Chat accept the same
 * shape): mrkdwn `text` with the title in bold, the commands in code blocks
 * and the Web UI link. `channel` is sent when the policy names one (legacy
 * webhooks and Mattermost honour it; app webhooks post to their own channel).
 */
export interface SlackMessage {
  text: string;
  channel?: string;
  unfurl_links: false;
}

const EMOJI: Record<NotificationContent['severity'], string> = {
  critical: ':rotating_light:',
  error: ':raised_hand:',
  warning: ':warning:',
  info: ':white_check_mark:',
};

export function slackMessage(content: NotificationContent, channel?: string): SlackMessage {
  const d = content.deployment;
  const lines = [`${EMOJI[content.severity]} *${escape(content.title)}*`];
  if (content.message) lines.push(escape(content.message));
  if (content.approveCommand) {
    lines.push(`Approve plan \`${content.planHash ?? '?'}\`:`, codeBlock(content.approveCommand));
    if (content.rejectCommand) lines.push('Reject:', codeBlock(content.rejectCommand));
  } else if (content.planHash) {
    lines.push(`Plan: \`${content.planHash}\``);
  }
  if (content.escalationCommands) {
    lines.push('A person decides now:', codeBlock(content.escalationCommands.join('\n')));
  }
  if (content.outcome) lines.push(`Outcome: *${content.outcome}*`);
  lines.push(
    `Deployment \`${escape(d.deploymentId)}\`: ${escape(d.service)} ${escape(d.previousVersion)} → ` +
      `${escape(d.version)} in ${escape(d.environment)} · <${content.webUiUrl}|Open the guardian in the Temporal Web UI>`,
  );
  return { text: lines.join('\n'), ...(channel ? { channel } : {}), unfurl_links: false };
}

/** Slack's three control characters; everything else is literal. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function codeBlock(text: string): string {
  return `\`\`\`${escape(text)}\`\`\``;
}
