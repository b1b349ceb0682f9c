import { describeTracing, tracingSetting } from '../../../src/tracing/config';

/** Issue 21: tracing follows the standard OTEL_* variables, and is off when none is set. */

const setting = (env: NodeJS.ProcessEnv) => tracingSetting(env, 'ripcord-test');

test('no OTEL_* variable: off, and no exporter to create', () => {
  expect(setting({})).toEqual({
    on: false,
    why: 'no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER',
    warnings: [],
  });
  // CI systems template a missing value to "": the same as unset.
  expect(setting({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_EXPORTER: ' ' }).on).toBe(false);
});

test('an OTLP endpoint turns it on: base + v1/traces, or the traces endpoint as it is', () => {
  expect(setting({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
    on: true,
    config: {
      exporters: ['otlp'],
      protocol: 'http/json',
      endpoint: 'http://collector:4318/v1/traces',
      serviceName: 'ripcord-test',
    },
    warnings: [],
  });
  expect(setting({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/otlp/' })).toMatchObject({
    config: { endpoint: 'http://collector:4318/otlp/v1/traces' },
  });
  expect(
    setting({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/ingest',
      OTEL_SERVICE_NAME: 'deploys-prod',
    }),
  ).toMatchObject({ config: { endpoint: 'https://traces.example.com/ingest', serviceName: 'deploys-prod' } });
});

test('OTEL_TRACES_EXPORTER names exporters: otlp alone means the default local collector', () => {
  expect(setting({ OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({
    on: true,
    config: { exporters: ['otlp'], endpoint: 'http://localhost:4318/v1/traces' },
  });
  expect(setting({ OTEL_TRACES_EXPORTER: 'console, otlp' })).toMatchObject({
    config: { exporters: ['console', 'otlp'] },
  });
  expect(setting({ OTEL_TRACES_EXPORTER: 'zipkin,console' })).toMatchObject({
    on: true,
    config: { exporters: ['console'] },
    warnings: ['OTEL_TRACES_EXPORTER names "zipkin", which ripcord does not offer (otlp, console, none)'],
  });
});

test('none and OTEL_SDK_DISABLED turn it off whatever else is set', () => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
  expect(setting({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toMatchObject({
    on: false,
    why: 'OTEL_TRACES_EXPORTER=none',
  });
  expect(setting({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' })).toMatchObject({
    on: false,
    why: 'OTEL_SDK_DISABLED=true',
  });
  expect(setting({ ...endpoint, OTEL_SDK_DISABLED: 'false' }).on).toBe(true);
});

test('OTLP over HTTP only: protobuf on request, gRPC refused with a warning rather than sent to the wrong port', () => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
  expect(setting({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })).toMatchObject({
    config: { protocol: 'http/protobuf' },
  });
  expect(
    setting({
      ...endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    }),
  ).toMatchObject({ config: { protocol: 'http/json' } });
  const grpc = setting({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
  expect(grpc.on).toBe(false);
  expect(grpc.warnings.join('\n')).toContain('OTEL_EXPORTER_OTLP_PROTOCOL=grpc');
  expect(setting({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' })).toMatchObject({
    on: false,
    why: 'the OTLP endpoint is not a URL',
  });
});

test('the banner line says where spans go, never a credential in the URL', () => {
  const on = setting({
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://user:hunter2@traces.example.com/v1/traces?api_key=k-123',
  });
  const line = describeTracing(on);
  expect(line).toBe('OTLP/HTTP (http/json) to https://traces.example.com/v1/traces as service ripcord-test');
  expect(describeTracing(setting({}))).toBe('off (no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER)');
});
