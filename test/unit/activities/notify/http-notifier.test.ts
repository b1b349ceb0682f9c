import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import {
  DEFAULT_DELIVERY,
  HttpNotifier,
  type HttpNotifierOptions,
  notify,
  type NotificationDeliveryReport,
  type PagerDutyEvent,
  type SlackMessage,
  type WebhookNotification,
} from '../../../../src/activities/notify';
import type { NotificationEventName, NotifyInput } from '../../../../src/model/activity-contract';
import { NOTIFICATION_EVENTS, type Notification } from '../../../../src/policy/schema/governance';
import type { SecretProvider } from '../../../../src/security/secrets';
import { verifyWebhookSignature } from '../../../../src/targets/webhook/signature';
import { deploymentFor, examplePolicy, quietActivityEnv } from '../helpers';
import { Receiver } from './receiver';

class CapturingLogger implements Logger {
  readonly lines: Array<{ level: LogLevel; message: string; meta?: LogMetadata }> = [];
  log(level: LogLevel, message: string, meta?: LogMetadata) {
    this.lines.push({ level, message, ...(meta ? { meta } : {}) });
  }
  trace = (m: string, meta?: LogMetadata) => this.log('TRACE', m, meta);
  debug = (m: string, meta?: LogMetadata) => this.log('DEBUG', m, meta);
  info = (m: string, meta?: LogMetadata) => this.log('INFO', m, meta);
  warn = (m: string, meta?: LogMetadata) => this.log('WARN', m, meta);
  error = (m: string, meta?: LogMetadata) => this.log('ERROR', m, meta);
}

const HMAC_KEY = 'whsec-notify-test-0123456789';
const PD_KEY = 'R0UT1NGKEYSECRET';
const SLACK_PATH = '/services/T000/B000/XXXXSLACKSECRET';
const PLAN = `sha256:${'c'.repeat(64)}`;
const WORKFLOW_ID = 'ripcord/production/checkout/d-1234';
const WEB_UI = 'https://temporal-ui.example.internal';
const GUARDIAN_LINK = `${WEB_UI}/namespaces/default/workflows/ripcord%2Fproduction%2Fcheckout%2Fd-1234`;
const APPROVE =
  `ripcord approve d-1234 --service checkout --env production --plan ${PLAN} ` +
  '--role <one of sre, payments-owner>';

/** What the guardian says for each event (src/workflows: guardian.ts, phases/gate.ts, phases/execute.ts). */
const MESSAGES: Record<NotificationEventName, string> = {
  'regression-detected': 'Regression detected (notify mode, no action): errors: canary 4.1% vs baseline 0.9%',
  'rollback-decided': 'Rolling back checkout v2.4.0: errors: canary 4.1% vs baseline 0.9%',
  'approval-requested':
    'Rollback of checkout v2.4.0 needs 1 approval(s) from sre, payments-owner ' +
    `(environment production is high-risk), plan ${PLAN}.`,
  'rollback-started': `Rolling back checkout v2.4.0: plan ${PLAN}`,
  'rollback-completed': 'Rolled back checkout to v2.3.9: errors back below 1%',
  'rollback-failed': 'step 0 (shift-traffic) failed for good: nginx -t refused the upstream file',
  escalated: 'Escalated: the rollback was not approved in time',
  promoted: 'the watch ended without a regression',
};

const secrets = (receiver: Receiver): SecretProvider => {
  const values: Record<string, string> = {
    SLACK_HOOK: receiver.url(SLACK_PATH),
    HOOK_HMAC: HMAC_KEY,
    PD_KEY,
  };
  return { get: (name) => values[name], describe: (name) => `the test's secret ${name}` };
};

function receiversAt(receiver: Receiver, on: NotificationEventName[] = [...NOTIFICATION_EVENTS]) {
  return [
    {
      name: 'payments-oncall',
      type: 'slack',
      webhookUrlSecret: '${secret:SLACK_HOOK}',
      channel: '#payments-deploys',
      on,
    },
    {
      name: 'deploy-bot',
      type: 'webhook',
      url: receiver.url('/hook'),
      hmacSecret: '${secret:HOOK_HMAC}',
      on,
    },
    { name: 'pager', type: 'pagerduty', routingKeySecret: '${secret:PD_KEY}', on },
  ] satisfies Notification[];
}

async function inputFor(event: NotificationEventName, notifications: Notification[]): Promise<NotifyInput> {
  const { policy } = await examplePolicy('canary.yaml');
  return {
    event,
    workflowId: WORKFLOW_ID,
    deployment: deploymentFor(policy),
    notifications,
    message: MESSAGES[event],
    ...(event === 'promoted' ? { outcome: 'promoted' as const } : {}),
    // The guardian names its plan in a field (the message says it for people).
    ...(event === 'rollback-started' ? { planHash: PLAN } : {}),
    ...(event === 'approval-requested'
      ? { approval: { planHash: PLAN, roles: ['sre', 'payments-owner'] } }
      : {}),
  };
}

function notifierFor(receiver: Receiver, options: Partial<HttpNotifierOptions> = {}): HttpNotifier {
  return new HttpNotifier({
    webUi: WEB_UI,
    secrets: secrets(receiver),
    pagerDutyEventsUrl: receiver.url('/pagerduty'),
    // Short pauses keep the test quick; the rules are the defaults'.
    delivery: { attemptTimeoutMs: 500, initialBackoffMs: 20, maxBackoffMs: 50, budgetMs: 3_000 },
    now: () => new Date('2026-01-01T12:00:00Z'),
    ...options,
  });
}

describe('HttpNotifier against a local receiver', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await Receiver.start();
  });
  afterEach(() => receiver.stop());

  test.each([...NOTIFICATION_EVENTS])(
    '%s: Slack, signed webhook and PagerDuty each get the link and the essentials',
    async (event) => {
      const logger = new CapturingLogger();
      await quietActivityEnv(logger).run(
        notify(notifierFor(receiver)),
        await inputFor(event, receiversAt(receiver)),
      );

      // Webhook: signed over the exact body with the receiver's secret, like the webhook target.
      const [hook] = receiver.on('/hook');
      expect(hook).toBeDefined();
      const timestamp = String(hook!.headers['x-ripcord-timestamp']);
      expect(
        verifyWebhookSignature(
          HMAC_KEY,
          timestamp,
          hook!.body,
          String(hook!.headers['x-ripcord-signature']),
          {
            now: () => Number(timestamp) * 1000,
          },
        ),
      ).toBe(true);
      expect(
        verifyWebhookSignature(
          'another-key',
          timestamp,
          hook!.body,
          String(hook!.headers['x-ripcord-signature']),
          {
            now: () => Number(timestamp) * 1000,
          },
        ),
      ).toBe(false);
      expect(hook!.headers['x-ripcord-event']).toBe(event);
      const payload = JSON.parse(hook!.body) as WebhookNotification;
      expect(hook!.headers['idempotency-key']).toBe(payload.id);
      expect(payload).toMatchObject({
        type: 'ripcord.notification',
        event,
        workflowId: WORKFLOW_ID,
        webUiUrl: GUARDIAN_LINK,
        deployment: {
          deploymentId: 'd-1234',
          service: 'checkout',
          environment: 'production',
          version: 'v2.4.0',
        },
      });

      const [slack] = receiver.json<SlackMessage>(SLACK_PATH);
      expect(slack?.channel).toBe('#payments-deploys');
      expect(slack?.text).toContain(`<${GUARDIAN_LINK}|Open the guardian in the Temporal Web UI>`);
      expect(slack?.text).toContain(payload.title);

      const [page] = receiver.json<PagerDutyEvent>('/pagerduty');
      expect(page?.routing_key).toBe(PD_KEY);
      expect(page?.dedup_key).toBe(WORKFLOW_ID);

      switch (event) {
        case 'approval-requested':
          expect(payload.title).toBe('Approval needed: rollback of checkout v2.4.0 in production');
          expect(payload.planHash).toBe(PLAN);
          expect(payload.approveCommand).toBe(`npx ${APPROVE}`);
          expect(payload.rejectCommand).toBe(`npx ${APPROVE.replace('approve', 'reject')}`);
          expect(payload.message).toBe(MESSAGES['approval-requested']);
          // Slack escapes < and > in text; the command is in a code block.
          expect(slack?.text).toContain(
            `\`\`\`npx ${APPROVE.replace('<', '&lt;').replace('>', '&gt;')}\`\`\``,
          );
          expect(page).toMatchObject({ event_action: 'trigger', payload: { severity: 'error' } });
          break;
        case 'rollback-started':
          expect(payload.title).toBe('Rollback started: checkout v2.4.0 → v2.3.9 in production');
          expect(payload.planHash).toBe(PLAN);
          expect(slack?.text).toContain(`Plan: \`${PLAN}\``);
          break;
        case 'escalated':
          expect(payload.message).toBe('Escalated: the rollback was not approved in time');
          expect(payload.escalationCommands).toEqual([
            'npx ripcord status d-1234 --service checkout --env production',
            'npx ripcord rollback d-1234 --service checkout --env production --reason "<why>"',
            'npx ripcord abort d-1234 --service checkout --env production --reason "<why>"',
          ]);
          expect(page).toMatchObject({
            event_action: 'trigger',
            payload: { severity: 'critical', summary: payload.title, class: 'escalated' },
            links: [{ href: GUARDIAN_LINK }],
          });
          break;
        case 'rollback-failed':
          expect(payload.title).toBe('Rollback FAILED: checkout v2.4.0 in production; check production');
          expect(payload.message).toBe(MESSAGES['rollback-failed']);
          expect(page).toMatchObject({ event_action: 'trigger', payload: { severity: 'critical' } });
          break;
        case 'rollback-completed':
          expect(payload.outcome).toBe('rolled-back');
          expect(slack?.text).toContain('Outcome: *rolled-back*');
          // The page this guardian opened resolves itself.
          expect(page).toEqual({ routing_key: PD_KEY, event_action: 'resolve', dedup_key: WORKFLOW_ID });
          break;
        case 'promoted':
          expect(payload.outcome).toBe('promoted');
          expect(page?.event_action).toBe('resolve');
          break;
        default:
          expect(payload.message).toBe(MESSAGES[event]);
          expect(page?.event_action).toBe('trigger');
      }
      expect(logger.lines.filter((l) => l.level === 'WARN')).toEqual([]);
      expect(JSON.stringify(logger.lines)).not.toMatch(/XXXXSLACKSECRET|R0UT1NGKEYSECRET|whsec-notify/);
    },
  );

  test('only the events a receiver subscribed to reach it', async () => {
    const notifications = receiversAt(receiver, ['rollback-failed', 'escalated']);
    await quietActivityEnv().run(notify(notifierFor(receiver)), await inputFor('promoted', notifications));
    await quietActivityEnv().run(notify(notifierFor(receiver)), await inputFor('escalated', notifications));
    expect(receiver.json<WebhookNotification>('/hook').map((p) => p.event)).toEqual(['escalated']);
  });

  test('a receiver in trouble (503) is retried with backoff until it takes the notification', async () => {
    await receiver.stop();
    receiver = await Receiver.start((n) => (n < 3 ? 503 : 200));
    const reports: NotificationDeliveryReport[] = [];
    const [hook] = receiversAt(receiver).filter((r) => r.type === 'webhook');
    await quietActivityEnv().run(
      notify(notifierFor(receiver, { onDelivery: (r) => reports.push(r) })),
      await inputFor('escalated', [hook!]),
    );
    const deliveries = receiver.on('/hook');
    expect(deliveries).toHaveLength(3);
    // The same notification each time: one id, so the receiver can drop a duplicate.
    expect(new Set(deliveries.map((d) => d.headers['idempotency-key'])).size).toBe(1);
    expect(reports).toEqual([{ receiverType: 'webhook', event: 'escalated', delivered: true, attempts: 3 }]);
  });

  test('a refusal (HTTP 404) is not retried, and the warning names neither URL nor secret', async () => {
    await receiver.stop();
    receiver = await Receiver.start(() => 404);
    const logger = new CapturingLogger();
    const [slack] = receiversAt(receiver).filter((r) => r.type === 'slack');
    await expect(
      quietActivityEnv(logger).run(notify(notifierFor(receiver)), await inputFor('escalated', [slack!])),
    ).resolves.toBeUndefined();
    expect(receiver.on(SLACK_PATH)).toHaveLength(1);
    const warning = logger.lines.find((l) => l.level === 'WARN');
    expect(warning?.meta?.error).toBe(
      'DeliveryError: slack receiver payments-oncall: answered HTTP 404 (1 attempt)',
    );
    expect(JSON.stringify(logger.lines)).not.toContain('XXXXSLACKSECRET');
    expect(JSON.stringify(logger.lines)).not.toContain('127.0.0.1');
  });

  test('a receiver that never answers: notify returns after its bounded attempts, the others still get theirs', async () => {
    const dead = await Receiver.start(() => 'hang');
    try {
      const logger = new CapturingLogger();
      const notifications = receiversAt(receiver).map((r) =>
        r.type === 'webhook' ? { ...r, url: dead.url('/hook') } : r,
      );
      await expect(
        quietActivityEnv(logger).run(
          notify(notifierFor(receiver)),
          await inputFor('rollback-failed', notifications),
        ),
      ).resolves.toBeUndefined();
      // Three attempts (the default count), then it gave up; Slack and PagerDuty were not held up.
      expect(dead.on('/hook')).toHaveLength(DEFAULT_DELIVERY.maxAttempts);
      expect(receiver.on(SLACK_PATH)).toHaveLength(1);
      expect(receiver.on('/pagerduty')).toHaveLength(1);
      const warning = logger.lines.find((l) => l.level === 'WARN');
      expect(warning?.message).toBe('notification to deploy-bot failed; carrying on');
      expect(warning?.meta?.error).toBe(
        'DeliveryError: webhook receiver deploy-bot: no answer within 0.5 s (3 attempts)',
      );
    } finally {
      await dead.stop();
    }
  });

  test('a missing secret is named, nothing is sent, and the activity carries on', async () => {
    const logger = new CapturingLogger();
    const [, , pager] = receiversAt(receiver);
    const noSecrets: SecretProvider = { get: () => undefined, describe: (n) => `environment variable ${n}` };
    await quietActivityEnv(logger).run(
      notify(notifierFor(receiver, { secrets: noSecrets })),
      await inputFor('escalated', [pager!]),
    );
    expect(receiver.received).toEqual([]);
    expect(logger.lines.find((l) => l.level === 'WARN')?.meta?.error).toBe(
      'SecretError: secret "PD_KEY" is not set (environment variable PD_KEY)',
    );
  });

  test('a Slack URL that would leave the machine over plain http is refused without showing it', async () => {
    const logger = new CapturingLogger();
    const [slack] = receiversAt(receiver);
    const plain: SecretProvider = {
      get: () => 'http://hooks.example.com/services/XXXXSLACKSECRET',
      describe: (n) => n,
    };
    await quietActivityEnv(logger).run(
      notify(notifierFor(receiver, { secrets: plain })),
      await inputFor('escalated', [slack!]),
    );
    const error = String(logger.lines.find((l) => l.level === 'WARN')?.meta?.error);
    expect(error).toContain('slack receiver payments-oncall: the webhook URL in its secret must use https');
    expect(error).not.toContain('hooks.example.com');
  });
});

test('the default delivery budget ends well inside the notify activity timeout (20 s), so Temporal never retries it', () => {
  // src/workflows/activity-proxies.ts: notifications start-to-close 20 s. Every attempt is cut at the budget.
  expect(DEFAULT_DELIVERY.budgetMs).toBeLessThan(20_000);
});
