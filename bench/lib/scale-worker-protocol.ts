/**
 * What the benchmark and its worker process (bench/lib/scale-worker.ts) say
 * to each other over the IPC channel. The worker is a process of its own so
 * that its CPU and memory are its own, not the benchmark's.
 */

/** Worker tuning the benchmark sets; every field is passed to Worker.create as it is. */
export interface BenchWorkerTuning {
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentActivityTaskExecutions: number;
  /** Pollers per task queue kind (simple maximum). */
  maxTaskPolls: number;
}

export interface BenchWorkerConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Audit trail and dry-run journal of this run. */
  stateDir: string;
  /** The workflow bundle, built once by the benchmark (bundling costs seconds per worker). */
  bundlePath: string;
  tuning: BenchWorkerTuning;
  /** Wall-clock milliseconds of one evaluation interval (interval / speed): the cadence the lag is measured against. */
  intervalMs: number;
  /** How often the worker reports (ms). */
  reportEveryMs: number;
  /**
   * Trace as a worker with OTEL_EXPORTER_OTLP_ENDPOINT set does, exporting to this OTLP/HTTP
   * base URL (the bundle must hold the tracing workflow interceptors). Absent: no tracing, as
   * a worker without OTEL_* runs.
   */
  otlpEndpoint?: string;
}

/** One health read as the worker saw it start. */
export interface EvaluationSample {
  /** Worker clock, ms since the epoch. */
  atMs: number;
  /** Start − (the previous read's end of the same workflow id + one interval); see cadenceLagMs. */
  lagMs: number;
  /** Start − when Temporal scheduled this attempt: the read waiting for a slot of this worker. */
  queueMs: number;
}

export type WorkerMessage =
  | { type: 'ready'; heapLimitMiB: number; pid: number }
  | {
      type: 'stats';
      atMs: number;
      /** Health reads that started since the last report; the first read of each guardian has no lag. */
      samples: EvaluationSample[];
      /** Every health read started so far (first reads included). */
      evaluations: number;
      /** process.cpuUsage(), µs since the worker started: JavaScript and the SDK's Rust threads alike. */
      cpuUserUs: number;
      cpuSystemUs: number;
      rssMiB: number;
      /** Highest RSS sampled (every 500 ms) since the last report. */
      peakRssMiB: number;
      heapUsedMiB: number;
      /** Event loop delay p99 since the last report (ms). */
      loopDelayP99Ms: number;
      cachedWorkflows: number;
      inFlightActivations: number;
      inFlightActivities: number;
    }
  | { type: 'failed'; message: string };

export type ParentMessage = { type: 'stop' };
