import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { traceHeaders } from '../../../src/tracing/context';
import { activeTracing, startTracing, stopTracing } from '../../../src/tracing';

/**
 * Issue 21: the SDK as a command starts it: a span that joins the pipeline's
 * TRACEPARENT, the traceparent an outbound call gets while it runs, and the
 * span exported over OTLP/HTTP (JSON by default, protobuf on request) when
 * the command stops tracing.
 */

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PIPELINE_SPAN = '00f067aa0ba902b7';

interface Received {
  contentType: string;
  body: Buffer;
}

let server: Server;
let url: string;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces')
        received.push({ contentType: String(req.headers['content-type']), body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' });
      res.end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await stopTracing();
  await new Promise<void>((done) => server.close(() => done()));
});

beforeEach(() => {
  received.length = 0;
});

const silent = () => undefined;

test('off: nothing started, and outbound calls carry no trace header', async () => {
  expect(startTracing('ripcord-test', {}, silent)).toEqual({
    setting: expect.objectContaining({ on: false }),
  });
  expect(activeTracing()).toBeUndefined();
  expect(traceHeaders()).toEqual({});
});

test("a command span joins the pipeline's trace; calls made inside it carry its traceparent; OTLP JSON out", async () => {
  const { tracing } = startTracing('ripcord-test', { OTEL_EXPORTER_OTLP_ENDPOINT: url }, silent);
  expect(activeTracing()).toBe(tracing);
  const span = tracing!.commandSpan(
    'ripcord guard',
    { 'ripcord.deployment_id': 'd-1' },
    {
      TRACEPARENT: `00-${TRACE}-${PIPELINE_SPAN}-01`,
      TRACESTATE: 'vendor=abc',
    },
  );
  expect(span.traceId).toBe(TRACE);
  const inside = await span.run(async () => {
    await new Promise((r) => setTimeout(r, 1));
    return traceHeaders();
  });
  span.end();
  expect(traceHeaders()).toEqual({});
  expect(inside.tracestate).toBe('vendor=abc');
  const [, traceId, spanId, flags] = inside.traceparent!.split('-');
  expect({ traceId, flags }).toEqual({ traceId: TRACE, flags: '01' });
  expect(spanId).not.toBe(PIPELINE_SPAN);

  await stopTracing();
  expect(received).toHaveLength(1);
  expect(received[0]!.contentType).toMatch(/^application\/json/);
  const request = JSON.parse(received[0]!.body.toString('utf8'));
  const resource = request.resourceSpans[0].resource.attributes;
  expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'ripcord-test' } });
  const [exported] = request.resourceSpans[0].scopeSpans[0].spans;
  expect(exported).toMatchObject({
    name: 'ripcord guard',
    traceId: TRACE,
    spanId,
    parentSpanId: PIPELINE_SPAN,
    attributes: [{ key: 'ripcord.deployment_id', value: { stringValue: 'd-1' } }],
  });
});

test('http/protobuf is sent as protobuf; a second start in the process registers afresh', async () => {
  const { tracing } = startTracing(
    'ripcord-test',
    { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' },
    silent,
  );
  const span = tracing!.commandSpan('ripcord guard', {}, {});
  const inside = await span.run(async () => traceHeaders());
  span.end();
  // No TRACEPARENT: a trace of its own.
  expect(inside.traceparent).toMatch(new RegExp(`^00-${span.traceId}-[0-9a-f]{16}-01$`));
  expect(span.traceId).not.toBe(TRACE);
  await stopTracing();
  expect(received).toHaveLength(1);
  expect(received[0]!.contentType).toBe('application/x-protobuf');
  // The trace id travels as its 16 raw bytes.
  expect(received[0]!.body.includes(Buffer.from(span.traceId, 'hex'))).toBe(true);
});
