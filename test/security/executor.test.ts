import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { authorizeAction } from '../../src/activities/authorize';
import { createWorker } from '../../src/worker';
import { buildRollbackPlan } from '../../src/activities/plan/build';
import { stepIdempotencyKey } from '../../src/activities/plan/idempotency';
import { planHashOf } from '../../src/activities/plan/plan-hash';
import { temporalTokenClaims } from '../../src/activities/token-claim';
import type { AuthorizeInput, BuildPlanInput } from '../../src/model/activity-contract';
import type { DeploymentInfo, GuardianStatus } from '../../src/model/guardian';
import type { PlannedStep } from '../../src/model/plan';
import { executeTaskQueue } from '../../src/model/planes';
import type { LoadedPolicy } from '../../src/policy';
import { generateActionKey } from '../../src/security/action-keys';
import { issueActionToken, JoseActionTokenVerifier } from '../../src/security/action-tokens';
import type { ForgedInput, ForgedResult, ForgedStep } from '../harness/forged-decide-workflow';
import { KID, SecurityStack } from '../harness/security-stack';

/**
 * The execute plane checks before it acts (issue #21). The stack's worker is
 * a decide plane; this file serves `<queue>--execute--production` itself with
 * the execute plane's step activities (checkedStepActivities over the
 * recording target), with its own Temporal client, its own copy of the
 * trusted keys and its own audit trail: the plane as `ripcord worker --plane
 * execute` runs it.
 *
 * A forged decide plane (test/harness/forged-decide-workflow.ts: the
 * attacker's own workflow code under the type `guardian`, on a task queue of
 * the attacker's own) schedules executeStep on that queue directly:
 * - a step outside any plan it recorded (a recorded plan's step altered; a
 *   plan of its own making, hashed right, never recorded);
 * - a step of a deployment in another environment;
 * - a step of a high-risk plan with too few valid approvals (one valid, one
 *   signed by the attacker's own key under the trusted key id, one genuine but
 *   bound to another plan);
 * - a step from a workflow that is not a guardian at all.
 * Each is refused (non-retryable, naming the check), audited by the executor
 * as `step-refused`, and the target never saw it. The same forged plane with
 * two genuine approvals, and a real guardian's rollback through the decide
 * plane, do run: the checks refuse what is forged, not the executor's work.
 */
jest.setTimeout(240_000);

const stack = new SecurityStack();
const ENV = 'production';
const rand = () => randomUUID().slice(0, 8);

let executeQueue = '';
let forgedQueue = '';
let auditFile = '';
let journalFile = '';
let attackerKey: Awaited<ReturnType<typeof generateActionKey>>;
const workers: Array<{ worker: Worker; running: Promise<void> }> = [];
let connection: NativeConnection | undefined;
const started: WorkflowHandle[] = [];
let closeExecutor: (() => Promise<void>) | undefined;

beforeAll(async () => {
  await stack.start({ name: 'executor', plane: 'decide' });
  executeQueue = executeTaskQueue(stack.taskQueue, ENV);
  forgedQueue = `forged-decide-${rand()}`;
  auditFile = join(stack.dir, 'executor', 'audit.jsonl');
  journalFile = join(stack.dir, 'executor', 'journal.jsonl');
  attackerKey = await generateActionKey(KID);
  connection = await NativeConnection.connect({ address: stack.server!.address });

  // The execute plane as `ripcord worker --plane execute --environment production --dry-run` composes it:
  // its own client, its own keys (the issuer's published JWKS), its own trail and (recording) targets.
  const executor = await createWorker({
    connection: {
      profileName: 'executor',
      address: stack.server!.address,
      namespace: 'default',
      taskQueue: stack.taskQueue,
    },
    plane: 'execute',
    environment: ENV,
    depsOptions: {
      stateDir: join(stack.dir, 'executor'),
      dryRun: true,
      journalFile,
      pauseScale: 0,
      approvalKeys: join(stack.dir, 'keys', 'jwks.json'),
    },
  });
  closeExecutor = executor.close;
  const execute = executor.worker;

  // The forged decide plane: the attacker's workflows, the real plan builder, and an authorizeAction that claims
  // tokens like the real one (its answer does not matter: the forged guardian goes on whatever it says).
  const forged = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: forgedQueue,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: resolve(__dirname, '..', 'harness', 'forged-decide-workflow.ts'),
      logger: new DefaultLogger('ERROR'),
    }),
    activities: {
      buildRollbackPlan: buildRollbackPlan(() => new Date()),
      authorizeAction: authorizeAction(
        new JoseActionTokenVerifier({ keys: join(stack.dir, 'keys', 'jwks.json') }),
        temporalTokenClaims(stack.client),
      ),
    },
  });
  for (const worker of [execute, forged]) workers.push({ worker, running: worker.run() });
}, 240_000);

afterAll(async () => {
  for (const handle of started) await handle.terminate('security test over').catch(() => undefined);
  for (const { worker } of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  for (const { running } of workers) await running.catch(() => undefined);
  await connection?.close().catch(() => undefined);
  await closeExecutor?.().catch(() => undefined);
  await stack.stop();
}, 60_000);

// ---- the attacker's side ---------------------------------------------------------------

interface Forgery {
  workflowId: string;
  deployment: DeploymentInfo;
  loaded: LoadedPolicy;
  buildPlan: BuildPlanInput;
  /** The plan hash the real builder gives for buildPlan (createdAt is not hashed). */
  planHash: string;
}

async function forgery(options: { environment?: string; highRisk?: boolean } = {}): Promise<Forgery> {
  const environment = options.environment ?? ENV;
  const loaded = await stack.policy({ environment, ...(options.highRisk ? { highRisk: true } : {}) });
  const deploymentId = `forged-${rand()}`;
  const deployment: DeploymentInfo = {
    deploymentId,
    service: loaded.policy.metadata.service,
    environment,
    version: '2.0.0',
    previousVersion: '1.9.0',
    deployer: 'mallory',
    deployedAt: new Date().toISOString(),
  };
  const buildPlan: BuildPlanInput = {
    deployment,
    policy: loaded.policy,
    policyHash: loaded.hash,
    decision: { decision: 'rollback', decidedAtIndex: 3, reason: 'forged', signal: 'error-rate' },
    trigger: 'manual',
    elapsedSeconds: 0,
    strongEvidence: false,
  };
  const plan = await buildRollbackPlan(() => new Date())(buildPlan);
  const workflowId = `ripcord/${environment}/${deployment.service}/${deploymentId}`;
  return { workflowId, deployment, loaded, buildPlan, planHash: plan.planHash };
}

/** An approve request as a guardian's handler passes it to authorizeAction. */
async function approveRequest(
  f: Forgery,
  n: number,
  who: { subject: string; role: string; tokenPlan?: string; forgedKey?: boolean },
): Promise<AuthorizeInput> {
  const token = await issueActionToken({
    privateJwk: who.forgedKey ? attackerKey.privateJwk : stack.privateJwk,
    subject: who.subject,
    roles: [who.role],
    action: 'approve',
    deployment: f.workflowId,
    plan: who.tokenPlan ?? f.planHash,
    ttlSeconds: 600,
    issuer: 'security-tier',
  });
  return {
    workflowId: f.workflowId,
    deployment: f.deployment,
    action: 'approve',
    request: { actor: who.subject, role: who.role, planHash: f.planHash, token },
    ...(f.loaded.policy.approval ? { approval: f.loaded.policy.approval } : {}),
    owners: f.loaded.policy.metadata.owners,
    planHash: f.planHash,
    trustedKeyIds: [KID],
    requestNonce: `${f.workflowId}#r${n}`,
  };
}

/** Runs the forged decide plane's script as a workflow of type `type` and returns what each step got. */
async function attack(
  f: Forgery,
  script: { steps: ForgedStep[]; approvals?: AuthorizeInput[]; build?: boolean },
  type: 'guardian' | 'forgedStepSender' = 'guardian',
): Promise<ForgedResult> {
  const input: ForgedInput = {
    deployment: f.deployment,
    policy: f.loaded.policy,
    policyHash: f.loaded.hash,
    forged: {
      executeTaskQueue: executeQueue,
      ...(script.build !== false ? { buildPlan: f.buildPlan } : {}),
      approvals: script.approvals ?? [],
      steps: script.steps,
    },
  };
  const handle = await stack.client.workflow.start(type, {
    workflowId: type === 'guardian' ? f.workflowId : `forged-sender/${rand()}`,
    taskQueue: forgedQueue,
    args: [input],
    workflowExecutionTimeout: '3 minutes',
  });
  started.push(handle);
  return (await handle.result()) as ForgedResult;
}

// ---- the executor's side ---------------------------------------------------------------

interface Refusal {
  workflowId: string;
  kind: string;
  actor: string;
  details: { check: string; reason: string; index: number; planHash: string; activity: string };
}

function refusals(workflowId: string): Refusal[] {
  if (!existsSync(auditFile)) return [];
  return readFileSync(auditFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Refusal)
    .filter((r) => r.kind === 'step-refused' && r.workflowId === workflowId);
}

/** What the recording target did for a deployment (what the dry-run production saw). */
function journal(deploymentId: string): Array<{ kind: string }> {
  if (!existsSync(journalFile)) return [];
  return readFileSync(journalFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { kind: string; scope: { deploymentId: string } })
    .filter((e) => e.scope.deploymentId === deploymentId);
}

function expectRefused(result: ForgedResult['results'][number], check: string): void {
  expect(result).toMatchObject({
    ok: false,
    type: 'PermanentStepError',
    nonRetryable: true,
    message: expect.stringContaining(`refused by the execute plane of production (check: ${check}): `),
  });
}

// ---- attacks ---------------------------------------------------------------------------

test('(a) a step outside the plan the forged guardian recorded is refused, audited, and never applied', async () => {
  const f = await forgery();
  // A plan of the attacker's own making: traffic back to 50%, hashed and keyed right, but never recorded.
  const own = await buildRollbackPlan(() => new Date())(f.buildPlan);
  const invented = {
    ...own.steps[0]!,
    action: { type: 'shift-traffic', weights: [50], pauseSeconds: 0 },
  } as PlannedStep;
  const inventedHash = planHashOf({ ...own, steps: [invented] });
  invented.idempotencyKey = stepIdempotencyKey(f.deployment.deploymentId, inventedHash, 0);

  const { planHash, results } = await attack(f, {
    steps: [
      // The recorded plan's step 0, with its stages changed to end at 50%.
      {
        fromPlan: {
          index: 0,
          override: { action: { type: 'shift-traffic', weights: [50], pauseSeconds: 15 } },
        },
      },
      { step: invented, planHash: inventedHash },
    ],
  });
  expect(planHash).toBe(f.planHash);
  expectRefused(results[0]!, 'plan');
  expect(results[0]).toMatchObject({ message: expect.stringContaining('step.action.weights.0 differs') });
  expectRefused(results[1]!, 'plan');
  expect(results[1]).toMatchObject({
    message: expect.stringContaining(`no plan ${inventedHash} is recorded`),
  });
  expect(refusals(f.workflowId).map((r) => [r.details.check, r.details.planHash, r.actor])).toEqual([
    ['plan', f.planHash, 'executor/production'],
    ['plan', inventedHash, 'executor/production'],
  ]);
  expect(journal(f.deployment.deploymentId)).toEqual([]);
});

test('(b) a step for a deployment in another environment is refused, audited, and never applied', async () => {
  const f = await forgery({ environment: 'staging' });
  const { results } = await attack(f, { steps: [{ fromPlan: { index: 0 } }] });
  expectRefused(results[0]!, 'environment');
  expect(results[0]).toMatchObject({
    message: expect.stringContaining(
      'the deployment is in environment "staging"; this executor serves "production" only',
    ),
  });
  expect(refusals(f.workflowId).map((r) => r.details.check)).toEqual(['environment']);
  expect(journal(f.deployment.deploymentId)).toEqual([]);
});

test('(c) a high-risk plan with one valid approval, one forged and one for another plan is refused, audited, never applied', async () => {
  const f = await forgery({ highRisk: true });
  const approvals = [
    await approveRequest(f, 1, { subject: 'bob', role: 'sre' }),
    // Signed by the attacker's own key under the trusted key id.
    await approveRequest(f, 2, { subject: 'carol', role: 'billing-lead', forgedKey: true }),
    // Genuine, but bound to another plan, sent in a request that names this one.
    await approveRequest(f, 3, {
      subject: 'erin',
      role: 'billing-lead',
      tokenPlan: `sha256:${'7'.repeat(64)}`,
    }),
  ];
  const { planHash, results } = await attack(f, { approvals, steps: [{ fromPlan: { index: 0 } }] });
  expect(planHash).toBe(f.planHash);
  expectRefused(results[0]!, 'approvals');
  const message = (results[0] as { message: string }).message;
  expect(message).toContain('needs 2 approval(s) from sre, billing-lead');
  expect(message).toContain("1 verifies with this executor's keys (bob)");
  expect(message).toContain('the signature does not verify');
  expect(message).toContain('the token is bound to plan sha256:7777');
  expect(message).not.toMatch(/eyJ/); // no token in the refusal
  const [record] = refusals(f.workflowId);
  expect(record).toMatchObject({ details: { check: 'approvals', planHash: f.planHash, index: 0 } });
  expect(readFileSync(auditFile, 'utf8')).not.toMatch(/eyJ[\w-]+\.eyJ/);
  expect(journal(f.deployment.deploymentId)).toEqual([]);
});

test('a workflow that is not a guardian is refused as the caller, even with a recorded plan', async () => {
  const f = await forgery();
  const handleId = await attack(f, { steps: [{ fromPlan: { index: 0 } }] }, 'forgedStepSender');
  expectRefused(handleId.results[0]!, 'caller');
  expect(journal(f.deployment.deploymentId)).toEqual([]);
});

test('the same forged plane with two genuine approvals of its recorded high-risk plan does run: the checks refuse forgeries, not work', async () => {
  const f = await forgery({ highRisk: true });
  const approvals = [
    await approveRequest(f, 1, { subject: 'bob', role: 'sre' }),
    await approveRequest(f, 2, { subject: 'carol', role: 'billing-lead' }),
  ];
  const { results } = await attack(f, { approvals, steps: [{ fromPlan: { index: 0 } }] });
  expect(results).toEqual([{ ok: true, outcome: expect.objectContaining({ applied: true }) }]);
  expect(refusals(f.workflowId)).toEqual([]);
  expect(journal(f.deployment.deploymentId).map((e) => e.kind)).toContain('applied');
});

test("a real guardian's high-risk rollback, decided on the decide plane and approved by two people, runs through the checks", async () => {
  const loaded = await stack.policy({ highRisk: true });
  const deploymentId = `real-${rand()}`;
  const handle = await stack.guardian(loaded, { health: 'regression', deploymentId });
  const atGate = await stack.waitFor(
    handle,
    'the approval gate',
    (s) => s.phase === 'gate' && !!s.plan,
    150_000,
  );
  const planHash = atGate.plan!.planHash;
  for (const [subject, role] of [
    ['bob', 'sre'],
    ['carol', 'billing-lead'],
  ] as const) {
    const token = await stack.token({
      subject,
      roles: [role],
      action: 'approve',
      deployment: deploymentId,
      plan: planHash,
    });
    expect(await stack.update(handle, 'approve', { actor: subject, role, planHash, token })).toMatchObject({
      accepted: true,
    });
  }
  const closed: GuardianStatus = await stack.waitFor(
    handle,
    'its close',
    (s) => s.phase === 'close',
    150_000,
  );
  expect({ outcome: closed.outcome, refused: refusals(handle.workflowId) }).toEqual({
    outcome: 'rolled-back',
    refused: [],
  });
  expect(closed.plan?.steps.map((s) => s.state)).toEqual(closed.plan?.steps.map(() => 'done'));
  expect(journal(deploymentId).filter((e) => e.kind === 'applied').length).toBe(atGate.plan!.steps.length);
});
