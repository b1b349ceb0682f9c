import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { dataConverterFromConfig } from '../security/codec/data-converter';
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
  /** Payload encryption; default from RIPCORD_CODEC_KEYS / RIPCORD_CODEC_KEYRING, as clients do (none when unset). */
  dataConverter?: DataConverter;
}

/** The composition root: profile → connections → activity dependencies → activities → Worker. */
export async function createWorker(
  options: CreateWorkerOptions,
): Promise<{ worker: Worker; deps: ActivityDeps; close: () => Promise<void> }> {
  const conn = options.connection;
  const dataConverter = options.dataConverter ?? dataConverterFromConfig();
  const nativeConnection = await NativeConnection.connect(connectionOptions(conn));
  // Activities that talk to Temporal (supersede) share the worker's connection and data converter.
  const client = new Client({
    connection: nativeConnection,
    namespace: conn.namespace,
    ...(dataConverter ? { dataConverter } : {}),
  });
  const owned = options.deps ? undefined : defaultActivityDeps({ client, ...options.depsOptions });
  const deps = options.deps ?? owned!;
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: conn.namespace,
    taskQueue: conn.taskQueue,
    activities: createActivities(deps),
    ...(dataConverter ? { dataConverter } : {}),
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
  });
  const close = async () => {
    await nativeConnection.close();
    // The deps built here (an audit database pool) are this worker's to release.
    await owned?.close();
  };
  return { worker, deps, close };
}
