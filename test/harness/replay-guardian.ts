import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { type GuardianHandle, startGuardian } from '../../src/client/guardians';
import type { DeploymentInfo } from '../../src/model/guardian';
import type { Policy } from '../../src/policy';

/**
 * A guardian that replays a confirmed regression on a real server, for the
 * integration tests that need one to roll back within seconds.
 */

const ERROR_STEP = resolve(__dirname, '..', 'fixtures', 'scenarios', 'shared', 'error-step-00.json');

/**
 * Writes error-step-00 from the shared examples (errors ×3) without its first
 * 8 intervals, so the regression starts 5 intervals in, as a replay source
 * (no ground truth). Returns the file.
 */
export function writeErrorStepScenario(file: string): string {
  const source = JSON.parse(readFileSync(ERROR_STEP, 'utf8'));
  for (const series of Object.values(source.series) as { baseline: unknown[]; canary: unknown[] }[]) {
    series.baseline = series.baseline.slice(8);
    series.canary = series.canary.slice(8);
  }
  writeFileSync(file, JSON.stringify({ ...source, truth: undefined, params: undefined }));
  return file;
}

/** Starts a guardian of `policy`'s service that replays `scenarioFile` at 60× over 32 intervals. */
export function startReplayGuardian(
  client: Client,
  taskQueue: string,
  options: {
    policy: Policy;
    hash: string;
    scenarioFile: string;
    /** Default: d-<random>. */
    deploymentId?: string;
    deployer?: DeploymentInfo['deployer'];
  },
): Promise<GuardianHandle> {
  const { policy } = options;
  return startGuardian(client, taskQueue, {
    deployment: {
      deploymentId: options.deploymentId ?? `d-${randomUUID().slice(0, 8)}`,
      service: policy.metadata.service,
      environment: policy.metadata.environment,
      version: '2.0.0',
      previousVersion: '1.9.0',
      ...(options.deployer !== undefined ? { deployer: options.deployer } : {}),
      deployedAt: new Date().toISOString(),
    },
    policy,
    policyHash: options.hash,
    replay: { scenarioFile: options.scenarioFile },
    speed: 60,
    // These tests wait out approval timeouts and escalations: compressed like the data, as before issue 17.
    humanWaitSpeed: 60,
    watchSeconds: 32 * policy.evaluation.intervalSeconds,
  });
}
