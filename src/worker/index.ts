import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { connectionOptions } from '../client/connect';
import type { ResolvedConnection } from '../client/connection-profile';
import {
  type ActivityDeps,
  createActivities,
  defaultActivityDeps,
  type DefaultActivityDepsOptions,
} from '../activities';

/** Where the bundler finds the workflows (TypeScript sources; the SDK's bundler compiles them). */
export const WORKFLOWS_PATH = require.resolve('../workflows');

export interface CreateWorkerOptions {
  connection: ResolvedConnection;
  /** Activity dependencies; by default the real ones built from `depsOptions`. */
  deps?: ActivityDeps;
  depsOptions?: DefaultActivityDepsOptions;
  /** A prebuilt bundle (tests build it once per file); otherwise the worker bundles at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** The composition root: profile → connections → activity dependencies → activities → Worker. */
export async function createWorker(
  options: CreateWorkerOptions,
): Promise<{ worker: Worker; deps: ActivityDeps; close: () => Promise<void> }> {
  const conn = options.connection;
  const nativeConnection = await NativeConnection.connect(connectionOptions(conn));
  // Activities that talk to Temporal (supersede) share the worker's connection.
  const client = new Client({ connection: nativeConnection, namespace: conn.namespace });
  const deps = options.deps ?? defaultActivityDeps({ client, ...options.depsOptions });
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: conn.namespace,
    taskQueue: conn.taskQueue,
    activities: createActivities(deps),
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
  });
  return { worker, deps, close: () => nativeConnection.close() };
}
