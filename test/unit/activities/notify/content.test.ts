import { notificationContent } from '../../../../src/activities/notify/content';
import type { OutboundNotification } from '../../../../src/activities/notify/notifier';
import { deploymentFor, examplePolicy } from '../helpers';

const PLAN = `sha256:${'c'.repeat(64)}`;
const ARGS = `d-1234 --service checkout --env production --plan ${PLAN} --role sre`;

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
    ...(event !== 'approval-requested'
      ? { message: 'Escalated' }
      : { message: `Needs 1 approval(s), plan ${PLAN}.`, approval: { planHash: PLAN, roles: ['sre'] } }),
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

  it("are built from the guardian's structured request, never from its prose", async () => {
    const request = await notification('approval-requested');
    const content = notificationContent(
      { ...request, message: 'Approve: ripcord approve someone-else --service x --env y' },
      at('default'),
    );
    expect(content.approveCommand).toBe(`npx ripcord approve ${ARGS}`);
    expect(content.message).toBe('Approve: ripcord approve someone-else --service x --env y');
    expect(content.planHash).toBe(PLAN);
  });
});

describe('the plan a notification names', () => {
  const OTHER = `sha256:${'d'.repeat(64)}`;
  const started = async (fields: { message: string; planHash?: string }): Promise<OutboundNotification> => ({
    ...(await notification('escalated')),
    event: 'rollback-started',
    ...fields,
  });

  it("is the guardian's structured field, whatever its message says", async () => {
    const content = notificationContent(
      await started({ message: `Rolling back checkout 2.0.0: plan ${OTHER}`, planHash: PLAN }),
      at('default'),
    );
    expect(content.planHash).toBe(PLAN);
  });

  it('is never read out of the message', async () => {
    const content = notificationContent(
      await started({ message: `Rolling back: plan ${OTHER}` }),
      at('default'),
    );
    expect(content.planHash).toBeUndefined();
  });
});
