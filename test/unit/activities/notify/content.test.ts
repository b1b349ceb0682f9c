import { notificationContent } from '../../../../src/activities/notify/content';
import type { OutboundNotification } from '../../../../src/activities/notify/notifier';
import { deploymentFor, examplePolicy } from '../helpers';

const PLAN = `sha256:${'c'.repeat(64)}`;
const ARGS = `d-1234 --service checkout --env production --plan ${PLAN} --role <one of sre>`;

async function notification(event: 'approval-requested' | 'escalated'): Promise<OutboundNotification> {
  const { policy } = await examplePolicy('canary.yaml');
  return {
    receiver: {
      name: 'hook',
      type: 'webhook',
      url: 'https://hooks.example.com/x',
      hmacSecret: '${secret:HOOK_HMAC}',
      on: [event],
    },
    event,
    workflowId: 'ripcord/production/checkout/d-1234',
    deployment: deploymentFor(policy),
    message:
      event === 'approval-requested' ? `Needs 1 approval(s). Approve: ripcord approve ${ARGS}` : 'Escalated',
  };
}

const at = (namespace: string) => ({ webUi: 'http://127.0.0.1:8233', namespace, now: new Date(0) });

describe('notification commands', () => {
  it('name a namespace other than the default, so a pasted command finds the guardian', async () => {
    const approval = notificationContent(await notification('approval-requested'), at('payments-prod'));
    expect(approval.approveCommand).toBe(`TEMPORAL_NAMESPACE=payments-prod npx ripcord approve ${ARGS}`);
    expect(approval.rejectCommand).toBe(`TEMPORAL_NAMESPACE=payments-prod npx ripcord reject ${ARGS}`);
    expect(approval.webUiUrl).toContain('/namespaces/payments-prod/');

    const escalation = notificationContent(await notification('escalated'), at('payments-prod'));
    expect(escalation.escalationCommands).toEqual([
      'TEMPORAL_NAMESPACE=payments-prod npx ripcord status d-1234 --service checkout --env production',
      'TEMPORAL_NAMESPACE=payments-prod npx ripcord rollback d-1234 --service checkout --env production --reason "<why>"',
      'TEMPORAL_NAMESPACE=payments-prod npx ripcord abort d-1234 --service checkout --env production --reason "<why>"',
    ]);
  });

  it('stay as they are in the default namespace', async () => {
    const approval = notificationContent(await notification('approval-requested'), at('default'));
    expect(approval.approveCommand).toBe(`npx ripcord approve ${ARGS}`);
    expect(approval.rejectCommand).toBe(`npx ripcord reject ${ARGS}`);
  });

  it('quote a namespace a shell would split', async () => {
    const approval = notificationContent(await notification('approval-requested'), at("odd name's"));
    expect(approval.approveCommand).toBe(`TEMPORAL_NAMESPACE='odd name'\\''s' npx ripcord approve ${ARGS}`);
  });
});
