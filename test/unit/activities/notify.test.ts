import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { LogNotifier, MemoryNotifier, notify, type Notifier } from '../../../src/activities/notify';
import type { NotifyInput } from '../../../src/model/activity-contract';
import { deploymentFor, examplePolicy, quietActivityEnv } from './helpers';

/** Keeps every log line so the test can read what was logged. */
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

async function input(event: NotifyInput['event']): Promise<NotifyInput> {
  // canary.yaml: payments-oncall (slack, default events) and pager (pagerduty: rollback-failed, escalated).
  const { policy } = await examplePolicy('canary.yaml');
  return {
    event,
    workflowId: 'ripcord/production/checkout/d-1234',
    deployment: deploymentFor(policy),
    notifications: policy.notifications,
    message: 'rollback of checkout v2.4.0 failed at step drain-canary',
  };
}

describe('notify', () => {
  test.each([
    ['rollback-failed', ['payments-oncall', 'pager']],
    ['escalated', ['payments-oncall', 'pager']],
    ['rollback-decided', ['payments-oncall']],
    ['promoted', []],
  ] as const)('%s goes to the receivers subscribed to it: %j', async (event, receivers) => {
    const notifier = new MemoryNotifier();
    await quietActivityEnv().run(notify(notifier), await input(event));
    expect(notifier.sent.map((n) => n.receiver.name)).toEqual(receivers);
  });

  test('a receiver that fails is logged without URLs and skipped; the activity never throws', async () => {
    const logger = new CapturingLogger();
    const delivered: string[] = [];
    const flaky: Notifier = {
      async send(n) {
        if (n.receiver.name === 'payments-oncall') {
          throw new Error('POST https://hooks.slack.com/services/T000/B000/XXXXSECRET failed: ECONNREFUSED');
        }
        delivered.push(n.receiver.name);
      },
    };
    await expect(
      quietActivityEnv(logger).run(notify(flaky), await input('rollback-failed')),
    ).resolves.toBeUndefined();
    expect(delivered).toEqual(['pager']);
    const warning = logger.lines.find((l) => l.level === 'WARN');
    expect(warning?.message).toBe('notification to payments-oncall failed; carrying on');
    expect(JSON.stringify(logger.lines)).not.toContain('XXXXSECRET');
    expect(warning?.meta?.error).toBe('Error: POST <url> failed: ECONNREFUSED');
  });

  test('malformed receivers are skipped, not thrown', async () => {
    const bad = {
      ...(await input('escalated')),
      notifications: [{ name: 'x' }] as unknown as NotifyInput['notifications'],
    };
    await expect(quietActivityEnv().run(notify(new MemoryNotifier()), bad)).resolves.toBeUndefined();
  });

  test('the default notifier logs the event and receiver at WARN, never secret references', async () => {
    const logger = new CapturingLogger();
    await quietActivityEnv(logger).run(notify(new LogNotifier()), await input('escalated'));
    // WARN: the worker's default --log-level; a notification logged below it is never seen.
    const warnings = logger.lines.filter((l) => l.level === 'WARN');
    expect(warnings.map((l) => l.message.split(':')[0])).toEqual([
      'notification (escalated) for payments-oncall',
      'notification (escalated) for pager',
    ]);
    expect(warnings[0]!.message).toContain(
      'npx ripcord abort d-1234 --service checkout --env production --reason "<why>"',
    );
    expect(JSON.stringify(logger.lines)).not.toContain('${secret:');
  });

  test('an approval request in the log says who may approve, until when, the full plan and the exact command', async () => {
    const logger = new CapturingLogger();
    const plan = `sha256:${'ab'.repeat(32)}`;
    const asked: NotifyInput = {
      ...(await input('approval-requested')),
      approval: { planHash: plan, roles: ['sre'], until: '2026-01-01T12:30:00.000Z' },
    };
    await quietActivityEnv(logger).run(notify(new LogNotifier()), asked);
    const line = logger.lines.find((l) =>
      l.message.startsWith('notification (approval-requested) for payments-oncall'),
    );
    expect(line?.level).toBe('WARN');
    expect(line?.message).toContain('approvers: sre until 2026-01-01T12:30:00.000Z');
    expect(line?.message).toContain(`plan ${plan}`);
    expect(line?.message).toContain(
      `approve: npx ripcord approve d-1234 --service checkout --env production --plan ${plan} --role sre`,
    );
  });
});
