import path from 'node:path';
import type { JWK } from 'jose';
import { buildRollbackPlan } from '../../../../src/activities/plan/build';
import { buildReleasePlan } from '../../../../src/activities/release';
import type { ExecutorHistory, ExecutorRun } from '../../../../src/activities/executor/history';
import type { ActivityCall } from '../../../../src/client/workflow-history';
import type { AuthorizeInput, BuildPlanInput } from '../../../../src/model/activity-contract';
import {
  GUARDIAN_WORKFLOW_TYPE,
  guardianWorkflowId,
  type GuardianInput,
} from '../../../../src/model/guardian';
import type { RollbackPlan, StepInput } from '../../../../src/model/plan';
import {
  RELEASE_WORKFLOW_TYPE,
  releaseWorkflowId,
  type ReleaseInput,
  type ReleasePlan,
} from '../../../../src/model/release';
import { contentHash, type Policy } from '../../../../src/policy';
import { generateActionKey, writeActionKey } from '../../../../src/security/action-keys';
import { issueActionToken, JoseActionTokenVerifier } from '../../../../src/security/action-tokens';
import { dryRunTargetRegistry, RecordingTarget, type TargetRegistry } from '../../../../src/targets';
import { deploymentFor, examplePolicy, tempDir, viaJson } from '../helpers';

/**
 * A guardian's history as the executor's checks read it, made by hand: a
 * policy, the plan its real builder makes, the runs that hold them, and
 * approvals signed with a key the executor trusts. Tests change one thing and
 * see which check refuses.
 */

export const NOW = new Date('2026-01-01T12:00:00Z');
export const PLAN_AT = '2026-01-01T11:59:00.000Z';
export const KID = 'oncall';
export const RUN_ID = 'run-1';

export class FakeHistory implements ExecutorHistory {
  readonly types = new Map<string, string>();
  readonly runs = new Map<string, ExecutorRun>();
  /** Token id → claimedBy. */
  readonly claims = new Map<string, string>();
  readonly reads: string[] = [];

  add(run: ExecutorRun, type: string): ExecutorRun {
    this.types.set(`${run.workflowId}\n${run.runId}`, type);
    this.runs.set(`${run.workflowId}\n${run.runId}`, run);
    return run;
  }

  workflowType(workflowId: string, runId: string): Promise<string | undefined> {
    return Promise.resolve(this.types.get(`${workflowId}\n${runId}`));
  }

  run(workflowId: string, runId: string): Promise<ExecutorRun> {
    this.reads.push(`${workflowId}@${runId}`);
    const run = this.runs.get(`${workflowId}\n${runId}`);
    return run
      ? Promise.resolve(viaJson(run))
      : Promise.reject(new Error(`no run ${runId} of ${workflowId}`));
  }

  tokenClaimedBy(tokenId: string): Promise<string | undefined> {
    return Promise.resolve(this.claims.get(tokenId));
  }
}

export interface Keys {
  privateJwk: JWK;
  /** A key of its own under the same key id: what a forger signs with. */
  forgedJwk: JWK;
  verifier: JoseActionTokenVerifier;
}

let keys: Promise<Keys> | undefined;

/** One trusted key pair (and one forger's) per test file, in a JWKS file as the worker reads it. */
export function trustedKeys(): Promise<Keys> {
  keys ??= (async () => {
    const dir = tempDir('ripcord-executor-keys-');
    const key = await generateActionKey(KID);
    await writeActionKey(dir, key);
    const forged = await generateActionKey(KID);
    return {
      privateJwk: key.privateJwk,
      forgedJwk: forged.privateJwk,
      verifier: new JoseActionTokenVerifier({ keys: path.join(dir, 'jwks.json'), now: () => NOW }),
    };
  })();
  return keys;
}

export function call(type: string, at: string, fields: Partial<ActivityCall> = {}): ActivityCall {
  return { type, scheduledAt: at, startedAt: at, closedAt: at, attempt: 1, state: 'completed', ...fields };
}

export interface World {
  policy: Policy;
  guardian: GuardianInput;
  guardianId: string;
  plan: RollbackPlan;
  run: ExecutorRun;
  history: FakeHistory;
  caller: { workflowId: string; runId: string; workflowType: string };
  targets: TargetRegistry;
  /** The plan's step `index` as the guardian would send it. */
  stepInput(index?: number): StepInput;
}

export interface WorldOptions {
  example?: 'canary.yaml' | 'with-migration.yaml';
  editPolicy?: (policy: Policy) => Policy;
}

export function buildInput(guardian: GuardianInput): BuildPlanInput {
  return {
    deployment: guardian.deployment,
    policy: guardian.policy,
    policyHash: guardian.policyHash,
    decision: { decision: 'rollback', decidedAtIndex: 4, reason: 'errors regressed', signal: 'error-rate' },
    trigger: 'automatic',
    elapsedSeconds: 0,
    strongEvidence: false,
  };
}

/** A guardian of the example policy (canary.yaml: normal risk; with-migration.yaml: high) with its plan recorded. */
export async function world(options: WorldOptions = {}): Promise<World> {
  const { policy: loaded } = await examplePolicy(options.example ?? 'canary.yaml');
  const policy = (options.editPolicy ?? ((p) => p))(structuredClone(loaded));
  const deployment = deploymentFor(policy, { deployer: 'dave' });
  const guardian: GuardianInput = viaJson({ deployment, policy, policyHash: contentHash(policy) });
  const guardianId = guardianWorkflowId(deployment);
  const plan = viaJson(await buildRollbackPlan(() => new Date(PLAN_AT))(buildInput(guardian)));
  const history = new FakeHistory();
  const run = history.add(
    {
      workflowId: guardianId,
      runId: RUN_ID,
      input: guardian,
      calls: [call('buildRollbackPlan', PLAN_AT, { result: plan })],
    },
    GUARDIAN_WORKFLOW_TYPE,
  );
  const targets = dryRunTargetRegistry(new RecordingTarget({ journalFile: path.join(tempDir(), 'j.jsonl') }));
  return {
    policy,
    guardian,
    guardianId,
    plan,
    run,
    history,
    caller: { workflowId: guardianId, runId: RUN_ID, workflowType: GUARDIAN_WORKFLOW_TYPE },
    targets,
    stepInput: (index = 0) =>
      viaJson({ deployment: guardian.deployment, planHash: plan.planHash, step: plan.steps[index]! }),
  };
}

export interface ApproveOptions {
  subject: string;
  role: string;
  /** The workflow the request was sent to (default: the world's guardian). */
  workflowId?: string;
  deployment?: string;
  /** The plan the token and the request name. */
  planHash: string;
  /** Sign with the forger's key under the trusted key id. */
  forged?: boolean;
  ttlSeconds?: number;
  /** When the token was issued (default: a minute before NOW). */
  issuedAt?: Date;
  /** When Temporal recorded the request (default: the token's issue time). */
  scheduledAt?: string;
  /** Who claims the token id (default: the request itself); null: nobody claimed it. */
  claimedBy?: string | null;
}

let requests = 0;

/** An approve request in `run`'s history, as the guardian's handler sends it to authorizeAction. */
export async function approve(
  w: Pick<World, 'history'>,
  run: ExecutorRun,
  options: ApproveOptions,
): Promise<string> {
  const k = await trustedKeys();
  const issuedAt = options.issuedAt ?? new Date(NOW.getTime() - 60_000);
  const workflowId = options.workflowId ?? run.workflowId;
  const { planHash } = options;
  const tokenId = `jti-${++requests}`;
  const token = await issueActionToken({
    privateJwk: options.forged ? k.forgedJwk : k.privateJwk,
    subject: options.subject,
    roles: [options.role],
    action: 'approve',
    deployment: options.deployment ?? workflowId,
    plan: planHash,
    ttlSeconds: options.ttlSeconds ?? 600,
    issuer: 'test',
    tokenId,
    now: () => issuedAt,
  });
  const nonce = `${workflowId}#r${requests}`;
  const input: Partial<AuthorizeInput> = {
    workflowId,
    action: 'approve',
    request: { actor: options.subject, role: options.role, planHash, token },
    trustedKeyIds: [KID],
    planHash,
    requestNonce: nonce,
  };
  run.calls.push(call('authorizeAction', options.scheduledAt ?? issuedAt.toISOString(), { input }));
  if (options.claimedBy !== null) w.history.claims.set(tokenId, options.claimedBy ?? nonce);
  return tokenId;
}

export interface ReleaseWorld extends World {
  release: ReleaseInput;
  releaseId: string;
  releaseRun: ExecutorRun;
  releasePlan: ReleasePlan;
}

/** A member guardian of a one-member release, ordered to roll back with its part of the release plan. */
export async function memberWorld(options: WorldOptions = {}): Promise<ReleaseWorld> {
  const base = await world(options);
  const releaseId = base.guardian.deployment.deploymentId;
  const release: ReleaseInput = viaJson({
    releaseId,
    name: 'shop',
    environment: base.guardian.deployment.environment,
    mode: 'independent',
    deployer: 'dave',
    startedAt: base.guardian.deployment.deployedAt,
    members: [
      {
        deployment: base.guardian.deployment,
        policy: base.guardian.policy,
        policyHash: base.guardian.policyHash,
        dependsOn: [],
      },
    ],
    outside: [],
    settleSeconds: 60,
  });
  const releaseWf = releaseWorkflowId(release);
  const releasePlan = viaJson(
    await buildReleasePlan(buildRollbackPlan(() => new Date(PLAN_AT)))({
      releaseId,
      members: [buildInput(base.guardian)],
    }),
  );
  const plan = releasePlan.members[0]!.plan;
  const releaseRun = base.history.add(
    {
      workflowId: releaseWf,
      runId: 'release-run-1',
      input: release,
      calls: [call('buildReleasePlan', PLAN_AT, { result: releasePlan })],
    },
    RELEASE_WORKFLOW_TYPE,
  );
  const guardian: GuardianInput = { ...base.guardian, release: { releaseWorkflowId: releaseWf, releaseId } };
  const run = base.history.add(
    {
      workflowId: base.guardianId,
      runId: RUN_ID,
      input: guardian,
      parent: { workflowId: releaseWf, runId: 'release-run-1' },
      calls: [
        call('confirmMemberOrder', PLAN_AT, {
          result: {
            seq: 1,
            order: {
              kind: 'rollback',
              plan,
              releasePlanHash: releasePlan.planHash,
              fromIndex: 5,
              reason: 'x',
            },
            reason: 'ordered',
          },
        }),
      ],
    },
    GUARDIAN_WORKFLOW_TYPE,
  );
  return {
    ...base,
    guardian,
    plan,
    run,
    release,
    releaseId,
    releaseRun,
    releasePlan,
    stepInput: (index = 0) =>
      viaJson({ deployment: guardian.deployment, planHash: plan.planHash, step: plan.steps[index]! }),
  };
}
