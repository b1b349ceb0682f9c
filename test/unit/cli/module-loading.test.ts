import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as jsonlSink from '../../../src/activities/audit/jsonl-sink';
import * as postgresSink from '../../../src/activities/audit/postgres-sink';
import * as helpNames from '../../../src/cli/register/audit-names';
import { CliProcess } from '../../harness/cli';
import { SHARED_HISTOGRAM_DIR } from '../simulate/support';
import { CANARY_POLICY } from './helpers';

/**
 * Issue 18: a command loads what it uses and no more. `--help` and the
 * commands that never talk to Temporal never load its SDK; the commands that
 * talk to it load the client, never the worker (only worker, demo, dev and
 * rehearse run one). Each case runs the real CLI, compiled or through tsx,
 * with a preload that lists every module the process loaded.
 */

const RECORDER = resolve(__dirname, '..', '..', 'harness', 'record-loaded-modules.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every package loaded from node_modules, by name: `@temporalio/client`, `zod`, … */
  packages: string[];
}

async function ripcord(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const file = join(mkdtempSync(join(tmpdir(), 'ripcord-loaded-')), 'modules.txt');
  const cli = new CliProcess(args, {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${RECORDER}`.trim(),
    RIPCORD_LOADED_MODULES_FILE: file,
    RIPCORD_PROFILE: '',
    ...env,
  });
  const code = await cli.exited;
  const packages = new Set<string>();
  for (const path of readFileSync(file, 'utf8').split('\n')) {
    const name = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
    if (name) packages.add(name);
  }
  return { code, stdout: cli.stdout, stderr: cli.stderr, packages: [...packages].sort() };
}

const temporalSdk = (run: Run) => run.packages.filter((name) => name.startsWith('@temporalio/'));

/** A gRPC endpoint that answers every call UNIMPLEMENTED: `status` gives up at once, its client loaded. */
async function notTemporal(): Promise<{ address: string; close(): Promise<void> }> {
  const server = createServer();
  server.on('stream', (stream) =>
    stream.respond(
      {
        ':status': 200,
        'content-type': 'application/grpc',
        'grpc-status': '12',
        'grpc-message': 'not a Temporal server',
      },
      { endStream: true },
    ),
  );
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((closed) => server.close(() => closed())),
  };
}

describe('commands that never talk to Temporal never load its SDK', () => {
  it('--help', async () => {
    const run = await ripcord(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: ripcord');
    expect(temporalSdk(run)).toEqual([]);
  });

  it('policy validate', async () => {
    const run = await ripcord(['policy', 'validate', CANARY_POLICY]);
    expect(run.stdout).toMatch(/^ok /);
    expect(run.code).toBe(0);
    expect(temporalSdk(run)).toEqual([]);
  });

  it('policy explain', async () => {
    const run = await ripcord(['policy', 'explain', CANARY_POLICY]);
    expect(run.code).toBe(0);
    expect(temporalSdk(run)).toEqual([]);
  });

  it('simulate', async () => {
    const scenario = join(SHARED_HISTOGRAM_DIR, 'healthy-00.json');
    const run = await ripcord(['simulate', '--policy', CANARY_POLICY, '--scenario', scenario, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(temporalSdk(run)).toEqual([]);
  });

  it('audit verify', async () => {
    const trail = join(mkdtempSync(join(tmpdir(), 'ripcord-trail-')), 'audit.jsonl');
    writeFileSync(trail, '');
    const run = await ripcord(['audit', 'verify', trail]);
    expect(run.stdout).toContain('0 records verified');
    expect(run.code).toBe(0);
    expect(temporalSdk(run)).toEqual([]);
  });
});

test('status loads the Temporal client, not the worker', async () => {
  const server = await notTemporal();
  try {
    const run = await ripcord(['status', 'd-1'], { TEMPORAL_ADDRESS: server.address });
    expect(run.stderr).toContain('not a Temporal server');
    expect(run.code).toBe(1);
    expect(temporalSdk(run)).toContain('@temporalio/client');
    expect(temporalSdk(run)).not.toContain('@temporalio/worker');
    expect(temporalSdk(run)).not.toContain('@temporalio/core-bridge');
  } finally {
    await server.close();
  }
});

test('backtest loads the Temporal client to read histories, not the worker', async () => {
  const server = await notTemporal();
  try {
    const run = await ripcord(['backtest', '--policy', CANARY_POLICY], { TEMPORAL_ADDRESS: server.address });
    expect(run.stderr).toContain('not a Temporal server');
    expect(run.code).toBe(1);
    expect(temporalSdk(run)).toContain('@temporalio/client');
    expect(temporalSdk(run)).not.toContain('@temporalio/worker');
    expect(temporalSdk(run)).not.toContain('@temporalio/core-bridge');
  } finally {
    await server.close();
  }
});

test("the audit names in the help are the sinks' own", () => {
  // Copied so that registering `audit` and `report` does not load the sinks.
  expect(helpNames.DEFAULT_AUDIT_FILE).toBe(jsonlSink.DEFAULT_AUDIT_FILE);
  expect(helpNames.AUDIT_TABLE).toBe(postgresSink.AUDIT_TABLE);
});

describe('tracing (issue 21): the OpenTelemetry SDK is loaded only by a command that traces', () => {
  const otel = (run: Run) =>
    run.packages.filter(
      (name) => name.startsWith('@opentelemetry/') || name === '@temporalio/interceptors-opentelemetry',
    );
  /** Nothing listens on port 9 (discard): spans have nowhere to go, and that must not matter. */
  const OTEL_ON = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_SDK_DISABLED: '' };
  const OTEL_OFF = {
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
    OTEL_TRACES_EXPORTER: '',
  };
  const guardArgs = [
    'guard',
    '--policy',
    CANARY_POLICY,
    '--service',
    'checkout',
    '--env',
    'production',
    '--version',
    '2.0.0',
    '--previous',
    '1.9.0',
    '--deployment-id',
    'd-1',
  ];

  it('--help and policy validate load none of it, OTEL_* set or not', async () => {
    for (const args of [['--help'], ['policy', 'validate', CANARY_POLICY]]) {
      const run = await ripcord(args, OTEL_ON);
      expect(run.code).toBe(0);
      expect({ args, otel: otel(run) }).toEqual({ args, otel: [] });
    }
  });

  it('status loads none of it: it reads the trace id from the start header itself', async () => {
    const server = await notTemporal();
    try {
      const run = await ripcord(['status', 'd-1'], { TEMPORAL_ADDRESS: server.address, ...OTEL_ON });
      expect(run.code).toBe(1);
      expect(otel(run)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('guard without OTEL_* loads no SDK, no exporter and no interceptor; with OTEL_* it does', async () => {
    const server = await notTemporal();
    try {
      const off = await ripcord(guardArgs, { TEMPORAL_ADDRESS: server.address, ...OTEL_OFF });
      expect(off.stderr).toContain('not a Temporal server');
      expect(otel(off).filter((name) => name !== '@opentelemetry/api')).toEqual([]);
      const on = await ripcord(guardArgs, { TEMPORAL_ADDRESS: server.address, ...OTEL_ON });
      expect(on.stderr).toContain('not a Temporal server');
      expect(otel(on)).toEqual(
        expect.arrayContaining([
          '@opentelemetry/sdk-trace-node',
          '@opentelemetry/exporter-trace-otlp-http',
          '@temporalio/interceptors-opentelemetry',
        ]),
      );
      // Only the exporter the protocol asks for.
      expect(otel(on)).not.toContain('@opentelemetry/exporter-trace-otlp-proto');
      expect(temporalSdk(on)).not.toContain('@temporalio/worker');
    } finally {
      await server.close();
    }
  });
});
