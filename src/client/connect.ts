import { Client, Connection } from '@temporalio/client';
import { type ResolvedConnection } from './connection-profile';

/** The connection options both sides use: the client here, the worker's NativeConnection in src/worker. */
export function connectionOptions(conn: ResolvedConnection) {
  return {
    address: conn.address,
    ...(conn.tls ? { tls: conn.tls } : {}),
    ...(conn.apiKey ? { apiKey: conn.apiKey } : {}),
  };
}

export async function connectClient(conn: ResolvedConnection): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(conn));
  return new Client({ connection, namespace: conn.namespace });
}
