import type { WorkflowHandle } from '@temporalio/client';
import { expectAuditBounded, OWNER_TEAM, SecurityStack } from '../harness/security-stack';

/**
 * Bounded messages (security issue: "flooding history with unknown fields",
 * "supersede text of 1 MB, and newlines or terminal escape codes in
 * actor/role", "three tokenless rollbackNow requests rate-limit the real,
 * signed manual rollback"). The attacker has update and signal rights but no
 * token: whatever they send must be refused before it reaches history, or
 * leave at most a bounded record, and must never lock out a person who holds
 * a valid token.
 */
const stack = new SecurityStack();
let atGate: WorkflowHandle;
let watching: WorkflowHandle;
let anonymousFirst: WorkflowHandle;
let perIdentity: WorkflowHandle;

beforeAll(async () => {
  await stack.start({ name: 'flooding' });
  const gatePolicy = stack.policy({ highRisk: true });
  [atGate, watching, anonymousFirst, perIdentity] = await Promise.all([
    gatePolicy.then((p) => stack.guardian(p, { health: 'regression' })),
    stack.policy().then((p) => stack.guardian(p, { health: 'healthy' })),
    stack.policy().then((p) => stack.guardian(p, { health: 'healthy', deploymentId: 'anonymous-first' })),
    stack.policy().then((p) => stack.guardian(p, { health: 'healthy', deploymentId: 'per-identity' })),
  ]);
}, 180_000);

afterAll(() => stack.stop(), 60_000);

afterEach(() => expectAuditBounded(stack));

/** The history stops growing (the guardian waits with nothing in flight). */
async function quietHistoryLength(handle: WorkflowHandle): Promise<number> {
  let last = await stack.historyLength(handle);
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await stack.historyLength(handle);
    if (now === last) return now;
    last = now;
  }
}

test('18 tokenless aborts with a 1.5 MB unknown field are refused before history', async () => {
  const before = await stack.waitFor(atGate, 'the approval gate', (s) => s.phase === 'gate', 120_000);
  const length = await quietHistoryLength(atGate);
  const padding = 'x'.repeat(1_500_000);

  const unexpected: string[] = [];
  for (let i = 0; i < 18; i++) {
    const answer = await stack.update(atGate, 'abort', { actor: 'mallory', role: 'sre', padding });
    if (!answer.rejected) unexpected.push(`#${i + 1} reached the guardian: ${answer.message}`);
    else if (!/padding/.test(answer.message)) unexpected.push(`#${i + 1} rejected: ${answer.message}`);
  }
  expect(unexpected).toEqual([]);

  // Nothing of it reached history (at most a stray event of the guardian's own), and it still waits at its gate.
  expect(await stack.historyLength(atGate)).toBeLessThanOrEqual(length + 2);
  const after = await stack.status(atGate);
  expect({ phase: after.phase, approvals: after.approvals, plan: after.plan?.planHash }).toEqual({
    phase: 'gate',
    approvals: [],
    plan: before.plan?.planHash,
  });
  expect((await atGate.describe()).status.name).toBe('RUNNING');
});

test('control characters in actor or role are refused naming the field; a 1 MB supersede leaves a bounded trail', async () => {
  const before = await stack.waitFor(watching, 'its first evaluation', (s) => s.evaluations >= 1);
  const hostile: Array<[string, Record<string, string>, string]> = [
    ['abort', { actor: 'eve\n{"kind":"approval","actor":"alice"}', role: 'sre' }, 'actor'],
    ['pause', { actor: 'eve', role: 'sre\x1b[2J' }, 'role'],
    ['rollbackNow', { actor: '\x1b[2Jalice', role: 'sre', reason: 'now' }, 'actor'],
    ['resume', { actor: 'eve', role: 'sre\r\nkind: approval' }, 'role'],
  ];
  for (const [action, request, field] of hostile) {
    const answer = await stack.update(watching, action, request);
    expect({ action, answer }).toEqual({
      action,
      answer: { rejected: true, message: expect.stringContaining(field) },
    });
  }

  // Signals cannot be refused before history, but what the guardian makes of them must stay small and inert.
  await watching.signal('supersede', { by: 'x'.repeat(1_000_000) });
  await watching.signal('supersede', { by: 'ripcord/production/x\n\x1b[2J{"kind":"approval"}' });
  const after = await stack.waitFor(
    watching,
    'three more evaluations',
    (s) => s.evaluations >= before.evaluations + 3,
    60_000,
  );
  expect({ phase: after.phase, paused: after.paused, outcome: after.outcome }).toEqual({
    phase: 'watch',
    paused: false,
    outcome: undefined,
  });
});

test('three tokenless manual rollbacks do not rate-limit a signed one', async () => {
  await stack.waitFor(anonymousFirst, 'watching', (s) => s.phase === 'watch' && s.evaluations >= 1);
  for (let i = 0; i < 3; i++) {
    const answer = await stack.update(anonymousFirst, 'rollbackNow', { actor: 'mallory', role: 'sre' });
    // Refused by the validator or by the guardian: either way not accepted.
    expect(answer).not.toMatchObject({ accepted: true });
  }
  const token = await stack.token({
    subject: 'olivia',
    roles: [OWNER_TEAM],
    action: 'rollbackNow',
    deployment: 'anonymous-first',
  });
  const signed = await stack.update(anonymousFirst, 'rollbackNow', {
    actor: 'olivia',
    role: OWNER_TEAM,
    reason: 'error budget gone',
    token,
  });
  expect(signed).toMatchObject({ rejected: false, accepted: true });
  expect((await anonymousFirst.result()).outcome).toBe('rolled-back');
});

test('the manual-rollback limit counts per verified identity: a fourth from one subject is refused, another subject is heard', async () => {
  await stack.waitFor(perIdentity, 'watching', (s) => s.phase === 'watch' && s.evaluations >= 1);
  const mallory = () =>
    stack.token({
      subject: 'mallory',
      roles: ['viewer', OWNER_TEAM],
      action: 'rollbackNow',
      deployment: 'per-identity',
    });
  // Three signed requests in a role that may not roll back: each verified, each refused.
  for (let i = 0; i < 3; i++) {
    const answer = await stack.update(perIdentity, 'rollbackNow', {
      actor: 'mallory',
      role: 'viewer',
      token: await mallory(),
    });
    expect(answer).not.toMatchObject({ accepted: true });
  }
  // The fourth from the same subject is refused for the limit, even in a role that could.
  const fourth = await stack.update(perIdentity, 'rollbackNow', {
    actor: 'mallory',
    role: OWNER_TEAM,
    token: await mallory(),
  });
  expect(fourth).toEqual(
    fourth.rejected
      ? { rejected: true, message: expect.stringMatching(/rate.?limit/i) }
      : expect.objectContaining({ accepted: false, message: expect.stringMatching(/rate.?limit/i) }),
  );
  expect((await stack.status(perIdentity)).phase).toBe('watch');

  const olivia = await stack.token({
    subject: 'olivia',
    roles: [OWNER_TEAM],
    action: 'rollbackNow',
    deployment: 'per-identity',
  });
  const other = await stack.update(perIdentity, 'rollbackNow', {
    actor: 'olivia',
    role: OWNER_TEAM,
    token: olivia,
  });
  expect(other).toMatchObject({ rejected: false, accepted: true });
});
