import { spawn } from 'node:child_process';
import { exitOf, OutputTail, stopChild } from './child';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { assertPortFree, findFreePort } from './ports';

/**
 * A local Unleash server (npm `unleash-server`, docs/architecture.md §6) for tests and the
 * demo: a child process on a free port, with its own freshly created
 * PostgreSQL database and an admin API token made up at start and handed to
 * Unleash through its "init API tokens" option. The token is returned to the
 * caller and never logged; `stop()` ends the process and drops the database.
 */

export interface UnleashOptions {
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  host?: string;
  /** The PostgreSQL server that holds the new database (trust auth). Default 127.0.0.1:5432, user postgres. */
  postgres?: { host?: string; port?: number; user?: string; password?: string };
  /** Where Unleash's own output goes; by default it is kept only for error reports. */
  onOutput?: (line: string) => void;
  /** Unleash runs its migrations on a fresh database first: 10–30 s is normal. Default 120 s. */
  readyTimeoutMs?: number;
}

export interface LocalUnleash {
  /** Base URL, e.g. http://127.0.0.1:4242 */
  url: string;
  /** Admin API token (`*:*.<hex>`); send it as the Authorization header. A secret: never log it. */
  adminToken: string;
  database: string;
  pid: number;
  /** How long the start took, migrations included. */
  startedInMs: number;
  /** Ends the server and drops its database; safe to call twice. */
  stop(): Promise<void>;
}

export class UnleashStartError extends Error {
  override readonly name = 'UnleashStartError';
}

/** The child program beside this file: unleash-main.ts through tsx, or unleash-main.js compiled in dist/. */
const CHILD_ENTRY = path.join(__dirname, `unleash-main${path.extname(__filename)}`);
const TAIL_LINES = 40;

export async function startUnleash(options: UnleashOptions = {}): Promise<LocalUnleash> {
  const started = Date.now();
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await findFreePort(host));
  await assertPortFree(port, host, 'Unleash');
  const pg = {
    host: options.postgres?.host ?? '127.0.0.1',
    port: options.postgres?.port ?? 5432,
    user: options.postgres?.user ?? 'postgres',
    ...(options.postgres?.password === undefined ? {} : { password: options.postgres.password }),
  };
  const database = `ripcord_unleash_${randomBytes(6).toString('hex')}`;
  const adminToken = `*:*.${randomBytes(24).toString('hex')}`;

  await adminQuery(pg, `CREATE DATABASE ${database}`);
  const dropDatabase = () => adminQuery(pg, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);

  const loader = CHILD_ENTRY.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, CHILD_ENTRY], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production', TZ: 'UTC' },
  });
  const tail = new OutputTail(TAIL_LINES, options.onOutput);
  tail.attach(child);
  const exited = exitOf(child).then(({ code }) => code);
  // The token goes over stdin: a command line or an environment is visible to other processes.
  // stdin then stays open: the child stops when it closes, also when this process dies abruptly.
  child.stdin?.on('error', () => undefined);
  child.stdin?.write(`${JSON.stringify({ host, port, database: { ...pg, database }, adminToken })}\n`);

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= stopChild(child).then(dropDatabase);
    return stopped;
  };

  const url = `http://${host}:${port}`;
  try {
    await waitUntilHealthy(url, exited, options.readyTimeoutMs ?? 120_000);
  } catch (error) {
    await stop().catch(() => undefined);
    throw new UnleashStartError(`${(error as Error).message}${tail.describe('Unleash')}`);
  }
  return { url, adminToken, database, pid: child.pid ?? -1, startedInMs: Date.now() - started, stop };
}

async function adminQuery(
  pg: { host: string; port: number; user: string; password?: string },
  sql: string,
): Promise<void> {
  const client = new Client({ ...pg, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function waitUntilHealthy(
  url: string,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  let lastProblem = 'not started';
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new UnleashStartError(`Unleash exited early (code ${exitCode})`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      lastProblem = `/health answered ${response.status}`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  throw new UnleashStartError(
    `Unleash was not healthy after ${Math.round(timeoutMs / 1000)} s (${lastProblem})`,
  );
}
