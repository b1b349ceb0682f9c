import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { connectionOptions } from '../client/connect';
import type { ResolvedConnection } from '../client/connection-profile';
import { type ActivityDeps, createActivities } from '../activities';

/** Where the bundler finds the workflows (TypeScript sources; the SDK's bundler compiles them). */
export const WORKFLOWS_PATH = require.resolve('../workflows');

export function defaultActivityDeps(): ActivityDeps {
  return { now: () => new Date() };
}

export interface CreateWorkerOptions {
  connection: ResolvedConnection;
  deps?: ActivityDeps;
  /** A prebuilt bundle (tests build it once per file); otherwise the worker bundles at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** The composition root: profile → connection → activities → Worker. */
export async function createWorker(
  options: CreateWorkerOptions,
): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const connection = await NativeConnection.connect(connectionOptions(options.connection));
  const worker = await Worker.create({
    connection,
    namespace: options.connection.namespace,
    taskQueue: options.connection.taskQueue,
    activities: createActivities(options.deps ?? defaultActivityDeps()),
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
  });
  return { worker, close: () => connection.close() };
}
