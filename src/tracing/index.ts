import type { Tracer } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { type TracingConfig, type TracingSetting, tracingSetting } from './config';
import type * as Sdk from './sdk';

/**
 * OpenTelemetry tracing for one ripcord process (issue 21): configured by the
 * standard OTEL_* variables (./config.ts), spans exported over OTLP/HTTP.
 * Only types of OpenTelemetry are imported here; the SDK itself (./sdk.ts) is
 * required when tracing is on, so `--help`, `policy validate`, `status` and a
 * worker without OTEL_* never load it.
 *
 * The process's tracing is global, as OpenTelemetry's own registration is:
 * once a command started it, `connectClient` (src/client/connect.ts) and
 * `createWorker` (src/worker) add the Temporal interceptors by themselves.
 */

export { describeTracing, type TracingConfig, type TracingSetting, tracingSetting } from './config';
export { parseTraceparent, TEMPORAL_TRACE_HEADER, traceIdOfTemporalHeader } from './w3c';
// The headers for outbound calls are in ./context.ts, imported from there: it loads the OpenTelemetry API.

/** A command's own span, child of the pipeline's (TRACEPARENT) when there is one. */
export interface CommandSpan {
  traceId: string;
  /** Runs `fn` with this span as the current one: the Temporal calls it makes are its children. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  end(): void;
}

export interface Tracing {
  config: TracingConfig;
  resource: Resource;
  /** Every span ends here; the workflow spans the worker receives from its sink too. */
  spanProcessor: SpanProcessor;
  tracer: Tracer;
  /** The Temporal client interceptors (one instance per process). */
  workflowClientInterceptors(): WorkflowClientInterceptor[];
  commandSpan(name: string, attributes: Record<string, string>, env: NodeJS.ProcessEnv): CommandSpan;
  /** Exports what has ended so far. */
  flush(): Promise<void>;
  /** Exports what is left and stops. */
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

// The SDK, loaded when a process starts tracing and not before.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = (): typeof Sdk => require('./sdk');

/** This process's tracing, once a command started it. */
export function activeTracing(): Tracing | undefined {
  return active;
}

/**
 * Starts tracing from the environment, once per process (a second call
 * returns the first one's tracing). Warnings about the variables go to stderr.
 */
export function startTracing(
  defaultServiceName: string,
  env: NodeJS.ProcessEnv = process.env,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): { setting: TracingSetting; tracing?: Tracing } {
  const setting = tracingSetting(env, defaultServiceName);
  for (const warning of setting.warnings) write(`ripcord: tracing: ${warning}`);
  if (!setting.on) return { setting };
  active ??= sdk().startSdk(setting.config, write);
  return { setting, tracing: active };
}

/**
 * Exports what is left and stops tracing, waiting at most `withinMs`; nothing
 * when it never started. The CLI calls it before it exits. Never throws.
 */
export async function stopTracing(withinMs = 10_000): Promise<void> {
  const tracing = active;
  active = undefined;
  if (!tracing) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    tracing.shutdown().catch(() => undefined),
    new Promise<void>((done) => (timer = setTimeout(done, withinMs))),
  ]).finally(() => clearTimeout(timer));
}
