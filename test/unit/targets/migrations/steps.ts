import { stepIdempotencyKey } from '../../../../src/activities/plan/idempotency';
import type { PlannedStep } from '../../../../src/model/plan';
import type { SecretProvider } from '../../../../src/security/secrets';
import type { StepContext } from '../../../../src/targets';
import type { DeploymentInfo } from '../../../../src/model/guardian';

export const PLAN_HASH = 'c0ffee'.repeat(8);

export function deployment(service = 'checkout', deploymentId = 'build-481'): DeploymentInfo {
  return {
    deploymentId,
    service,
    environment: 'production',
    version: '2.0.0',
    previousVersion: '1.9.0',
    deployedAt: '2026-01-01T11:00:00Z',
  };
}

/** A down-migration step as the plan builder resolves it. */
export function downMigrationStep(
  migration: string,
  options: { reversible?: boolean; connectionSecret?: string; index?: number; deploymentId?: string } = {},
): PlannedStep {
  const reversible = options.reversible ?? true;
  const index = options.index ?? 0;
  return {
    index,
    name: `roll-back-${migration}`
      .slice(0, 63)
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '-'),
    idempotencyKey: stepIdempotencyKey(options.deploymentId ?? 'build-481', PLAN_HASH, index),
    action: {
      type: 'down-migration',
      migration,
      reversible,
      ...(options.connectionSecret !== undefined ? { connectionSecret: options.connectionSecret } : {}),
    },
    timeoutSeconds: 300,
    retries: { maxAttempts: 3, initialSeconds: 1, multiplier: 2, maxSeconds: 10 },
    verify: { targetState: true, signals: [], settleSeconds: 0, timeoutSeconds: 60 },
    irreversible: !reversible,
  };
}

export function stepContext(
  service = 'checkout',
  deploymentId = 'build-481',
): StepContext & { beats: unknown[] } {
  const beats: unknown[] = [];
  return {
    deployment: deployment(service, deploymentId),
    planHash: PLAN_HASH,
    beats,
    heartbeat: (details) => beats.push(details),
    sleep: async () => undefined,
    signal: new AbortController().signal,
  };
}

/** Secrets from a map; `asked` lists every name looked up (to prove a refusal never reached for one). */
export function mapSecrets(values: Record<string, string>): SecretProvider & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    get(name) {
      asked.push(name);
      return values[name];
    },
    describe(name) {
      return `the test's secrets (${name})`;
    },
  };
}
