import type {
  Next,
  QueryInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
} from '@temporalio/workflow';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';

/**
 * Workflow interceptors for a tracing worker (issue 21), bundled only when
 * tracing is on: src/worker passes this module in `interceptors.workflowModules`
 * (a prebuilt bundle takes it as `workflowInterceptorModules`). The SDK's
 * OpenTelemetry interceptors: a span for each run, signal, update, activity,
 * child and continue-as-new, in the trace of the client that started the
 * guardian; spans leave through the worker's `exporter` sink, never from
 * here. Queries get no span: `guard --wait` and `status` ask every few
 * seconds, and a read changes nothing (the client does the same).
 *
 * Nothing here changes what the workflow does: the interceptors add headers
 * to commands and draw span ids from the workflow's seeded randomness, which
 * guardian code does not use, so a traced and an untraced worker replay each
 * other's histories.
 */
class InboundWithoutQueries extends OpenTelemetryInboundInterceptor {
  override async handleQuery(
    input: QueryInput,
    next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>,
  ): Promise<unknown> {
    return next(input);
  }
}

export const interceptors = (): WorkflowInterceptors => ({
  inbound: [new InboundWithoutQueries()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
