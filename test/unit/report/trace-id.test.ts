import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { msNumberToTs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { decodeRun } from '../../../src/report/history';
import { buildReport } from '../../../src/report/model';
import { renderHtml } from '../../../src/report/html';
import { renderText } from '../../../src/report/text';
import { TEMPORAL_TRACE_HEADER } from '../../../src/tracing/w3c';
import { input, rolledBackHistory, t } from './fixture';

/** Issue 21: the report names the trace the guardian's spans are in, read from its start header. */

const LINK = 'http://127.0.0.1:8233/namespaces/default/workflows/x';
const TRACE = '0af7651916cd43dd8448eb211c80319c';

function started(header?: Record<string, Payload>): temporal.api.history.v1.IHistoryEvent[] {
  return [
    {
      eventTime: msNumberToTs(Date.parse(t(0))),
      workflowExecutionStartedEventAttributes: {
        input: { payloads: [defaultPayloadConverter.toPayload(input)] },
        ...(header ? { header: { fields: header } } : {}),
      },
    },
  ] as temporal.api.history.v1.IHistoryEvent[];
}

test('a run started by a client that traced carries its trace id; the text and the page print it', async () => {
  const header = {
    [TEMPORAL_TRACE_HEADER]: defaultPayloadConverter.toPayload({
      traceparent: `00-${TRACE}-b7ad6b7169203331-01`,
    }),
  };
  const { run } = await decodeRun(loadDataConverter(), 'run-1', started(header));
  expect(run.traceId).toBe(TRACE);

  const { history } = await rolledBackHistory();
  history.runs[0]!.traceId = TRACE;
  const report = buildReport({ history });
  expect(report.traceId).toBe(TRACE);
  expect(renderText(report, LINK)).toMatch(new RegExp(`^trace +${TRACE}$`, 'm'));
  expect(renderHtml(report, LINK, new Date(t(100)))).toContain(`<th>trace</th><td><code>${TRACE}</code>`);
});

test('an untraced guardian: no trace id, no trace line', async () => {
  const { run } = await decodeRun(loadDataConverter(), 'run-1', started());
  expect(run.traceId).toBeUndefined();
  const { history } = await rolledBackHistory();
  const report = buildReport({ history });
  expect(report.traceId).toBeUndefined();
  expect(renderText(report, LINK)).not.toMatch(/^trace /m);
  expect(renderHtml(report, LINK, new Date(t(100)))).not.toContain('<th>trace</th>');
});
