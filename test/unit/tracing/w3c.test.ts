import { defaultPayloadConverter } from '@temporalio/common';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import { parseTraceparent, TEMPORAL_TRACE_HEADER, traceIdOfTemporalHeader } from '../../../src/tracing/w3c';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

test('a pipeline traceparent is read as the W3C spec says', () => {
  expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
  expect(parseTraceparent(` 00-${TRACE}-${SPAN}-00\n`)).toEqual({
    traceId: TRACE,
    spanId: SPAN,
    sampled: false,
  });
  // A later version may add fields; version 00 may not.
  expect(parseTraceparent(`01-${TRACE}-${SPAN}-03-more`)).toMatchObject({ traceId: TRACE, sampled: true });
  for (const bad of [
    undefined,
    '',
    `00-${TRACE}-${SPAN}-01-more`,
    `ff-${TRACE}-${SPAN}-01`,
    `00-${'0'.repeat(32)}-${SPAN}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `00-${TRACE.toUpperCase()}-${SPAN}-01`,
    `00-${TRACE.slice(1)}-${SPAN}-01`,
  ])
    expect({ bad, parsed: parseTraceparent(bad) }).toEqual({ bad, parsed: undefined });
});

test("the start header is read where the SDK's interceptors write it", () => {
  expect(TEMPORAL_TRACE_HEADER).toBe(TRACE_HEADER);
  const fields = {
    [TRACE_HEADER]: defaultPayloadConverter.toPayload({ traceparent: `00-${TRACE}-${SPAN}-01` }),
  };
  expect(traceIdOfTemporalHeader(fields)).toBe(TRACE);
  expect(traceIdOfTemporalHeader({})).toBeUndefined();
  expect(traceIdOfTemporalHeader(null)).toBeUndefined();
  // Encrypted or otherwise unreadable: no trace id, no error.
  const binary = { metadata: { encoding: Buffer.from('binary/encrypted') }, data: Buffer.from('xx') };
  expect(traceIdOfTemporalHeader({ [TRACE_HEADER]: binary })).toBeUndefined();
  const broken = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{') };
  expect(traceIdOfTemporalHeader({ [TRACE_HEADER]: broken })).toBeUndefined();
});
