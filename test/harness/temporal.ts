import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { installRuntimeLogger } from '../../src/worker/runtime';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { requireTool } from '../../src/dev/tools';
import { registerSearchAttributes } from '../../src/dev/search-attributes';
import { WORKFLOWS_PATH } from '../../src/worker';
import type { ResolvedConnection } from '../../src/client/connection-profile';

/** Keep the SDK quiet in tests unless something is wrong. */
export function quietRuntime(): void {
  installRuntimeLogger('ERROR');
}

/** The workflow bundle, built once per test file (bundling costs seconds). */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('ERROR') });
}

/** The time-skipping test server from the project's own install; the SDK's download cannot work here. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: requireTool('testServer') } },
  });
  await registerSearchAttributes(env.connection.operatorService, env.namespace ?? 'default');
  return env;
}

/** The dev server started by the integration tier's global setup. */
export function integrationConnection(taskQueue: string): ResolvedConnection {
  const address = process.env.RIPCORD_TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('RIPCORD_TEST_TEMPORAL_ADDRESS is not set: run through the integration project');
  return { profileName: 'test', address, namespace: 'default', taskQueue };
}
