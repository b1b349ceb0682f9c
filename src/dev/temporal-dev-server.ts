import { spawn } from 'node:child_process';
import { exitOf, OutputTail, stopChild } from './child';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { DbInUseError, lockDatabase, type DbLock } from './db-lock';
import { assertPortFree, PortInUseError } from './ports';
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
  await assertPortsFree(ip, [
    { port: options.port, what: 'gRPC', flag: '--port' },
    { port: options.uiPort, what: 'Web UI', flag: '--ui-port' },
  ]);

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
  for (const [name, type] of Object.entries(loadSearchAttributeConfig())) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  let lock: DbLock | undefined;
  if (options.dbFile) {
    const db = resolve(options.dbFile);
    mkdirSync(dirname(db), { recursive: true });
    // Before anything starts: a second server on the same file is refused, naming the one that has it.
    try {
      lock = lockDatabase(db);
    } catch (err) {
      throw err instanceof DbInUseError ? new DevServerError(err.message) : err;
    }
    args.push('--db-filename', db);
  }

  let child;
  try {
    child = spawn(requireTool('temporal'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    lock?.release();
    throw err;
  }
  if (child.pid !== undefined) lock?.addPid(child.pid);
  const tail = new OutputTail(TAIL_LINES, options.onOutput);
  tail.attach(child);
  const exited = exitOf(child).then(({ code }) => {
    lock?.release();
    return code;
  });

  const address = `${ip}:${options.port}`;
  const uiUrl = `http://${ip}:${options.uiPort}`;
  const server: DevServer = {
    address,
    uiUrl,
    namespace,
    pid: child.pid ?? -1,
    exited,
    stop: async () => {
      await stopChild(child);
      lock?.release();
    },
  };

  try {
    await waitUntilReady(address, namespace, uiUrl, exited, options.readyTimeoutMs ?? 90_000);
  } catch (err) {
    await server.stop();
    throw new DevServerError(`${(err as Error).message}${tail.describe('the dev server')}`);
  }
  return server;
}

/**
 * Every port that is taken, in one message naming the flag that moves it (the
 * same in `ripcord dev server` and `ripcord demo`).
 */
async function assertPortsFree(ip: string, ports: Array<{ port: number; what: string; flag: string }>) {
  const problems: string[] = [];
  for (const { port, what, flag } of ports) {
    try {
      await assertPortFree(port, ip, what);
    } catch (err) {
      if (!(err instanceof PortInUseError)) throw err;
      problems.push(`${err.message} with ${flag}`);
    }
  }
  if (problems.length > 0) throw new PortInUseError(problems.join('; '));
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
