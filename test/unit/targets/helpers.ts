import { buildRollbackPlan } from '../../../src/activities/plan/build';
import type { RollbackPlan } from '../../../src/model/plan';
import type { StepContext } from '../../../src/targets';
import type { DeploymentInfo } from '../../../src/model/guardian';
import { deploymentFor, examplePolicy, fixedNow } from '../activities/helpers';

export { tempDir } from '../activities/helpers';

/** A real plan from an example policy, built the way the guardian builds it. */
export async function examplePlan(
  name: string,
  options: { elapsedSeconds?: number; deployment?: Partial<DeploymentInfo> } = {},
): Promise<{ plan: RollbackPlan; deployment: DeploymentInfo }> {
  const { policy, hash } = await examplePolicy(name);
  const deployment = deploymentFor(policy, options.deployment);
  const plan = await buildRollbackPlan(fixedNow)({
    deployment,
    policy,
    policyHash: hash,
    decision: { decision: 'rollback', decidedAtIndex: 5, reason: 'test' },
    trigger: 'automatic',
    elapsedSeconds: options.elapsedSeconds ?? 0,
    strongEvidence: false,
  });
  return { plan, deployment };
}

/** A step context outside any activity; heartbeats are collected for the test to read. */
export function testContext(
  deployment: DeploymentInfo,
  planHash: string,
): StepContext & { beats: unknown[] } {
  const beats: unknown[] = [];
  return {
    deployment,
    planHash,
    beats,
    heartbeat: (details) => beats.push(details),
    sleep: async () => undefined,
    signal: new AbortController().signal,
  };
}
