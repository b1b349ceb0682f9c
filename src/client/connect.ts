import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { dataConverterFromConfig } from '../security/codec/data-converter';
import { type ResolvedConnection } from './connection-profile';
import { activeTracing } from '../tracing';

/** The connection options both sides use: the client here, the worker's NativeConnection in src/worker. */
export function connectionOptions(conn: ResolvedConnection) {
  return {
    address: conn.address,
    ...(conn.tls ? { tls: conn.tls } : {}),
    ...(conn.apiKey ? { apiKey: conn.apiKey } : {}),
  };
}

/**
 * A client for `conn`. Payloads are encrypted when a codec keyring is
 * configured (RIPCORD_CODEC_KEYS / RIPCORD_CODEC_KEYRING, see
 * src/security/codec): the worker reads the same configuration, so both sides
 * always use the same data converter. In a process that traces, the client
 * carries the Temporal OpenTelemetry interceptor (src/tracing).
 */
export async function connectClient(
  conn: ResolvedConnection,
  options: { dataConverter?: DataConverter } = {},
): Promise<Client> {
  // Read the keys before connecting: a broken keyring should not leave a connection open.
  const dataConverter = options.dataConverter ?? dataConverterFromConfig();
  const connection = await Connection.connect(connectionOptions(conn));
  // A process that traces (a command started src/tracing) sends its context with what it starts and signals.
  const tracing = activeTracing();
  return new Client({
    connection,
    namespace: conn.namespace,
    ...(dataConverter ? { dataConverter } : {}),
    ...(tracing ? { interceptors: { workflow: tracing.workflowClientInterceptors() } } : {}),
  });
}
