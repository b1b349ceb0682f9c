import type { PlannedStep, ResolvedAction } from '../../../../src/model/plan';
import { stepIdempotencyKey } from '../../../../src/activities/plan/idempotency';
import type { SecretProvider } from '../../../../src/security/secrets';
import type { DeploymentInfo } from '../../../../src/model/guardian';

/** Shared by the Unleash and webhook target tests (unit and integration). */

export const PLAN_HASH = 'c'.repeat(64);

export function deployment(overrides: Partial<DeploymentInfo> = {}): DeploymentInfo {
  return {
    deploymentId: `d-${Math.random().toString(16).slice(2, 10)}`,
    service: 'checkout',
    environment: 'production',
    version: '2.0.0',
    previousVersion: '1.9.0',
    deployedAt: '2030-01-01T00:00:00Z',
    ...overrides,
  };
}

/** A step as the plan builder makes it, with the key the step activity checks. */
export function plannedStep(
  deploymentInfo: DeploymentInfo,
  action: ResolvedAction,
  overrides: Partial<PlannedStep> = {},
): PlannedStep {
  const index = overrides.index ?? 0;
  return {
    index,
    name: action.type,
    idempotencyKey: stepIdempotencyKey(deploymentInfo.deploymentId, PLAN_HASH, index),
    action,
    timeoutSeconds: 60,
    retries: { maxAttempts: 3, initialSeconds: 1, multiplier: 2, maxSeconds: 10 },
    verify: { targetState: true, signals: [], settleSeconds: 0, timeoutSeconds: 60 },
    irreversible: false,
    ...overrides,
  };
}

/** Secrets held in memory, as a worker would resolve them from its environment. */
export function secrets(values: Record<string, string>): SecretProvider {
  return {
    get: (name) => values[name],
    describe: (name) => `test secret ${name}`,
  };
}
