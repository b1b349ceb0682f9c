import {
  context as otelContext,
  type Context,
  createTraceState,
  diag,
  DiagLogLevel,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type * as OtlpJson from '@opentelemetry/exporter-trace-otlp-http';
import type * as OtlpProto from '@opentelemetry/exporter-trace-otlp-proto';
import type { TracingConfig } from './config';
import type { CommandSpan, Tracing } from './index';
import { workflowClientInterceptor } from './temporal-client';
import { parseTraceparent } from './w3c';

/**
 * The OpenTelemetry SDK for one process, built from a TracingConfig. Loaded
 * only when tracing is on (src/tracing/index.ts requires it lazily): a process
 * that does not trace never loads the SDK or an exporter.
 *
 * What a span carries is decided by the Temporal interceptors (workflow and
 * activity types and ids) and by the command span below (deployment id,
 * service, environment, version): names and ids, never a URL, a header, a
 * token or an input. The resource is the service name and OTEL_RESOURCE_ATTRIBUTES;
 * no process detector, whose command line would carry `--token`.
 */

function exporterFor(kind: TracingConfig['exporters'][number], config: TracingConfig): SpanExporter {
  if (kind === 'console') return new ConsoleSpanExporter();
  // The exporter also reads OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT and _COMPRESSION from the environment.
  // Only the exporter asked for is loaded.
  const { OTLPTraceExporter } = config.protocol === 'http/protobuf' ? otlpProto() : otlpJson();
  return new OTLPTraceExporter({ url: config.endpoint });
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const otlpProto = (): typeof OtlpProto => require('@opentelemetry/exporter-trace-otlp-proto');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const otlpJson = (): typeof OtlpJson => require('@opentelemetry/exporter-trace-otlp-http');

/** An exporter that cannot deliver says so on stderr: the first time, then at most once a minute. */
function reportExportErrors(write: (line: string) => void): void {
  let lastMs = -Infinity;
  let dropped = 0;
  const say = (message: string) => {
    const now = Date.now();
    if (now - lastMs < 60_000) {
      dropped += 1;
      return;
    }
    lastMs = now;
    const more = dropped > 0 ? ` (${dropped} more since the last line)` : '';
    dropped = 0;
    write(`ripcord: tracing: ${message.split('\n')[0]}${more}`);
  };
  diag.setLogger(
    {
      error: (message, ...args) => say([message, ...args.map(describeArg)].join(' ')),
      warn: () => undefined,
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true },
  );
}

function describeArg(arg: unknown): string {
  if (arg instanceof Error) return arg.message;
  if (typeof arg === 'string') return arg;
  try {
    return JSON.stringify(arg) ?? '';
  } catch {
    return String(arg);
  }
}

/** Starts the SDK and registers it as this process's global tracer provider, context manager and propagator. */
export function startSdk(config: TracingConfig, write: (line: string) => void): Tracing {
  reportExportErrors(write);
  const resource = Resource.default()
    .merge(new Resource({ 'service.name': config.serviceName }))
    .merge(envDetectorSync.detect());
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: config.exporters.map((kind) => new BatchSpanProcessor(exporterFor(kind, config))),
  });
  provider.register();
  const tracer = provider.getTracer('ripcord');
  let interceptor: WorkflowClientInterceptor | undefined;
  return {
    config,
    resource,
    spanProcessor: provider.getActiveSpanProcessor(),
    tracer,
    workflowClientInterceptors: () => [(interceptor ??= workflowClientInterceptor(tracer))],
    commandSpan: (name, attributes, env) => commandSpan(tracer, name, attributes, env),
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      // Unregistered: a later start in the same process (tests) registers afresh.
      trace.disable();
      otelContext.disable();
      propagation.disable();
    },
  };
}

/** The pipeline's span from TRACEPARENT (and TRACESTATE), as a parent context; the root context without one. */
export function pipelineContext(env: NodeJS.ProcessEnv): Context {
  const parent = parseTraceparent(env.TRACEPARENT);
  if (!parent) return ROOT_CONTEXT;
  const state = env.TRACESTATE?.trim();
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parent.traceId,
    spanId: parent.spanId,
    traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
    ...(state ? { traceState: createTraceState(state) } : {}),
  });
}

function commandSpan(
  tracer: Tracing['tracer'],
  name: string,
  attributes: Record<string, string>,
  env: NodeJS.ProcessEnv,
): CommandSpan {
  const span: Span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, pipelineContext(env));
  const active = trace.setSpan(pipelineContext(env), span);
  return {
    traceId: span.spanContext().traceId,
    run: (fn) => otelContext.with(active, fn),
    end: () => span.end(),
  };
}
