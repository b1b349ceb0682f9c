import type { Tracer } from '@opentelemetry/api';
import type {
  DescribeWorkflowExecutionResponse,
  Next,
  WorkflowClientInterceptor,
  WorkflowDescribeInput,
  WorkflowQueryInput,
} from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';

/**
 * The SDK's client interceptor (a span per start, signal, update, cancel and
 * terminate, its context sent in the Temporal header), without spans for
 * reads: `guard --wait`, `list` and `status` query and describe guardians
 * every few seconds, which changes nothing and would bury the story of a
 * rollback under hundreds of identical spans.
 */
class ClientInterceptorWithoutReads extends OpenTelemetryWorkflowClientInterceptor {
  override async query(
    input: WorkflowQueryInput,
    next: Next<WorkflowClientInterceptor, 'query'>,
  ): Promise<unknown> {
    return next(input);
  }

  override async describe(
    input: WorkflowDescribeInput,
    next: Next<WorkflowClientInterceptor, 'describe'>,
  ): Promise<DescribeWorkflowExecutionResponse> {
    return next(input);
  }
}

export function workflowClientInterceptor(tracer: Tracer): WorkflowClientInterceptor {
  return new ClientInterceptorWithoutReads({ tracer });
}
