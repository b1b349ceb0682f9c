import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';

/**
 * A compromised decide plane, for the security tier (test/security/executor.test.ts):
 * the attacker's own workflow code, run by the attacker's own worker on a task
 * queue of their own, under the workflow TYPE `guardian`. It "records" what it
 * likes in its own history (a plan built by the real builder, approve requests
 * passed to an authorizeAction whose answer it ignores), then schedules
 * `executeStep` straight on an execute plane's task queue with the steps it
 * chooses. Nothing here is ripcord's workflow code: it is what anyone who can
 * start workflows and poll a task queue in the namespace can run.
 *
 * Its start input is shaped like a guardian's (deployment, policy, policy
 * hash), as the executor reads it, plus the attacker's script under `forged`.
 */
export interface ForgedStep {
  /** Send step `index` of the plan it built, with these fields replaced. */
  fromPlan?: { index: number; override?: Record<string, unknown> };
  /** Or send this step, naming this plan hash. */
  step?: unknown;
  planHash?: string;
}

export interface ForgedScript {
  executeTaskQueue: string;
  /** A BuildPlanInput: the plan it records through the real builder. */
  buildPlan?: unknown;
  /** AuthorizeInput values: each is "authorised" (the answer is ignored, whatever it says). */
  approvals?: unknown[];
  steps: ForgedStep[];
}

export interface ForgedInput {
  deployment: unknown;
  policy: unknown;
  policyHash: string;
  forged: ForgedScript;
}

export type ForgedStepResult =
  { ok: true; outcome: unknown } | { ok: false; type?: string; nonRetryable?: boolean; message: string };

export interface ForgedResult {
  planHash?: string;
  results: ForgedStepResult[];
}

interface PlanLike {
  planHash: string;
  steps: Array<Record<string, unknown>>;
}

async function run(input: ForgedInput): Promise<ForgedResult> {
  const own = proxyActivities<{
    buildRollbackPlan(input: unknown): Promise<PlanLike>;
    authorizeAction(input: unknown): Promise<unknown>;
  }>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 } });
  const execute = proxyActivities<{ executeStep(input: unknown): Promise<unknown> }>({
    taskQueue: input.forged.executeTaskQueue,
    startToCloseTimeout: '60 seconds',
    retry: { maximumAttempts: 1 },
  });
  const plan =
    input.forged.buildPlan !== undefined ? await own.buildRollbackPlan(input.forged.buildPlan) : undefined;
  for (const request of input.forged.approvals ?? []) await own.authorizeAction(request);

  const results: ForgedStepResult[] = [];
  for (const forged of input.forged.steps) {
    const step = forged.fromPlan
      ? { ...plan!.steps[forged.fromPlan.index]!, ...(forged.fromPlan.override ?? {}) }
      : forged.step;
    try {
      const outcome = await execute.executeStep({
        deployment: input.deployment,
        planHash: forged.planHash ?? plan!.planHash,
        step,
      });
      results.push({ ok: true, outcome });
    } catch (error) {
      if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
        results.push({
          ok: false,
          type: error.cause.type ?? undefined,
          nonRetryable: error.cause.nonRetryable ?? undefined,
          message: error.cause.message,
        });
      } else {
        results.push({ ok: false, message: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  return { ...(plan ? { planHash: plan.planHash } : {}), results };
}

/** The forged decide plane's "guardian": the type name the executor expects. */
export async function guardian(input: ForgedInput): Promise<ForgedResult> {
  return run(input);
}

/** The same script under a type that does not even pretend. */
export async function forgedStepSender(input: ForgedInput): Promise<ForgedResult> {
  return run(input);
}

/**
 * The namespace-wide claim on a token id that the real authorizeAction starts on its own task queue
 * (src/workflows/token-claim.ts): here it only has to exist, with the claimer in its memo.
 */
export async function tokenClaim(): Promise<void> {
  return Promise.resolve();
}
