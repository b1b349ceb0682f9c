/**
 * The benchmark's worker process: the real guardian workflow and the real
 * activities (dry run: replayed health, recording targets, the JSONL audit
 * trail), tuned as the benchmark says, with the health read wrapped so that
 * every evaluation's start is compared with when it was due. Started by
 * bench/lib/scale-worker-process.ts with an IPC channel; it reports every
 * `reportEveryMs` and exits when told to stop or when the benchmark is gone.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Context } from '@temporalio/activity';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import v8 from 'node:v8';
import { createActivities } from '../../src/activities';
import { defaultActivityDeps } from '../../src/worker/composition';
import { type EvaluateHealthInput } from '../../src/model/activity-contract';
import { readHealthInterval } from '../../src/activities/health';
import { installRuntimeLogger } from '../../src/worker/runtime';
import { startTracing, stopTracing } from '../../src/tracing';
import { cadenceLagMs } from './scale-timing';
import type {
  BenchWorkerConfig,
  EvaluationSample,
  ParentMessage,
  WorkerMessage,
} from './scale-worker-protocol';

const MiB = 1024 * 1024;

function send(message: WorkerMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.RIPCORD_BENCH_WORKER ?? '') as BenchWorkerConfig;
  // Nobody to report to: the benchmark died (even by SIGKILL). Do not outlive it.
  process.on('disconnect', () => process.exit(1));
  installRuntimeLogger('ERROR');
  // As `ripcord worker` does with OTEL_* set (src/worker/index.ts): interceptors, sink, client interceptor.
  const tracing = config.otlpEndpoint
    ? startTracing('ripcord-bench-worker', { OTEL_EXPORTER_OTLP_ENDPOINT: config.otlpEndpoint }).tracing
    : undefined;
  const traced = tracing && (await import('../../src/worker/tracing')).workerTracingOptions(tracing);

  const connection = await NativeConnection.connect({ address: config.address });
  const client = new Client({
    connection,
    namespace: config.namespace,
    ...(tracing ? { interceptors: { workflow: tracing.workflowClientInterceptors() } } : {}),
  });
  const deps = defaultActivityDeps({
    client,
    dryRun: true,
    stateDir: config.stateDir,
    notifications: { send: false },
  });
  const activities = createActivities(deps);

  const samples: EvaluationSample[] = [];
  const lastEnd = new Map<string, number>();
  let evaluations = 0;
  const evaluateHealth = activities.evaluateHealth;
  // Both forms of the read are timed: evaluateHealth (a regular activity) and readHealthInterval
  // (the local activity guardians use, which calls the same read).
  const timedEvaluateHealth: typeof evaluateHealth = async (input: EvaluateHealthInput) => {
    const startedMs = Date.now();
    const info = Context.current().info;
    const workflowId = info.workflowExecution?.workflowId ?? info.activityId;
    const previousEnd = lastEnd.get(workflowId);
    evaluations += 1;
    if (previousEnd !== undefined) {
      samples.push({
        atMs: startedMs,
        lagMs: cadenceLagMs(previousEnd, config.intervalMs, startedMs),
        queueMs: startedMs - info.currentAttemptScheduledTimestampMs,
      });
    }
    try {
      return await evaluateHealth(input);
    } finally {
      lastEnd.set(workflowId, Date.now());
    }
  };

  const { tuning } = config;
  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    workflowBundle: { codePath: config.bundlePath },
    // The prebuilt bundle holds the workflow interceptors already (writeWorkflowBundle with tracing).
    ...(traced ? { interceptors: { activity: traced.interceptors.activity }, sinks: traced.sinks } : {}),
    activities: {
      ...activities,
      evaluateHealth: timedEvaluateHealth,
      readHealthInterval: readHealthInterval(timedEvaluateHealth),
    },
    maxCachedWorkflows: tuning.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTaskExecutions,
    maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivityTaskExecutions,
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: tuning.maxTaskPolls },
    activityTaskPollerBehavior: { type: 'simple-maximum', maximum: tuning.maxTaskPolls },
  });

  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let peakRss = 0;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 500);
  const report = () => {
    const cpu = process.cpuUsage();
    const status = worker.getStatus();
    const rss = process.memoryUsage.rss();
    send({
      type: 'stats',
      atMs: Date.now(),
      samples: samples.splice(0),
      evaluations,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rssMiB: rss / MiB,
      peakRssMiB: Math.max(peakRss, rss) / MiB,
      heapUsedMiB: process.memoryUsage().heapUsed / MiB,
      loopDelayP99Ms: loop.percentile(99) / 1e6,
      cachedWorkflows: status.numCachedWorkflows,
      inFlightActivations: status.numInFlightWorkflowActivations,
      inFlightActivities: status.numInFlightActivities,
    });
    peakRss = 0;
    loop.reset();
  };
  const reportTimer = setInterval(report, config.reportEveryMs);

  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') worker.shutdown();
  });
  send({ type: 'ready', heapLimitMiB: v8.getHeapStatistics().heap_size_limit / MiB, pid: process.pid });
  try {
    await worker.run();
  } finally {
    clearInterval(rssTimer);
    clearInterval(reportTimer);
    await connection.close();
    await deps.close();
    await stopTracing(5_000);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);
