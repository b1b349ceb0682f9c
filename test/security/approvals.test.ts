import type { WorkflowHandle } from '@temporalio/client';
import type { GuardianStatus } from '../../src/model/guardian';
import { brief, expectAuditBounded, OWNER_TEAM, SecurityStack, sleep } from '../harness/security-stack';

/**
 * Approvals at the gate (security issue: "an approval of plan A counts toward
 * plan B", "a token refused before its id was recorded stays valid",
 * "self-approval by case", "the deployer can abort the rollback of his own
 * release at the gate"). Guardians wait at a high-risk gate (quorum 2) while
 * people, some of them with genuinely signed tokens, try what the rules
 * forbid; each raw update is sent by name, as any client could.
 */
const stack = new SecurityStack();
let replanned: WorkflowHandle;
let spent: WorkflowHandle;
let byCase: WorkflowHandle;
let ownRelease: WorkflowHandle;

beforeAll(async () => {
  await stack.start({ name: 'approvals' });
  // Each guardian guards a service of its own: a second one of a service would supersede the first.
  const gate = () => stack.policy({ highRisk: true });
  // The first gate times out quickly into escalation; at speed 6 a minute of policy time is 10 s.
  const quick = stack.policy({ highRisk: true, approval: { timeoutSeconds: 60, onTimeout: 'escalate' } });
  [replanned, spent, byCase, ownRelease] = await Promise.all([
    quick.then((p) => stack.guardian(p, { health: 'regression', deploymentId: 'replanned', speed: 6 })),
    gate().then((p) => stack.guardian(p, { health: 'regression', deploymentId: 'spent' })),
    gate().then((p) =>
      stack.guardian(p, { health: 'regression', deploymentId: 'by-case', deployer: 'dave' }),
    ),
    gate().then((p) =>
      stack.guardian(p, { health: 'regression', deploymentId: 'own-release', deployer: 'dave' }),
    ),
  ]);
}, 180_000);

afterAll(() => stack.stop(), 60_000);

afterEach(() => expectAuditBounded(stack));

const atGate = (s: GuardianStatus) => s.phase === 'gate' && s.plan !== undefined;

async function approve(
  handle: WorkflowHandle,
  deployment: string,
  who: { subject: string; roles: string[]; role: string; planHash: string },
) {
  const token = await stack.token({
    subject: who.subject,
    roles: who.roles,
    action: 'approve',
    deployment,
    plan: who.planHash,
  });
  return stack.update(handle, 'approve', {
    actor: who.subject,
    role: who.role,
    planHash: who.planHash,
    token,
  });
}

test('an approval of plan A never counts toward plan B', async () => {
  const first = await stack.waitFor(replanned, 'the approval gate of plan A', atGate, 150_000);
  const planA = first.plan!.planHash;
  const alice = await approve(replanned, 'replanned', {
    subject: 'alice',
    roles: ['sre'],
    role: 'sre',
    planHash: planA,
  });
  expect(alice).toMatchObject({ rejected: false, accepted: true });

  // Nobody else approves: the gate times out into escalation, and the owner orders a rollback by hand.
  await stack.waitFor(replanned, 'escalation', (s) => s.phase === 'escalated', 60_000);
  const manual = await stack.update(replanned, 'rollbackNow', {
    actor: 'olivia',
    role: OWNER_TEAM,
    reason: 'roll back anyway',
    token: await stack.token({
      subject: 'olivia',
      roles: [OWNER_TEAM],
      action: 'rollbackNow',
      deployment: 'replanned',
    }),
  });
  expect(manual).toMatchObject({ rejected: false, accepted: true });
  const second = await stack.waitFor(
    replanned,
    'the approval gate of plan B',
    (s) => atGate(s) && s.plan!.planHash !== planA,
    60_000,
  );
  const planB = second.plan!.planHash;
  expect(second.approvals.filter((a) => a.planHash === planB)).toEqual([]);

  // One approval of plan B is one approval, whatever was said about plan A.
  const carol = await approve(replanned, 'replanned', {
    subject: 'carol',
    roles: ['billing-lead'],
    role: 'billing-lead',
    planHash: planB,
  });
  expect(carol).toMatchObject({
    rejected: false,
    accepted: true,
    message: expect.stringMatching(/\b1 of 2\b/),
  });
  const after = await stack.status(replanned);
  expect({
    phase: after.phase,
    forB: after.approvals.filter((a) => a.planHash === planB).map((a) => a.subject),
    counted: after.approvals.filter((a) => a.planHash !== planB),
  }).toEqual({ phase: 'gate', forB: ['carol'], counted: [] });

  // Plan B never runs on one approval: the gate times out again and nothing touched production.
  let status = after;
  const deadline = Date.now() + 60_000;
  while (status.phase === 'gate') {
    if (Date.now() > deadline) throw new Error(`plan B's gate never timed out: ${brief(status)}`);
    await sleep(200);
    status = await stack.status(replanned);
  }
  expect(status.outcome).not.toBe('rolled-back');
  expect(['escalated', 'close']).toContain(status.phase);
  expect(stack.journal('replanned')).toEqual([]);
}, 180_000);

test('a token refused once is spent: resubmitted in another role it is refused as already used', async () => {
  const status = await stack.waitFor(spent, 'the approval gate', atGate, 120_000);
  const planHash = status.plan!.planHash;
  const token = await stack.token({
    subject: 'bob',
    roles: ['sre', 'viewer'],
    action: 'approve',
    deployment: 'spent',
    plan: planHash,
  });
  const asViewer = await stack.update(spent, 'approve', { actor: 'bob', role: 'viewer', planHash, token });
  expect(asViewer).toMatchObject({
    rejected: false,
    accepted: false,
    message: expect.stringContaining('viewer'),
  });
  const again = await stack.update(spent, 'approve', { actor: 'bob', role: 'sre', planHash, token });
  // Refused by the validator (the id is known spent) or by the guardian: either way, as already used.
  expect(again).toEqual(
    again.rejected
      ? { rejected: true, message: expect.stringMatching(/already used/) }
      : expect.objectContaining({ accepted: false, message: expect.stringMatching(/already used/) }),
  );
  const after = await stack.status(spent);
  expect({ phase: after.phase, approvals: after.approvals }).toEqual({ phase: 'gate', approvals: [] });
  const denied = stack.audit(spent.workflowId).filter((r) => r.kind === 'action-denied');
  expect(denied.length).toBeGreaterThanOrEqual(1);
});

test('the deployer cannot approve the rollback of his own release by writing his name in another case', async () => {
  const status = await stack.waitFor(byCase, 'the approval gate', atGate, 120_000);
  const planHash = status.plan!.planHash;
  const answer = await approve(byCase, 'by-case', { subject: 'Dave', roles: ['sre'], role: 'sre', planHash });
  expect(answer).toMatchObject({
    rejected: false,
    accepted: false,
    message: expect.stringMatching(/deploy|self/i),
  });
  const after = await stack.status(byCase);
  expect({ phase: after.phase, approvals: after.approvals }).toEqual({ phase: 'gate', approvals: [] });
  expect(stack.audit(byCase.workflowId).filter((r) => r.kind === 'action-denied')).toHaveLength(1);
});

test('the deployer cannot abort or pause the rollback of his own release', async () => {
  const status = await stack.waitFor(ownRelease, 'the approval gate', atGate, 120_000);
  for (const action of ['abort', 'pause'] as const) {
    const token = await stack.token({ subject: 'dave', roles: ['sre'], action, deployment: 'own-release' });
    const answer = await stack.update(ownRelease, action, {
      actor: 'dave',
      role: 'sre',
      reason: 'false alarm',
      token,
    });
    expect({ action, answer }).toEqual({
      action,
      answer: expect.objectContaining({ rejected: false, accepted: false }),
    });
  }
  const after = await stack.status(ownRelease);
  expect({ phase: after.phase, paused: after.paused, plan: after.plan?.planHash }).toEqual({
    phase: 'gate',
    paused: false,
    plan: status.plan!.planHash,
  });
  expect(stack.audit(ownRelease.workflowId).filter((r) => r.kind === 'action-denied')).toHaveLength(2);
  expect(brief(after)).not.toContain('aborted');
});
