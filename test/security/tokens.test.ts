import type { WorkflowHandle } from '@temporalio/client';
import { expectAuditBounded, OWNER_TEAM, SecurityStack } from '../harness/security-stack';

/**
 * Tokens beyond one guardian (security issue: "a single-use abort token was
 * accepted by two guardians sharing a deployment id", "a token pasted into
 * --reason is stored verbatim"). A token acts once in the whole namespace, and
 * free text that carries a credential never reaches history or the audit trail.
 */
const stack = new SecurityStack();
const SHARED = 'shared-build';
let staging: WorkflowHandle;
let production: WorkflowHandle;
let watching: WorkflowHandle;

beforeAll(async () => {
  await stack.start({ name: 'tokens' });
  // One service released as the same build to two environments: two guardians, one deployment id.
  const service = `sec-shared-${Date.now().toString(36)}`;
  [staging, production, watching] = await Promise.all([
    stack
      .policy({ service, environment: 'staging' })
      .then((p) => stack.guardian(p, { health: 'healthy', deploymentId: SHARED })),
    stack
      .policy({ service, environment: 'production' })
      .then((p) => stack.guardian(p, { health: 'healthy', deploymentId: SHARED })),
    stack.policy().then((p) => stack.guardian(p, { health: 'healthy', deploymentId: 'pasted' })),
  ]);
}, 180_000);

afterAll(() => stack.stop(), 60_000);

afterEach(() => expectAuditBounded(stack));

test('one abort token acts once across guardians that share a deployment id', async () => {
  const [, watchingProduction] = await Promise.all(
    [staging, production].map((h) =>
      stack.waitFor(h, 'watching', (s) => s.phase === 'watch' && s.evaluations >= 1),
    ),
  );
  const token = await stack.token({
    subject: 'olivia',
    roles: [OWNER_TEAM],
    action: 'abort',
    deployment: SHARED,
  });
  const request = { actor: 'olivia', role: OWNER_TEAM, reason: 'bad build', token };

  const first = await stack.update(staging, 'abort', request);
  expect(first).toMatchObject({ rejected: false, accepted: true });
  expect((await staging.result()).outcome).toBe('aborted');

  const replayed = await stack.update(production, 'abort', request);
  expect(replayed).toEqual(
    replayed.rejected
      ? { rejected: true, message: expect.stringMatching(/already used/) }
      : expect.objectContaining({ accepted: false, message: expect.stringMatching(/already used/) }),
  );
  const after = await stack.waitFor(
    production,
    'another evaluation',
    (s) => s.evaluations > watchingProduction!.evaluations,
  );
  expect({ phase: after.phase, outcome: after.outcome }).toEqual({ phase: 'watch', outcome: undefined });
  if (!replayed.rejected) {
    // It reached the worker: the refusal is on record, without the token.
    const denied = stack.audit(production.workflowId).filter((r) => r.kind === 'action-denied');
    expect(denied.map((r) => r.summary)).toEqual([expect.stringMatching(/already used/)]);
  }
  expect(stack.auditText()).not.toContain(token.split('.')[2]);
});

test('a token pasted into the reason is refused naming the field, and appears nowhere', async () => {
  const before = await stack.waitFor(watching, 'watching', (s) => s.phase === 'watch' && s.evaluations >= 1);
  // Someone else's live approval token, pasted by mistake (or on purpose) into free text.
  const pasted = await stack.token({
    subject: 'carol',
    roles: ['billing-lead'],
    action: 'approve',
    deployment: 'pasted',
    plan: `sha256:${'a'.repeat(64)}`,
  });
  expect(pasted).toMatch(/^eyJ/);
  const token = await stack.token({
    subject: 'olivia',
    roles: [OWNER_TEAM],
    action: 'pause',
    deployment: 'pasted',
  });

  const answer = await stack.update(watching, 'pause', {
    actor: 'olivia',
    role: OWNER_TEAM,
    reason: `see ${pasted}`,
    token,
  });
  expect(answer).toEqual({ rejected: true, message: expect.stringContaining('reason') });
  expect(answer.message).not.toContain(pasted.split('.')[2]);

  const status = await stack.waitFor(
    watching,
    'another evaluation',
    (s) => s.evaluations > before.evaluations,
  );
  expect({ phase: status.phase, paused: status.paused }).toEqual({ phase: 'watch', paused: false });
  const signature = pasted.split('.')[2]!;
  const history = await stack.historyText(watching);
  expect(history).toContain(status.service); // the payloads are decoded: the search would find it
  expect(history).not.toContain(signature);
  expect(stack.auditText()).not.toContain(signature);
});
