import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { dataConverterFromConfig } from '../security/codec/data-converter';
import { connectionOptions } from '../client/connect';
import type { ResolvedConnection } from '../client/connection-profile';
import { type ActivityDeps, createActivities } from '../activities';
import { checkedStepActivities } from '../activities/executor';
import { defaultActivityDeps, type DefaultActivityDepsOptions } from './composition';
import { instrumentActivities, type MetricsServer, RipcordMetrics, serveMetrics } from './metrics';
import { activeTracing } from '../tracing';
import type * as WorkerTracing from './tracing';
import type { Plane } from '../model/planes';
import { planeLayout, withStepRouting } from './planes';

export { RipcordMetrics, type MetricsServer } from './metrics';

// The SDK's OpenTelemetry interceptors, loaded by a worker that traces and not before.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const workerTracing = (): typeof WorkerTracing => require('./tracing');

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
  /** Serve ripcord's metrics on GET /metrics at this port (0: a free one); default: not served. */
  metricsPort?: number;
  /** Address for the metrics port; default 0.0.0.0 (metrics hold names and counts, never secrets). */
  metricsHost?: string;
  /** Which plane this worker runs (docs/operations.md, "Two planes"); default both, in one process. */
  plane?: Plane;
  /** The environment an execute plane serves. */
  environment?: string;
}

export interface CreatedWorker {
  worker: Worker;
  deps: ActivityDeps;
  /** Recorded whether or not they are served. */
  metrics: RipcordMetrics;
  /** Where /metrics is served, when metricsPort was given. */
  metricsServer?: MetricsServer;
  close: () => Promise<void>;
}

/** The workflows a decide plane (or a worker running both planes) runs, traced when its process traces. */
function workflowOptions(
  options: CreateWorkerOptions,
  traced: ReturnType<typeof WorkerTracing.workerTracingOptions> | undefined,
): Partial<WorkerOptions> {
  return {
    // With a prebuilt bundle, the bundle must include WORKFLOW_TRACING_INTERCEPTORS (./tracing.ts).
    ...(traced ? { interceptors: traced.interceptors, sinks: traced.sinks } : {}),
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
  };
}

/** An execute plane runs no workflow: only the activity interceptors of a tracing worker. */
function activityTracing(
  traced: ReturnType<typeof WorkerTracing.workerTracingOptions> | undefined,
): Partial<WorkerOptions> {
  return traced?.interceptors.activity ? { interceptors: { activity: traced.interceptors.activity } } : {};
}

/** The composition root: profile → connections → activity dependencies → activities → Worker. */
export async function createWorker(options: CreateWorkerOptions): Promise<CreatedWorker> {
  const conn = options.connection;
  const dataConverter = options.dataConverter ?? dataConverterFromConfig();
  // A process that traces (OTEL_*, src/tracing) runs a tracing worker; the SDK's interceptors are loaded only then.
  const tracing = activeTracing();
  const traced = tracing && workerTracing().workerTracingOptions(tracing);
  const nativeConnection = await NativeConnection.connect(connectionOptions(conn));
  // Activities that talk to Temporal (supersede) share the worker's connection and data converter.
  const client = new Client({
    connection: nativeConnection,
    namespace: conn.namespace,
    ...(dataConverter ? { dataConverter } : {}),
    ...(tracing ? { interceptors: { workflow: tracing.workflowClientInterceptors() } } : {}),
  });
  const metrics = new RipcordMetrics({
    countGuardians: async (query) => (await client.workflow.count(query)).count,
    taskQueue: conn.taskQueue,
  });
  const depsOptions = options.depsOptions ?? {};
  const owned = options.deps
    ? undefined
    : defaultActivityDeps({
        client,
        ...depsOptions,
        notifications: {
          // Links in notifications point at the Web UI of the cluster this worker serves.
          ...(conn.webUi ? { webUi: conn.webUi } : {}),
          ...depsOptions.notifications,
          onDelivery: (report) => {
            metrics.observeDelivery(report);
            depsOptions.notifications?.onDelivery?.(report);
          },
        },
      });
  const plane = options.plane ?? 'all';
  const deps = withStepRouting(options.deps ?? owned!, plane, conn.taskQueue);
  const activities = createActivities(deps);
  if (plane === 'execute') {
    // The execute plane checks every step with its own client and keys before it acts (src/activities/executor).
    Object.assign(
      activities,
      // The plain activities, copied: the checked ones replace them on `activities` and must not call themselves.
      checkedStepActivities(
        { executeStep: activities.executeStep, compensateStep: activities.compensateStep },
        {
          client,
          ...(deps.tokens ? { tokens: deps.tokens } : {}),
          environment: options.environment ?? '',
          targets: deps.targets,
          audit: deps.audit,
          now: deps.now,
        },
      ),
    );
  }
  const layout = planeLayout(
    plane,
    conn.taskQueue,
    instrumentActivities(activities, metrics),
    options.environment,
  );
  let worker: Worker;
  let metricsServer: MetricsServer | undefined;
  try {
    // Before the worker: a port already taken fails the start, with nothing left running.
    if (options.metricsPort !== undefined) {
      metricsServer = await serveMetrics(metrics, {
        port: options.metricsPort,
        ...(options.metricsHost ? { host: options.metricsHost } : {}),
      });
    }
    worker = await Worker.create({
      connection: nativeConnection,
      namespace: conn.namespace,
      taskQueue: layout.taskQueue,
      activities: layout.activities,
      ...(dataConverter ? { dataConverter } : {}),
      ...(layout.workflows ? workflowOptions(options, traced) : activityTracing(traced)),
    });
  } catch (err) {
    await metricsServer?.close();
    await nativeConnection.close();
    await owned?.close();
    throw err;
  }
  const close = async () => {
    await metricsServer?.close();
    await nativeConnection.close();
    // The deps built here (an audit database pool) are this worker's to release.
    await owned?.close();
  };
  return { worker, deps, metrics, ...(metricsServer ? { metricsServer } : {}), close };
}
