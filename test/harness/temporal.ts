import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { installRuntimeLogger } from '../../src/worker/runtime';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { requireTool } from '../../src/dev/tools';
import { registerSearchAttributes } from '../../src/dev/search-attributes';
import { WORKFLOWS_PATH } from '../../src/worker';
import type { ResolvedConnection } from '../../src/client/connection-profile';
import { namespaceForTestFile } from './integration-namespace';

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

/** The dev server started by the integration tier's global setup, in the calling test file's own namespace. */
export function integrationConnection(taskQueue: string): ResolvedConnection {
  return { profileName: 'test', address: integrationAddress(), namespace: integrationNamespace(), taskQueue };
}

/** The namespace of the test file running now (created by global setup). */
export function integrationNamespace(): string {
  const testPath = expect.getState().testPath;
  if (!testPath) throw new Error('integrationNamespace() must be called from inside a test file');
  return namespaceForTestFile(testPath);
}

/** What a `ripcord` process needs to reach the same server and namespace as the test that starts it. */
export function integrationCliEnv(): { TEMPORAL_ADDRESS: string; TEMPORAL_NAMESPACE: string } {
  return { TEMPORAL_ADDRESS: integrationAddress(), TEMPORAL_NAMESPACE: integrationNamespace() };
}

function integrationAddress(): string {
  const address = process.env.RIPCORD_TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('RIPCORD_TEST_TEMPORAL_ADDRESS is not set: run through the integration project');
  return address;
}
