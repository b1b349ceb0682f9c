import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { approveUpdate, rollbackNowUpdate } from '../../src/workflows/messages';
import { bundleWorkflows, createTimeSkippingEnv } from '../harness/temporal';
import { FakeWorld, regression } from './support/fake-activities';
import { advanceUntil, canaryPolicy, guardianInput, startGuardian, withWorld } from './support/guardian-env';
import { resultAndRecord } from './support/histories';

/**
 * Every wait says how to end it (issue 17): a guardian waiting for a person
 * publishes, in its status and in the Web UI's current details, who may act,
 * until when, the full plan hash and the exact command to paste.
 */
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

jest.setTimeout(60_000);
jest.retryTimes(2, { logErrorsBeforeRetry: true });

beforeAll(async () => {
  bundle = await bundleWorkflows();
});
beforeEach(async () => {
  env = await createTimeSkippingEnv();
});
afterEach(async () => {
  await env?.teardown();
});

type Handle = Awaited<ReturnType<typeof startGuardian>>;

async function currentDetails(handle: Handle): Promise<string> {
  const metadata = await handle.query(workflowMetadataQuery);
  return metadata.currentDetails ?? '';
}

test('at the gate: "Waiting for approval" first, who may approve until when, the full plan and the approve command', async () => {
  const world = new FakeWorld({ health: regression(5), risk: 'high' });
  const policy = canaryPolicy((raw) => {
    raw.risk = { highRiskWhen: [{ when: 'always' }] };
    raw.approval = { roles: ['sre'], quorum: 1, timeoutSeconds: 1800, onTimeout: 'escalate' };
    raw.trustedKeys = { ...(raw.trustedKeys as object), approvals: ['oncall-2026'] };
  });
  const input = guardianInput(policy);
  const { deploymentId, service, environment } = input.deployment;
  await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, input);
    const status = await advanceUntil(env, handle, (s) => s.phase === 'gate');
    const planHash = status.plan!.planHash;
    expect(planHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(status.approvers).toEqual({ roles: ['sre'], quorum: 1 });
    const until = status.waiting!.until!;

    const details = await currentDetails(handle);
    const lines = details.split('\n');
    expect(lines[0]).toBe(`**Waiting for approval** — ${service} 2.0.0 in ${environment}`);
    expect(lines[1]).toBe(`who may act: sre (1 approval needed), until ${until}`);
    expect(lines).toContain(`plan ${planHash}`);
    // The time-skipping server's namespace is "default": the command names none.
    expect(lines).toContain(
      `npx ripcord approve ${deploymentId} --service ${service} --env ${environment} --plan ${planHash} --role sre`,
    );
    // Flags as Markdown code: the renderer would turn "--" into a dash and drop "<private JWK>".
    expect(details).toContain('`--key <private JWK>` `--as <your name>`');

    // The notification carries the deadline too, for the log line and the receivers.
    const asked = world.notifications.find((n) => n.event === 'approval-requested');
    expect(asked?.approval).toEqual({ planHash, roles: ['sre'], until });

    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'sam', role: 'sre', planHash }] });
    expect((await resultAndRecord(handle)).outcome).toBe('rolled-back');
    const closed = await currentDetails(handle);
    expect(closed.split('\n')[0]).toBe(`**close: rolled-back** — ${service} 2.0.0 in ${environment}`);
    expect(closed).not.toContain('npx ripcord approve');
  });
});

test('escalated: the exact rollback and abort commands, and until when a person may act', async () => {
  const world = new FakeWorld({ health: regression(5) });
  const policy = canaryPolicy((raw) => {
    raw.rollbackWindow = { automaticSeconds: 120 };
  });
  const input = guardianInput(policy);
  const { deploymentId, service, environment } = input.deployment;
  await withWorld(env, bundle, world, async () => {
    const handle = await startGuardian(env, input);
    const status = await advanceUntil(env, handle, (s) => s.phase === 'escalated');
    const details = await currentDetails(handle);
    const lines = details.split('\n');
    expect(lines[0]).toBe(`**Escalated: waiting for a person** — ${service} 2.0.0 in ${environment}`);
    expect(lines[1]).toMatch(/^who may act: .*an owner of the service/);
    expect(lines[1]).toContain(`until ${status.waiting!.until!}`);
    const role = status.approvers ? ' --role sre' : '';
    const locate = `${deploymentId} --service ${service} --env ${environment}`;
    expect(lines).toContain(`npx ripcord rollback ${locate}${role} --reason "<why>"`);
    expect(lines).toContain(`npx ripcord abort ${locate}${role} --reason "<why>"`);
    await handle.executeUpdate(rollbackNowUpdate, { args: [{ actor: 'sam', role: 'sre' }] });
    expect((await resultAndRecord(handle)).outcome).toBe('rolled-back');
  });
});
