import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { loadPolicyFile, type Policy } from '../../../src/policy';
import type { DeploymentInfo } from '../../../src/model/guardian';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const SCENARIOS_DIR = '/work/shared/scenarios';

export async function examplePolicy(name: string): Promise<{ policy: Policy; hash: string }> {
  const loaded = await loadPolicyFile(path.join(REPO_ROOT, 'policies', 'examples', name));
  return { policy: loaded.policy, hash: loaded.hash };
}

/** A deployment that fits the example policy of the same service and environment. */
export function deploymentFor(policy: Policy, overrides: Partial<DeploymentInfo> = {}): DeploymentInfo {
  return {
    deploymentId: 'd-1234',
    service: policy.metadata.service,
    environment: policy.metadata.environment,
    version: 'v2.4.0',
    previousVersion: 'v2.3.9',
    artifactDigest: `sha256:${'a'.repeat(64)}`,
    previousDigest: `sha256:${'b'.repeat(64)}`,
    deployer: 'alice',
    deployedAt: '2026-01-01T11:00:00Z',
    ...overrides,
  };
}

export function tempDir(prefix = 'ripcord-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** A deep copy, as Temporal's JSON converter would deliver it to an activity. */
export function viaJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Runs `fn`, expects an ApplicationFailure, and returns it. */
export async function failureOf(fn: () => Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ApplicationFailure) return error;
    throw new Error(`expected an ApplicationFailure, got ${String(error)}`);
  }
  throw new Error('expected an ApplicationFailure, but the call succeeded');
}

export const FIXED_NOW = new Date('2026-01-01T12:00:00Z');
export const fixedNow = () => FIXED_NOW;

/** An activity context for running activities directly, with the SDK's logging kept quiet. */
export function quietActivityEnv(logger: Logger = new DefaultLogger('ERROR')): MockActivityEnvironment {
  return new MockActivityEnvironment(undefined, { logger });
}

/** Runs one activity function inside an activity context, keeping its types. */
export function runActivity<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  args: A,
  env: MockActivityEnvironment = quietActivityEnv(),
): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}
