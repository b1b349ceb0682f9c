import { checkStep, type ExecutorCheckDeps, StepRefusedError } from '../../../../src/activities/executor';
import type { GuardianInput } from '../../../../src/model/guardian';
import type { Policy } from '../../../../src/policy';
import { approve, call, memberWorld, NOW, PLAN_AT, RUN_ID, trustedKeys, world, type World } from './fixture';

/**
 * A high-risk plan on the execute plane: its approvals, read from the
 * guardian's history (a member's: from its release's), verify again against
 * the executor's own keys, and the quorum of the pinned policy holds
 * (with-migration.yaml: quorum 2 in distinct roles billing-lead and
 * sre-oncall; the deployer is dave).
 */

async function highRisk(editPolicy?: (p: Policy) => Policy): Promise<World> {
  const w = await world({ example: 'with-migration.yaml', ...(editPolicy ? { editPolicy } : {}) });
  expect(w.plan.risk).toBe('high');
  return w;
}

async function deps(overrides: Partial<ExecutorCheckDeps> = {}, w?: World): Promise<ExecutorCheckDeps> {
  return {
    environment: 'production',
    targets: w!.targets,
    tokens: (await trustedKeys()).verifier,
    now: () => NOW,
    ...overrides,
  };
}

/** Undefined when the step passes; else the approvals refusal's reason (any other check fails the test). */
async function verdict(w: World, overrides: Partial<ExecutorCheckDeps> = {}): Promise<string | undefined> {
  try {
    await checkStep(w.stepInput(), w.caller, w.history, await deps(overrides, w));
    return undefined;
  } catch (error) {
    if (!(error instanceof StepRefusedError)) throw error;
    expect(error.check).toBe('approvals');
    return error.reason;
  }
}

const lead = { subject: 'bob', role: 'billing-lead' };
const oncall = { subject: 'carol', role: 'sre-oncall' };

test('two approvals that verify, from two people in two roles, let the high-risk plan run', async () => {
  const w = await highRisk();
  await approve(w, w.run, { ...lead, planHash: w.plan.planHash });
  await approve(w, w.run, { ...oncall, planHash: w.plan.planHash });
  expect(await verdict(w)).toBeUndefined();
});

test('no approvals: refused, saying what it needs', async () => {
  const w = await highRisk();
  expect(await verdict(w)).toBe(
    `plan ${w.plan.planHash} is high-risk and needs 2 approval(s) from billing-lead, sre-oncall in distinct roles ` +
      `for ${w.plan.planHash}; 0 verify with this executor's keys`,
  );
});

test('one valid approval and one signed by a key the executor does not hold: refused', async () => {
  const w = await highRisk();
  await approve(w, w.run, { ...lead, planHash: w.plan.planHash });
  await approve(w, w.run, { ...oncall, planHash: w.plan.planHash, forged: true });
  const reason = await verdict(w);
  expect(reason).toContain("1 verifies with this executor's keys (bob)");
  expect(reason).toContain('the token does not verify: the signature does not verify with key "oncall"');
});

test('one valid approval and one for another plan: refused (the request and the token name another hash)', async () => {
  const w = await highRisk();
  const other = `sha256:${'9'.repeat(64)}`;
  await approve(w, w.run, { ...lead, planHash: w.plan.planHash });
  await approve(w, w.run, { ...oncall, planHash: other });
  expect(await verdict(w)).toContain("1 verifies with this executor's keys (bob)");
});

test('a token for another plan sent in a request that names this one does not verify', async () => {
  const w = await highRisk();
  await approve(w, w.run, { ...lead, planHash: w.plan.planHash });
  await approve(w, w.run, { ...oncall, planHash: w.plan.planHash });
  // The second request's token is swapped for one bound to another plan.
  const swapped = w.run.calls.at(-1)!.input as { request: { token: string } };
  const v = await highRisk();
  await approve(v, v.run, { ...oncall, planHash: `sha256:${'8'.repeat(64)}` });
  swapped.request.token = (v.run.calls.at(-1)!.input as { request: { token: string } }).request.token;
  expect(await verdict(w)).toMatch(
    /approval 2 \(.*\): the token does not verify: the token is bound to plan sha256:8+/,
  );
});

test('a token for another guardian (deployment) does not count', async () => {
  const w = await highRisk();
  await approve(w, w.run, { ...lead, planHash: w.plan.planHash });
  await approve(w, w.run, {
    ...oncall,
    planHash: w.plan.planHash,
    deployment: 'ripcord/staging/billing/d-1234',
  });
  expect(await verdict(w)).toContain('the token is for deployment "ripcord/staging/billing/d-1234"');
});

test('expiry is judged when Temporal recorded the request: an approval that has expired since still counts', async () => {
  const w = await highRisk();
  // Both tokens lived 5 minutes, an hour ago: valid when the guardian got them, expired now.
  const issuedAt = new Date(NOW.getTime() - 3600_000);
  await approve(w, w.run, { ...lead, planHash: w.plan.planHash, issuedAt, ttlSeconds: 300 });
  await approve(w, w.run, { ...oncall, planHash: w.plan.planHash, issuedAt, ttlSeconds: 300 });
  expect(await verdict(w)).toBeUndefined();

  // Recorded after it expired: it never counted at the guardian, and does not here.
  const late = await highRisk();
  await approve(late, late.run, { ...lead, planHash: late.plan.planHash });
  await approve(late, late.run, {
    ...oncall,
    planHash: late.plan.planHash,
    issuedAt,
    ttlSeconds: 300,
    scheduledAt: new Date(issuedAt.getTime() + 600_000).toISOString(),
  });
  expect(await verdict(late)).toMatch(/approval 2 .*the token expired at/);
});

test('one person twice, the same token twice, or two people in one role (distinctRoles) fill no quorum', async () => {
  const twice = await highRisk();
  await approve(twice, twice.run, { ...lead, planHash: twice.plan.planHash });
  await approve(twice, twice.run, { subject: 'BOB', role: 'sre-oncall', planHash: twice.plan.planHash });
  expect(await verdict(twice)).toContain('bob has already approved');

  const same = await highRisk();
  await approve(same, same.run, { ...lead, planHash: same.plan.planHash });
  same.run.calls.push(structuredClone(same.run.calls.at(-1)!));
  expect(await verdict(same)).toContain('the same token was already counted');

  const roles = await highRisk();
  await approve(roles, roles.run, { ...lead, planHash: roles.plan.planHash });
  await approve(roles, roles.run, { subject: 'erin', role: 'billing-lead', planHash: roles.plan.planHash });
  expect(await verdict(roles)).toContain('an approval from role billing-lead is already counted');
});

test('the deployer, and a role the policy does not name, do not count', async () => {
  const w = await highRisk();
  await approve(w, w.run, { ...lead, planHash: w.plan.planHash });
  await approve(w, w.run, { subject: 'Dave', role: 'sre-oncall', planHash: w.plan.planHash });
  await approve(w, w.run, { subject: 'frank', role: 'intern', planHash: w.plan.planHash });
  const reason = await verdict(w);
  expect(reason).toContain('dave deployed it and may not approve its rollback');
  expect(reason).toContain(`frank's role "intern" may not approve`);

  const self = await highRisk((p) => ({ ...p, approval: { ...p.approval!, allowSelfApproval: true } }));
  await approve(self, self.run, { ...lead, planHash: self.plan.planHash });
  await approve(self, self.run, { subject: 'dave', role: 'sre-oncall', planHash: self.plan.planHash });
  expect(await verdict(self)).toBeUndefined();
});

test("a token whose single-use claim is someone else's, or that was never claimed, does not count", async () => {
  const w = await highRisk();
  await approve(w, w.run, { ...lead, planHash: w.plan.planHash });
  await approve(w, w.run, {
    ...oncall,
    planHash: w.plan.planHash,
    claimedBy: 'ripcord/production/billing/other#r0',
  });
  expect(await verdict(w)).toContain("carol's token is claimed by another request");

  // Claimed by another request of the same guardian (a token sent twice: the second request never counted).
  const other = await highRisk();
  await approve(other, other.run, { ...lead, planHash: other.plan.planHash });
  await approve(other, other.run, {
    ...oncall,
    planHash: other.plan.planHash,
    claimedBy: `${other.guardianId}#r999`,
  });
  expect(await verdict(other)).toContain("carol's token is claimed by another request");

  // A request whose nonce names another workflow, and the claim that matches it: not this guardian's claim.
  const foreign = await highRisk();
  await approve(foreign, foreign.run, { ...lead, planHash: foreign.plan.planHash });
  await approve(foreign, foreign.run, { ...oncall, planHash: foreign.plan.planHash });
  const request = foreign.run.calls.at(-1)!.input as { requestNonce: string; request: { token: string } };
  const [tokenId] = [...foreign.history.claims.entries()].find(([, by]) => by === request.requestNonce)!;
  request.requestNonce = 'ripcord/production/billing/elsewhere#r1';
  foreign.history.claims.set(tokenId, request.requestNonce);
  expect(await verdict(foreign)).toContain("carol's token is claimed by another request");

  const unclaimed = await highRisk();
  await approve(unclaimed, unclaimed.run, { ...lead, planHash: unclaimed.plan.planHash });
  await approve(unclaimed, unclaimed.run, { ...oncall, planHash: unclaimed.plan.planHash, claimedBy: null });
  expect(await verdict(unclaimed)).toContain("carol's token was never claimed for single use");
});

test('an executor without trusted keys refuses every high-risk plan', async () => {
  const w = await highRisk();
  await approve(w, w.run, { ...lead, planHash: w.plan.planHash });
  await approve(w, w.run, { ...oncall, planHash: w.plan.planHash });
  expect(await verdict(w, { tokens: undefined })).toContain('this executor has no trusted approval keys');
});

test('a policy that names no approvers: refused', async () => {
  const w = await highRisk((p) => {
    const { approval: _dropped, ...rest } = p;
    return rest as Policy;
  });
  expect(await verdict(w)).toBe(`plan ${w.plan.planHash} is high-risk and the policy names no approvers`);
});

describe('approval.onTimeout: rollback', () => {
  const rollbackOnTimeout = (p: Policy): Policy => ({
    ...p,
    approval: { ...p.approval!, onTimeout: 'rollback', timeoutSeconds: 1800 },
  });

  test('runs without approvals once the timeout has passed since the plan was made, not before', async () => {
    const w = await highRisk(rollbackOnTimeout);
    const made = Date.parse(PLAN_AT);
    expect(await verdict(w, { now: () => new Date(made + 1799_000) })).toContain(
      `the approval timeout (rollback) passes at ${new Date(made + 1800_000).toISOString()}`,
    );
    expect(await verdict(w, { now: () => new Date(made + 1800_000) })).toBeUndefined();
  });

  test("a plan's createdAt set back does not move the timeout: Temporal's record of the plan counts", async () => {
    const w = await highRisk(rollbackOnTimeout);
    const recorded = w.run.calls[0]!.result as typeof w.plan;
    recorded.createdAt = '2025-01-01T00:00:00.000Z'; // not hashed: the decide plane could write anything here
    expect(await verdict(w, { now: () => new Date(Date.parse(PLAN_AT) + 60_000) })).toContain(
      'the approval timeout (rollback) passes at',
    );
  });
});

test('a gate that continued as new: approvals in the earlier run count with those in the current one', async () => {
  const w = await highRisk();
  // Run 1 built the plan and got one approval, then continued as new carrying the plan; run 2 got the second.
  const first = w.history.add({ ...w.run, runId: 'run-0', calls: [...w.run.calls] }, 'guardian');
  await approve(w, first, { ...lead, planHash: w.plan.planHash });
  const guardian = w.run.input as GuardianInput;
  guardian.carried = {
    resume: { phase: 'gate', plan: w.plan, untilMs: 0, holding: false },
  } as unknown as GuardianInput['carried'];
  w.run.previousRunId = 'run-0';
  w.run.calls = [call('evaluateHealth', PLAN_AT)];
  await approve(w, w.run, { ...oncall, planHash: w.plan.planHash });
  expect(await verdict(w)).toBeUndefined();
  expect(w.history.reads).toEqual([`${w.guardianId}@${RUN_ID}`, `${w.guardianId}@run-0`]);

  // Without the carried gate, the earlier run is not this plan's gate: its approval is not read.
  delete guardian.carried;
  w.run.calls = [call('buildRollbackPlan', PLAN_AT, { result: w.plan }), ...w.run.calls];
  expect(await verdict(w)).toContain("1 verifies with this executor's keys (carol)");
});

describe('a release member', () => {
  test("its release's approvals of the release plan that holds its plan let it run", async () => {
    const m = await memberWorld({ example: 'with-migration.yaml' });
    expect(m.plan.risk).toBe('high');
    const releasePlan = m.releasePlan.planHash;
    await approve(m, m.releaseRun, { ...lead, planHash: releasePlan, deployment: m.releaseId });
    await approve(m, m.releaseRun, { ...oncall, planHash: releasePlan });
    expect(await verdict(m)).toBeUndefined();
  });

  test("approvals on the member's own history, or for the member's plan hash, do not count", async () => {
    const m = await memberWorld({ example: 'with-migration.yaml' });
    await approve(m, m.run, { ...lead, planHash: m.releasePlan.planHash });
    await approve(m, m.releaseRun, { ...oncall, planHash: m.plan.planHash });
    expect(await verdict(m)).toContain(`0 verify with this executor's keys`);
  });

  test('a member whose parent is not the release it names, or whose release recorded no plan holding its plan, is refused', async () => {
    const m = await memberWorld({ example: 'with-migration.yaml' });
    await approve(m, m.releaseRun, { ...lead, planHash: m.releasePlan.planHash });
    await approve(m, m.releaseRun, { ...oncall, planHash: m.releasePlan.planHash });
    m.run.parent = { workflowId: 'ripcord-release/production/shop/impostor', runId: 'x' };
    expect(await verdict(m)).toContain('but workflow ripcord-release/production/shop/impostor started it');

    const n = await memberWorld({ example: 'with-migration.yaml' });
    n.releaseRun.calls = [];
    expect(await verdict(n)).toContain(`recorded no release plan that holds plan ${n.plan.planHash}`);

    const o = await memberWorld({ example: 'with-migration.yaml' });
    o.history.types.set(`${o.releaseRun.workflowId}\n${o.releaseRun.runId}`, 'guardian');
    expect(await verdict(o)).toContain('is of type "guardian", not a release');
  });

  test('a release not started with this member (another policy) is refused', async () => {
    const m = await memberWorld({ example: 'with-migration.yaml' });
    const member = m.release.members[0]!;
    (m.releaseRun.input as typeof m.release).members[0] = {
      ...member,
      deployment: { ...member.deployment, version: 'v9' },
    };
    expect(await verdict(m)).toContain('was not started with this member');
  });
});
