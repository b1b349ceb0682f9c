import { spawn } from 'node:child_process';
import { exitOf, OutputTail, stopChild } from './child';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { assertPortFree } from './ports';
import { loadSearchAttributeConfig } from './search-attributes';
import { requireTool } from './tools';

/**
 * The embedded Temporal dev server (`temporal server start-dev`): SQLite
 * persistence, the Web UI, and ripcord's search attributes registered at start.
 * Used by `ripcord dev server`, the demo and the integration test harness.
 */

export interface DevServerOptions {
  port: number;
  uiPort: number;
  /** SQLite file; omitted = in memory (lost on exit). */
  dbFile?: string;
  ip?: string;
  namespace?: string;
  /** More namespaces to create at start, each with the same search attributes (tests isolate themselves with them). */
  extraNamespaces?: string[];
  /** Where the server's own output goes; by default it is kept only for error reports. */
  onOutput?: (line: string) => void;
  readyTimeoutMs?: number;
  /** Codec server the Web UI decodes payloads through (`--ui-codec-endpoint`); omitted: none. */
  codecEndpoint?: string;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  namespace: string;
  pid: number;
  /** Resolves when the process has exited, for whatever reason. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export class DevServerError extends Error {}

const TAIL_LINES = 40;

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  await assertPortFree(options.port, ip, 'gRPC');
  await assertPortFree(options.uiPort, ip, 'Web UI');

  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(options.port),
    '--ui-ip',
    ip,
    '--ui-port',
    String(options.uiPort),
    '--namespace',
    namespace,
    ...(options.extraNamespaces ?? []).flatMap((extra) => ['--namespace', extra]),
    '--ui-disable-news-fetch',
    '--log-level',
    'warn',
  ];
  if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  if (options.dbFile) {
    const db = resolve(options.dbFile);
    mkdirSync(dirname(db), { recursive: true });
    args.push('--db-filename', db);
  }
  for (const [name, type] of Object.entries(loadSearchAttributeConfig())) {
    args.push('--search-attribute', `${name}=${type}`);
  }

  const child = spawn(requireTool('temporal'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = new OutputTail(TAIL_LINES, options.onOutput);
  tail.attach(child);
  const exited = exitOf(child).then(({ code }) => code);

  const address = `${ip}:${options.port}`;
  const uiUrl = `http://${ip}:${options.uiPort}`;
  const server: DevServer = {
    address,
    uiUrl,
    namespace,
    pid: child.pid ?? -1,
    exited,
    stop: () => stopChild(child),
  };

  try {
    await waitUntilReady(address, namespace, uiUrl, exited, options.readyTimeoutMs ?? 90_000);
  } catch (err) {
    await server.stop();
    throw new DevServerError(`${(err as Error).message}${tail.describe('the dev server')}`);
  }
  return server;
}

async function waitUntilReady(
  address: string,
  namespace: string,
  uiUrl: string,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  let lastProblem = 'not started';
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new DevServerError(`the dev server exited early (code ${exitCode})`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
      } finally {
        await connection.close();
      }
      const ui = await fetch(uiUrl, { signal: AbortSignal.timeout(2_000) });
      if (ui.ok) return;
      lastProblem = `Web UI answered ${ui.status}`;
    } catch (err) {
      lastProblem = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new DevServerError(
    `the dev server was not ready after ${Math.round(timeoutMs / 1000)} s (${lastProblem})`,
  );
}
