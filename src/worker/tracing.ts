import type { WorkflowInfo } from '@temporalio/workflow';
import type { InjectedSinks, WorkerOptions } from '@temporalio/worker';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { Tracing } from '../tracing';

/** The workflow interceptors of a tracing worker; a prebuilt bundle must include them (`workflowInterceptorModules`). */
export const WORKFLOW_TRACING_INTERCEPTORS = require.resolve('../workflows/tracing-interceptors');

/**
 * What a worker adds when its process traces: the activity interceptors (a
 * span per activity, child of the workflow's, current while it runs, so
 * targets and notifiers send its `traceparent`), the workflow interceptors
 * module, and the sink through which workflow spans reach the exporter.
 *
 * The SDK's sink copies the workflow's info onto every workflow span; only
 * its ids and type are passed on (not its search attributes, memo, last
 * failure or retry policy).
 */
export function workerTracingOptions(tracing: Tracing): {
  interceptors: NonNullable<WorkerOptions['interceptors']>;
  sinks: InjectedSinks<OpenTelemetrySinks>;
} {
  const exporter = makeWorkflowExporter(tracing.spanProcessor, tracing.resource);
  return {
    interceptors: {
      workflowModules: [WORKFLOW_TRACING_INTERCEPTORS],
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: {
      exporter: {
        export: {
          ...exporter.export,
          fn: (info, spans) => exporter.export.fn(spanInfo(info), spans),
        },
      },
    },
  };
}

function spanInfo(info: WorkflowInfo): WorkflowInfo {
  const { workflowId, runId, workflowType, taskQueue, namespace, attempt } = info;
  return { workflowId, runId, workflowType, taskQueue, namespace, attempt } as WorkflowInfo;
}
