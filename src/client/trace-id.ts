import type { Client } from '@temporalio/client';
import { traceIdOfTemporalHeader } from '../tracing/w3c';

/**
 * The trace a guardian's spans belong to: the one whose context the client
 * that started it sent in the run's start header (`ripcord guard` with OTEL_*
 * set, joining the pipeline's TRACEPARENT). Read from the first event of its
 * history, so it is the same for a running guardian, a closed one and one no
 * worker serves, and needs no workflow code. Undefined when it was started
 * without tracing, or the history cannot be read.
 */
export async function guardianTraceId(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<string | undefined> {
  try {
    const response = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, ...(runId ? { runId } : {}) },
      maximumPageSize: 1,
    });
    const started = response.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
    return traceIdOfTemporalHeader(started?.header?.fields);
  } catch {
    return undefined;
  }
}
