import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { buildRollbackPlan } from '../../src/activities/plan/build';
import { startGuardian } from '../../src/client/guardians';
import { releaseStatus, startRelease } from '../../src/client/releases';
import { guardianWorkflowId, type GuardianInput, type GuardianStatus } from '../../src/model/guardian';
import {
  releaseWorkflowId,
  type MemberOrder,
  type ReleaseInput,
  type ReleaseMemberInput,
} from '../../src/model/release';
import { contentHash, type LoadedPolicy, type Policy } from '../../src/policy';
import type { ImpostorReleaseInput } from '../harness/impostor-release-workflow';
import {
  brief,
  expectAuditBounded,
  OWNER_TEAM,
  type PolicyOptions,
  refusedMessages,
  SecurityStack,
  sleep,
} from '../harness/security-stack';

/**
 * Releases attacked as an outsider with Temporal client access would (issue
 * #20 on top of #16's "every message authenticated"). A release is one parent
 * workflow; its members are child guardians that act only on orders they read
 * back from their parent by query. Each test sends raw signals, updates and
 * workflow starts, by name, with the plain Temporal client:
 * - forged `memberOrder` signals to a member that waits for its release (and
 *   the release still orders it afterwards);
 * - a guardian started from outside that claims to be some release's member,
 *   and a child of an attacker's own workflow type named `release` (a known
 *   hole, `test.failing` below);
 * - people's actions sent straight to a member instead of its release;
 * - the release's own approval gate: tokens for another release, another plan,
 *   replayed, and the deployer approving his own release (and where the
 *   policy allows that, his one approval counting once);
 * - a newer deployment of a member's service while the release runs.
 * Everything runs on one dev server, the releases side by side; data waits are
 * compressed (one 30 s interval a second).
 */
jest.setTimeout(120_000);

const stack = new SecurityStack();
const SPEED = 30;
/** The example policy's interval. */
const INTERVAL = 30;
/** Intervals in every scenario: longer than any watch here. */
const LENGTH = 400;
const rand = () => randomUUID().slice(0, 6);

/** Workflows this file started itself (stack.stop terminates only the stack's own guardians). */
const started: WorkflowHandle[] = [];
let impostorWorker: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;

interface Prepared {
  input: ReleaseInput;
  file: string;
  /** Member services, in release order: the first is called by the others. */
  services: string[];
}

/** A release scenario: every member healthy, or `regressed`'s canary errors ×10 from the third interval. */
function writeReleaseScenario(name: string, services: string[], regressed?: string): string {
  const constant = (value: number) => Array.from({ length: LENGTH }, () => value);
  const members = Object.fromEntries(
    services.map((service, i) => [
      service,
      {
        inRelease: true,
        dependsOn: i === 0 ? [] : [services[0]],
        series: {
          requests: { baseline: constant(600), canary: constant(600) },
          errors: {
            baseline: constant(4),
            canary:
              service === regressed
                ? Array.from({ length: LENGTH }, (_, j) => (j >= 2 ? 40 : 4))
                : constant(4),
          },
          latency_p99_ms: { baseline: constant(300), canary: constant(300) },
        },
      },
    ]),
  );
  const file = join(stack.dir, `release-${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({ format: 'ripcord.release-scenario/v1', name, intervalSeconds: INTERVAL, members }),
  );
  return file;
}

/**
 * The policy as a live deployment's would be, its health read from the release
 * scenario by a `replay` source (which the stack's dry-run worker accepts): the
 * guardian is not a rehearsal, so a newer live guardian of its service
 * supersedes it, as in production.
 */
function replaySourced(loaded: LoadedPolicy, file: string, service: string) {
  const sources = Object.fromEntries(
    Object.keys(loaded.policy.sources).map((name) => [name, { type: 'replay', path: file, member: service }]),
  );
  const policy = { ...loaded.policy, sources } as Policy;
  return { policy, policyHash: contentHash(policy) };
}

async function prepareRelease(spec: {
  name: string;
  members: number;
  regressedFirst?: boolean;
  /** Live: members are not rehearsals (their health comes from policy replay sources). */
  live?: boolean;
  watchIntervals: number;
  deployer?: string;
  policy?: PolicyOptions;
  /** The members' policies let the deployer approve the rollback of his own release (never in production). */
  allowSelfApproval?: boolean;
  environment?: string;
}): Promise<Prepared> {
  const releaseId = `${spec.name}-${rand()}`;
  const services = Array.from(
    { length: spec.members },
    (_, i) => `${spec.name}-${['pay', 'chk'][i] ?? i}-${rand()}`,
  );
  const file = writeReleaseScenario(releaseId, services, spec.regressedFirst ? services[0] : undefined);
  const now = new Date().toISOString();
  const environment = spec.environment ?? 'production';
  const members: ReleaseMemberInput[] = await Promise.all(
    services.map(async (service, i) => {
      const loaded = await stack.policy({ service, environment, ...spec.policy });
      let pinned = spec.live
        ? replaySourced(loaded, file, service)
        : { policy: loaded.policy, policyHash: loaded.hash };
      if (spec.allowSelfApproval) {
        const policy = {
          ...pinned.policy,
          approval: { ...pinned.policy.approval!, allowSelfApproval: true },
        };
        pinned = { policy, policyHash: contentHash(policy) };
      }
      return {
        deployment: {
          deploymentId: releaseId,
          service,
          environment,
          version: '2.0.0',
          previousVersion: '1.9.0',
          deployedAt: now,
        },
        ...pinned,
        dependsOn: i === 0 ? [] : [services[0]!],
      };
    }),
  );
  const input: ReleaseInput = {
    releaseId,
    name: `shop-${spec.name}`,
    environment,
    mode: 'independent',
    ...(spec.deployer ? { deployer: spec.deployer } : {}),
    startedAt: now,
    members,
    outside: [],
    settleSeconds: INTERVAL,
    watchSeconds: spec.watchIntervals * INTERVAL,
    ...(spec.live ? {} : { replay: { releaseScenarioFile: file } }),
    speed: SPEED,
  };
  return { input, file, services };
}

async function start(prepared: Prepared): Promise<WorkflowHandle> {
  const handle = await startRelease(stack.client, prepared.input, { taskQueue: stack.taskQueue });
  started.push(handle);
  return stack.raw(handle.workflowId);
}

/** A member's guardian id, as the release names it (a rehearsal's members live apart, under the rehearsal prefix). */
const memberId = (prepared: Prepared, i: number) =>
  guardianWorkflowId(prepared.input.members[i]!.deployment, {
    rehearsal: prepared.input.replay !== undefined,
  });

/** The recording target's entries for one service of one deployment (members of a release share its id). */
function journalOf(service: string, deploymentId: string): Array<{ kind: string }> {
  const file = join(stack.dir, 'state', 'dry-run', 'journal.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { kind: string; scope: { service: string; deploymentId: string } })
    .filter((e) => e.scope.service === service && e.scope.deploymentId === deploymentId);
}

/** A member admitted by its release, waiting for its orders (no plan, no decision of its own). */
const waitingForRelease = (s: GuardianStatus) =>
  s.memberOf !== undefined && s.phase === 'watch' && s.plan === undefined && s.decision === undefined;

/** Waits until the release has started the member and the member waits for its orders. */
async function memberWaiting(prepared: Prepared, i: number): Promise<GuardianStatus> {
  const member = stack.raw(memberId(prepared, i));
  const deadline = Date.now() + 60_000;
  // The release starts its members after its own admission: until then the member does not exist.
  while (
    !(await member.describe().then(
      () => true,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error(`${member.workflowId} was never started by its release`);
    await sleep(200);
  }
  return stack.waitFor(member, 'waiting for its release', waitingForRelease);
}

// The releases under attack, started side by side.
let forged: Prepared;
let forgedHandle: WorkflowHandle;
let gated: Prepared;
let gatedHandle: WorkflowHandle;
let selfAllowed: Prepared;
let selfAllowedHandle: WorkflowHandle;
let replacedByGuardian: Prepared;
let replacedByGuardianHandle: WorkflowHandle;
let replacedByRelease: Prepared;
let replacedByReleaseHandle: WorkflowHandle;

beforeAll(async () => {
  await stack.start({ name: 'releases' });
  [forged, gated, selfAllowed, replacedByGuardian, replacedByRelease] = await Promise.all([
    // Healthy all through a short watch: it promotes its members at the end unless an attack moved them.
    prepareRelease({ name: 'forged', members: 2, watchIntervals: 45 }),
    // Its first member regresses; every plan is high-risk: the release's one gate needs two approvers.
    prepareRelease({
      name: 'gated',
      members: 2,
      regressedFirst: true,
      watchIntervals: 16,
      deployer: 'dave',
      policy: { highRisk: true },
    }),
    // The same, but its policies let the deployer approve his own release's rollback.
    prepareRelease({
      name: 'self-ok',
      members: 1,
      regressedFirst: true,
      watchIntervals: 16,
      deployer: 'dave',
      policy: { highRisk: true },
      allowSelfApproval: true,
      // Policies refuse allowSelfApproval in production.
      environment: 'staging',
    }),
    // Live members, a long healthy watch: a newer deployment of a member's service arrives meanwhile.
    prepareRelease({ name: 'by-guardian', members: 2, live: true, watchIntervals: LENGTH - 10 }),
    prepareRelease({ name: 'by-release', members: 2, live: true, watchIntervals: LENGTH - 10 }),
  ]);
  [forgedHandle, gatedHandle, selfAllowedHandle, replacedByGuardianHandle, replacedByReleaseHandle] =
    await Promise.all([
      start(forged),
      start(gated),
      start(selfAllowed),
      start(replacedByGuardian),
      start(replacedByRelease),
    ]);
}, 180_000);

afterAll(async () => {
  for (const handle of started) await handle.terminate('security test over').catch(() => undefined);
  if (impostorWorker) {
    if (impostorWorker.worker.getState() === 'RUNNING') impostorWorker.worker.shutdown();
    await impostorWorker.running.catch(() => undefined);
    await impostorWorker.connection.close().catch(() => undefined);
  }
  await stack.stop();
}, 60_000);

afterEach(() => expectAuditBounded(stack));

test('a member refuses people: approve, reject, abort, rollbackNow and pause are refused before history, naming its release', async () => {
  const member = stack.raw(memberId(forged, 0));
  const before = await memberWaiting(forged, 0);
  const { releaseId } = forged.input;
  const releaseWf = releaseWorkflowId(forged.input);
  const planHash = `sha256:${'0'.repeat(64)}`;
  const tokens: string[] = [];
  const answers: Record<string, unknown> = {};
  // Genuinely signed tokens of real approvers and owners, for the deployment id the member shares with its release.
  for (const [action, subject, role] of [
    ['approve', 'alice', 'sre'],
    ['reject', 'carol', 'billing-lead'],
    ['abort', 'olivia', OWNER_TEAM],
    ['rollbackNow', 'olivia', OWNER_TEAM],
    ['pause', 'olivia', OWNER_TEAM],
  ] as const) {
    const token = await stack.token({
      subject,
      roles: [role],
      action,
      deployment: releaseId,
      ...(action === 'approve' || action === 'reject' ? { plan: planHash } : {}),
    });
    tokens.push(token);
    answers[action] = await stack.update(member, action, {
      actor: subject,
      role,
      reason: 'straight to the member',
      token,
      ...(action === 'approve' || action === 'reject' ? { planHash } : {}),
    });
  }
  const refusal = (action: string) => ({
    rejected: true,
    message: `this deployment is a member of release ${releaseId}: send ${action} to the release (${releaseWf})`,
  });
  expect(answers).toEqual({
    approve: refusal('approve'),
    reject: refusal('reject'),
    abort: refusal('abort'),
    rollbackNow: refusal('rollbackNow'),
    pause: refusal('pause'),
  });
  // Never in history: no update was accepted, and no token can be read back from it.
  const history = await stack.historyText(member);
  expect(history).not.toMatch(/[Uu]pdate[A-Za-z]*Accepted/);
  for (const token of tokens) expect(history).not.toContain(token);
  const after = await stack.status(member);
  expect({
    phase: after.phase,
    paused: after.paused,
    plan: after.plan,
    approvals: after.approvals,
    waiting: after.waiting,
  }).toEqual({ phase: 'watch', paused: false, plan: undefined, approvals: [], waiting: before.waiting });
  expect(stack.audit(member.workflowId).filter((r) => r.kind === 'action-denied')).toEqual([]);
});

/** Starts a guardian with the raw client, as anyone who may start workflows can. */
async function rawGuardian(workflowId: string, input: GuardianInput): Promise<WorkflowHandle> {
  const handle = await stack.client.workflow.start('guardian', {
    taskQueue: stack.taskQueue,
    workflowId,
    args: [input],
  });
  started.push(handle);
  return stack.raw(handle.workflowId);
}

async function memberInput(
  service: string,
  deploymentId: string,
  file: string,
  release: GuardianInput['release'],
  policy: PolicyOptions = {},
): Promise<GuardianInput> {
  const loaded = await stack.policy({ service, ...policy });
  return {
    deployment: {
      deploymentId,
      service,
      environment: 'production',
      version: '2.0.0',
      previousVersion: '1.9.0',
      deployedAt: new Date().toISOString(),
      deployer: 'mallory',
    },
    policy: loaded.policy,
    policyHash: loaded.hash,
    replay: { scenarioFile: file, member: service },
    speed: SPEED,
    ...(release ? { release } : {}),
  };
}

test('a guardian that names a release it was not started by refuses itself: the release it names, or a workflow that is no release', async () => {
  const service = forged.services[0]!;
  // Naming the real, running release (of the same service, another deployment id).
  const claimsRelease = await rawGuardian(
    `ripcord/production/${service}/not-a-member`,
    await memberInput(service, 'not-a-member', forged.file, {
      releaseWorkflowId: forgedHandle.workflowId,
      releaseId: forged.input.releaseId,
    }),
  );
  // Naming a workflow that is no release at all: the release's own member (a guardian).
  const claimsGuardian = await rawGuardian(
    `ripcord/production/${service}/not-a-member-either`,
    await memberInput(service, 'not-a-member-either', forged.file, {
      releaseWorkflowId: memberId(forged, 0),
      releaseId: forged.input.releaseId,
    }),
  );
  // At once: neither waits for orders it could never trust.
  const refusedItself = (s: GuardianStatus) => s.phase === 'close';
  const [first, second] = await Promise.all(
    [claimsRelease, claimsGuardian].map((h) => stack.waitFor(h, 'refusing itself', refusedItself, 20_000)),
  );
  expect(first).toMatchObject({
    outcome: 'escalated',
    reason: `started as a member of release ${forgedHandle.workflowId} but not by it: refused`,
  });
  expect(second).toMatchObject({
    outcome: 'escalated',
    reason: `started as a member of release ${memberId(forged, 0)} but not by it: refused`,
  });
  for (const [handle, id] of [
    [claimsRelease, 'not-a-member'],
    [claimsGuardian, 'not-a-member-either'],
  ] as const) {
    const status = await stack.status(handle);
    expect({ plan: status.plan, memberOf: status.memberOf, journal: journalOf(service, id) }).toEqual({
      plan: undefined,
      memberOf: undefined,
      journal: [],
    });
  }
  // The release they named did not notice them.
  const release = await releaseStatus(forgedHandle);
  expect(release.release.members.map((m) => m.workflowId)).toEqual([
    memberId(forged, 0),
    memberId(forged, 1),
  ]);
});

test('forged memberOrder signals order nothing: the member refuses them, with a bounded audit, and stays as it was', async () => {
  const member = stack.raw(memberId(forged, 0));
  const before = await memberWaiting(forged, 0);
  const releaseBefore = await releaseStatus(forgedHandle);
  const forgedOrders: Array<MemberOrder | Record<string, unknown> | string | undefined> = [
    undefined,
    { kind: 'rollback' },
    { seq: 1000, order: { kind: 'promote', reason: 'forged' } },
    {
      seq: 1000,
      order: {
        kind: 'rollback',
        reason: 'forged',
        releasePlanHash: `sha256:${'f'.repeat(64)}`,
        fromIndex: 1,
        plan: { planHash: `sha256:${'f'.repeat(64)}`, steps: [] },
      },
    },
    { kind: 'abort', by: 'nobody', reason: 'forged' },
    'x'.repeat(32 * 1024),
  ];
  // Many times, with and without payloads, by the SDK and by the Temporal CLI.
  for (let round = 0; round < 4; round++)
    for (const payload of forgedOrders)
      await (payload === undefined ? member.signal('memberOrder') : member.signal('memberOrder', payload));
  await stack.cliSignal(member.workflowId, 'memberOrder', { seq: 1, order: { kind: 'promote' } });
  const sent = forgedOrders.length * 4 + 1;

  // The member asks its release each time it is woken; the release has ordered nothing.
  const seen = await stack.firstOf({
    refused: () => refusedMessages(stack, member.workflowId, /memberOrder/).length >= 1,
    moved: async () => !waitingForRelease(await stack.status(member)),
  });
  expect(seen).toEqual(['refused']);
  // Let every queued hint be checked: the release reads three more intervals meanwhile.
  const evaluations = (await releaseStatus(forgedHandle)).evaluations;
  await stack.waitFor(
    forgedHandle,
    'three more intervals',
    (s) => s.evaluations >= evaluations + 3 || s.phase !== 'watch',
  );
  const after = await stack.status(member);
  expect({
    phase: after.phase,
    waiting: after.waiting,
    plan: after.plan,
    decision: after.decision,
    outcome: after.outcome,
  }).toEqual({
    phase: 'watch',
    waiting: before.waiting,
    plan: undefined,
    decision: undefined,
    outcome: undefined,
  });
  expect(journalOf(forged.services[0]!, forged.input.releaseId)).toEqual([]);
  const records = refusedMessages(stack, member.workflowId, /memberOrder/);
  expect(records.length).toBeGreaterThanOrEqual(1);
  expect(records.length).toBeLessThanOrEqual(10);
  expect(after.refusedMessages).toBeGreaterThanOrEqual(records.length);
  expect(after.refusedMessages).toBeLessThanOrEqual(sent);
  for (const record of records) expect(record.summary).toMatch(/no new order from the release/);
  // The release saw nothing of it: still watching, every member too.
  const releaseNow = await releaseStatus(forgedHandle);
  expect({
    phase: releaseNow.phase,
    verdicts: releaseNow.release.verdicts,
    states: releaseNow.release.members.map((m) => m.state),
  }).toEqual({ phase: 'watch', verdicts: [], states: releaseBefore.release.members.map(() => 'watching') });
});

/*
 * Found by this file (it was red on main): the member checked that its parent is the workflow its input
 * names, and confirmMemberOrder that the workflow's id looks like a release's, its type is `release` and it
 * runs; not that it runs on ripcord's task queue. Anyone who may start workflows and poll some other task
 * queue ran their own `release` type, started a guardian as its child and answered the member's query with a
 * high-risk plan, executed without its gate and without a token. Now the member passes its own task queue to
 * confirmMemberOrder, which refuses a release on any other (as verifySupersede requires of a sender).
 */
test('a workflow named `release` on a task queue of the attacker, parent of a guardian, cannot order it', async () => {
  // The attacker's worker: their own code for a workflow type called `release`, on their own task queue.
  const connection = await NativeConnection.connect({ address: stack.server!.address });
  const taskQueue = `impostor-${randomUUID()}`;
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    workflowsPath: resolve(__dirname, '..', 'harness', 'impostor-release-workflow.ts'),
  });
  impostorWorker = { worker, running: worker.run(), connection };

  // A high-risk member: any rollback of it needs two approvers at a gate.
  const service = `impostor-${rand()}`;
  const releaseId = `impostor-${rand()}`;
  const impostorId = releaseWorkflowId({ environment: 'production', name: 'shop', releaseId });
  const file = writeReleaseScenario(releaseId, [service]);
  const input = await memberInput(
    service,
    releaseId,
    file,
    { releaseWorkflowId: impostorId, releaseId },
    { highRisk: true },
  );
  const plan = await buildRollbackPlan(() => new Date())({
    deployment: input.deployment,
    policy: input.policy,
    policyHash: input.policyHash,
    decision: { decision: 'rollback', decidedAtIndex: 1, reason: 'ordered by an impostor' },
    trigger: 'automatic',
    elapsedSeconds: 60,
    strongEvidence: false,
  });
  expect(plan.risk).toBe('high');
  const order: MemberOrder = {
    kind: 'rollback',
    plan,
    releasePlanHash: plan.planHash,
    fromIndex: 2,
    reason: 'ordered by an impostor',
  };
  const memberWf = `ripcord/production/${service}/${releaseId}`;
  const impostor = await stack.client.workflow.start('release', {
    taskQueue,
    workflowId: impostorId,
    args: [
      {
        memberTaskQueue: stack.taskQueue,
        memberWorkflowId: memberWf,
        memberInput: input,
        order,
      } satisfies ImpostorReleaseInput,
    ],
  });
  started.push(impostor);
  const member = stack.raw(memberWf);

  const seen = await stack.firstOf(
    {
      refused: () => refusedMessages(stack, memberWf, /memberOrder/).length >= 1,
      refusedItself: async () => {
        const s = await stack.status(member).catch(() => undefined);
        return s?.phase === 'close' && s.outcome !== 'rolled-back' && s.plan === undefined;
      },
      obeyed: async () => {
        const s = await stack.status(member).catch(() => undefined);
        return s?.plan !== undefined || journalOf(service, releaseId).length > 0;
      },
    },
    60_000,
  );
  const status = await stack.status(member);
  expect({ seen, journal: journalOf(service, releaseId), plan: status.plan?.planHash }).toEqual({
    seen: [expect.stringMatching(/^refused/)],
    journal: [],
    plan: undefined,
  });
  expect(brief(status)).not.toContain('rolled-back');
});

test("the release's own gate: tokens for another release, another plan, replayed, or the deployer's own, never count; two distinct approvers do", async () => {
  const atGate = (s: GuardianStatus) => s.phase === 'gate' && s.plan !== undefined;
  const status = await stack.waitFor(gatedHandle, "the release's approval gate", atGate, 90_000);
  const { releaseId } = gated.input;
  const planHash = status.plan!.planHash;
  expect({ risk: status.plan!.risk, approvers: status.approvers }).toEqual({
    risk: 'high',
    approvers: { roles: ['sre', 'billing-lead'], quorum: 2 },
  });
  const approve = async (
    who: { subject: string; role: string },
    claims: { deployment?: string; plan?: string; requestPlan?: string } = {},
    token?: string,
  ) => {
    const signed =
      token ??
      (await stack.token({
        subject: who.subject,
        roles: [who.role],
        action: 'approve',
        deployment: claims.deployment ?? releaseId,
        plan: claims.plan ?? planHash,
      }));
    const answer = await stack.update(gatedHandle, 'approve', {
      actor: who.subject,
      role: who.role,
      planHash: claims.requestPlan ?? planHash,
      token: signed,
    });
    return { answer, token: signed };
  };
  const refused = (answer: Awaited<ReturnType<typeof approve>>['answer'], why: RegExp) =>
    answer.rejected
      ? expect(answer).toEqual({ rejected: true, message: expect.stringMatching(why) })
      : expect(answer).toMatchObject({ accepted: false, message: expect.stringMatching(why) });
  const alice = { subject: 'alice', role: 'sre' };
  const carol = { subject: 'carol', role: 'billing-lead' };
  const otherPlan = `sha256:${'a'.repeat(64)}`;

  // Signed for another release (the forged one's id): refused.
  refused((await approve(alice, { deployment: forged.input.releaseId })).answer, /another deployment/);
  // Signed for this release but another plan, sent naming the held plan: refused.
  refused((await approve(alice, { plan: otherPlan })).answer, /plan/);
  // Signed for this release and another plan, sent naming that plan: refused.
  refused((await approve(alice, { plan: otherPlan, requestPlan: otherPlan })).answer, /plan/);
  // The deployer approving his own release, with a genuine token in an approver role: refused.
  refused((await approve({ subject: 'dave', role: 'sre' })).answer, /deploy|self/i);
  let now = await releaseStatus(gatedHandle);
  expect({ phase: now.phase, approvals: now.approvals }).toEqual({ phase: 'gate', approvals: [] });

  // Alice's own approval counts once; the same token again, or Alice again, does not.
  const first = await approve(alice);
  expect(first.answer).toMatchObject({
    rejected: false,
    accepted: true,
    message: expect.stringMatching(/1 of 2/),
  });
  refused((await approve(alice, {}, first.token)).answer, /already used/);
  refused((await approve({ subject: 'bob', role: 'sre' }, {}, first.token)).answer, /already used/);
  refused((await approve(alice)).answer, /already approved/);
  now = await releaseStatus(gatedHandle);
  expect({ phase: now.phase, approvals: now.approvals.map((a) => [a.subject, a.planHash]) }).toEqual({
    phase: 'gate',
    approvals: [['alice', planHash]],
  });
  expect(journalOf(gated.services[0]!, releaseId)).toEqual([]);
  const denied = stack.audit(gatedHandle.workflowId).filter((r) => r.kind === 'action-denied');
  expect(denied.length).toBeGreaterThanOrEqual(1);

  // A second, distinct approver completes the quorum: the release rolls back its culprit, and only it.
  const second = await approve(carol);
  expect(second.answer).toMatchObject({
    rejected: false,
    accepted: true,
    message: expect.stringMatching(/2 of 2/),
  });
  const result = (await gatedHandle.result()) as { outcome: string; rolledBack: string[]; planHash?: string };
  expect(result).toMatchObject({
    outcome: 'rolled-back',
    rolledBack: [gated.services[0]],
    planHash,
    members: { [gated.services[0]!]: 'rolled-back', [gated.services[1]!]: 'promoted' },
  });
  expect(journalOf(gated.services[0]!, releaseId).length).toBeGreaterThan(0);
  expect(journalOf(gated.services[1]!, releaseId)).toEqual([]);
});

test("where the members' policies allow it, the deployer's own approval of the release's rollback counts (once)", async () => {
  const status = await stack.waitFor(
    selfAllowedHandle,
    "the release's approval gate",
    (s) => s.phase === 'gate' && s.plan !== undefined,
    60_000,
  );
  const planHash = status.plan!.planHash;
  const token = await stack.token({
    subject: 'dave',
    roles: ['sre'],
    action: 'approve',
    deployment: selfAllowed.input.releaseId,
    plan: planHash,
  });
  const answer = await stack.update(selfAllowedHandle, 'approve', {
    actor: 'dave',
    role: 'sre',
    planHash,
    token,
  });
  expect(answer).toMatchObject({ rejected: false, accepted: true, message: expect.stringMatching(/1 of 2/) });
  // Once: the deployer again, with a fresh token, is still one person.
  const again = await stack.update(selfAllowedHandle, 'approve', {
    actor: 'dave',
    role: 'sre',
    planHash,
    token: await stack.token({
      subject: 'dave',
      roles: ['sre'],
      action: 'approve',
      deployment: selfAllowed.input.releaseId,
      plan: planHash,
    }),
  });
  expect(again).toMatchObject({
    rejected: false,
    accepted: false,
    message: expect.stringMatching(/already approved/),
  });
  const after = await releaseStatus(selfAllowedHandle);
  expect({ phase: after.phase, approvals: after.approvals.map((a) => a.subject) }).toEqual({
    phase: 'gate',
    approvals: ['dave'],
  });
  // One person is still one approval: the quorum of two holds the rollback.
  expect(journalOf(selfAllowed.services[0]!, selfAllowed.input.releaseId)).toEqual([]);
});

/** Signed by an owner who is not the deployer: what a person sends to end an escalated release. */
async function abortRelease(handle: WorkflowHandle, releaseId: string) {
  const token = await stack.token({
    subject: 'olivia',
    roles: [OWNER_TEAM],
    action: 'abort',
    deployment: releaseId,
  });
  return stack.update(handle, 'abort', {
    actor: 'olivia',
    role: OWNER_TEAM,
    reason: 'member replaced',
    token,
  });
}

/**
 * The older release, one of whose members was superseded: it notices a member
 * closed without its order, holds the rest and escalates (it does not hang,
 * nor roll anything back), and a person can end it.
 */
async function expectReleaseNoticed(prepared: Prepared, handle: WorkflowHandle, supersededBy: string) {
  const superseded = stack.raw(memberId(prepared, 0));
  const closed = (await superseded.result()) as { outcome: string; reason: string };
  expect(closed).toEqual(
    expect.objectContaining({ outcome: 'aborted', reason: `superseded by ${supersededBy}` }),
  );
  const escalated = await stack.waitFor(handle, 'escalation', (s) => s.phase === 'escalated', 30_000);
  const release = await releaseStatus(handle);
  expect({
    phase: escalated.phase,
    verdicts: release.release.verdicts,
    rolledBack: release.release.rolledBack,
    held: release.release.members[1]!.state,
  }).toEqual({ phase: 'escalated', verdicts: [], rolledBack: [], held: 'held' });
  // The member kept is held, and says why: its fellow member closed without an order.
  // (It reads the order back from its release with an activity: a moment after the release escalated.)
  const kept = await stack.waitFor(
    stack.raw(memberId(prepared, 1)),
    'its hold order',
    (s) => s.phase !== 'watch',
    30_000,
  );
  expect({ phase: kept.phase, waiting: kept.waiting?.for }).toEqual({
    phase: 'escalated',
    waiting: expect.stringContaining(
      `member ${prepared.services[0]} closed without an order from the release (aborted: superseded by ${supersededBy})`,
    ),
  });
  expect(journalOf(prepared.services[0]!, prepared.input.releaseId)).toEqual([]);
  expect(journalOf(prepared.services[1]!, prepared.input.releaseId)).toEqual([]);

  expect(await abortRelease(handle, prepared.input.releaseId)).toMatchObject({
    rejected: false,
    accepted: true,
  });
  const result = (await handle.result()) as { outcome: string; rolledBack: string[] };
  expect(result).toMatchObject({
    outcome: 'aborted',
    rolledBack: [],
    members: { [prepared.services[0]!]: 'aborted', [prepared.services[1]!]: 'aborted' },
  });
}

test("a newer guardian of a member's service supersedes the member; the release notices, holds the rest and escalates", async () => {
  const prepared = replacedByGuardian;
  const service = prepared.services[0]!;
  await memberWaiting(prepared, 0);
  // The next deployment of the service, guarded alone and live (as a pipeline starts it).
  const loaded = await stack.policy({ service });
  const input: GuardianInput = {
    deployment: {
      deploymentId: `next-${rand()}`,
      service,
      environment: 'production',
      version: '2.1.0',
      previousVersion: '2.0.0',
      deployedAt: new Date().toISOString(),
      deployer: 'dana',
    },
    ...replaySourced(loaded, prepared.file, service),
    speed: SPEED,
  };
  const newer = await startGuardian(stack.client, stack.taskQueue, input);
  started.push(newer);
  await expectReleaseNoticed(prepared, replacedByGuardianHandle, newer.workflowId);
  // The newer guardian goes on guarding its deployment.
  expect((await stack.status(stack.raw(newer.workflowId))).phase).toMatch(/^(watch|confirm)$/);
});

test("a second release of a member's service supersedes the older release's member; the older notices and escalates, the newer watches on", async () => {
  const prepared = replacedByRelease;
  await memberWaiting(prepared, 0);
  // The next release ships the first member's service again, alone.
  const next = await prepareRelease({ name: 'next', members: 1, live: true, watchIntervals: LENGTH - 10 });
  const service = prepared.services[0]!;
  const loaded = await stack.policy({ service });
  next.input.members[0] = {
    ...next.input.members[0]!,
    deployment: { ...next.input.members[0]!.deployment, service, version: '2.1.0', previousVersion: '2.0.0' },
    ...replaySourced(loaded, prepared.file, service),
  };
  next.services[0] = service;
  const nextHandle = await start(next);
  await expectReleaseNoticed(prepared, replacedByReleaseHandle, memberId(next, 0));
  const newer = await releaseStatus(nextHandle);
  expect({ phase: newer.phase, states: newer.release.members.map((m) => m.state) }).toEqual({
    phase: 'watch',
    states: ['watching'],
  });
  expect(await stack.status(stack.raw(memberId(next, 0)))).toMatchObject({ phase: 'watch' });
});

test('the release still orders its members: after the forged signals, both are promoted at the end of its watch', async () => {
  const closed = await stack.waitFor(
    forgedHandle,
    'the end of its watch',
    (s) => s.phase === 'close' || s.phase === 'escalated',
    60_000,
  );
  expect({ phase: closed.phase, outcome: closed.outcome }).toEqual({ phase: 'close', outcome: 'promoted' });
  const result = (await forgedHandle.result()) as { outcome: string; rolledBack: string[]; members: unknown };
  expect(result).toMatchObject({
    outcome: 'promoted',
    rolledBack: [],
    members: { [forged.services[0]!]: 'promoted', [forged.services[1]!]: 'promoted' },
  });
  expect(journalOf(forged.services[0]!, forged.input.releaseId)).toEqual([]);
  const member = (await stack.raw(memberId(forged, 0)).result()) as { outcome: string; reason: string };
  expect(member).toMatchObject({ outcome: 'promoted', reason: expect.stringContaining(forged.input.name) });
});
