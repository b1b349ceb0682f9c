import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { isExecutable } from '../support/executable';

/**
 * Talking to an nginx that is already running: find the binary, test a full
 * configuration (`nginx -t`), and reload the master (SIGHUP to its pid file),
 * waiting until it has really started workers on the new configuration.
 * Shared by the traffic target and by the project's own dev nginx.
 */

export const DEFAULT_NGINX_BINARY = '/usr/sbin/nginx';
export const NGINX_BINARY_ENV = 'RIPCORD_NGINX_BIN';

export class NginxUnavailableError extends Error {
  override readonly name = 'NginxUnavailableError';
}

/** nginx is not running where the pid file says (or the pid file names some other process). */
export class NginxNotRunningError extends Error {
  override readonly name = 'NginxNotRunningError';
}

/** The master did not pick up the new configuration in time. */
export class NginxReloadError extends Error {
  override readonly name = 'NginxReloadError';
}

/** How to address one nginx instance: its binary, `-p`, `-c` and the `pid` file its config names. */
export interface NginxInstance {
  binary: string;
  prefix?: string;
  confFile: string;
  pidFile: string;
}

/**
 * The nginx binary: the one named explicitly, else $RIPCORD_NGINX_BIN, else
 * `nginx` on PATH, else /usr/sbin/nginx (Debian's place, often not on a
 * non-root PATH). Throws a plain message saying how to install it.
 */
export function resolveNginxBinary(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const named = explicit ?? (env[NGINX_BINARY_ENV] || undefined);
  if (named !== undefined) {
    if (isExecutable(named)) return named;
    throw new NginxUnavailableError(
      `nginx binary ${named} (${explicit !== undefined ? 'from the config' : `from $${NGINX_BINARY_ENV}`}) is missing or not executable`,
    );
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'nginx'))) return join(dir, 'nginx');
  }
  if (isExecutable(DEFAULT_NGINX_BINARY)) return DEFAULT_NGINX_BINARY;
  throw new NginxUnavailableError(
    `nginx is not installed (not on PATH, not at ${DEFAULT_NGINX_BINARY}): ` +
      `run "bash scripts/install-system-deps.sh" as root (Debian package nginx-light), or set $${NGINX_BINARY_ENV}`,
  );
}

function baseArgs(instance: NginxInstance): string[] {
  const args = ['-c', resolve(instance.confFile)];
  if (instance.prefix !== undefined) args.unshift('-p', `${resolve(instance.prefix)}/`);
  return args;
}

export type NginxTestResult = { ok: true } | { ok: false; message: string };

const MESSAGE_LIMIT = 600;

/**
 * `nginx -t` on the full configuration. On failure, nginx's own words (the
 * `[emerg]`-style lines, without the "test failed" trailer), which name the
 * file and line and never hold anything ripcord resolved.
 */
export function testNginxConfig(
  instance: NginxInstance,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<NginxTestResult> {
  // `-e stderr`: nginx logs start-up problems to stderr, not to a system log it may not be allowed to open.
  const args = ['-t', '-q', '-e', 'stderr', ...baseArgs(instance)];
  return new Promise((resolvePromise, reject) => {
    const run = { timeout: options.timeoutMs ?? 30_000, signal: options.signal };
    execFile(instance.binary, args, run, (error, _stdout, stderr) => {
      if (error === null) {
        resolvePromise({ ok: true });
        return;
      }
      if (options.signal?.aborted) {
        reject(options.signal.reason as Error);
        return;
      }
      const lines = String(stderr)
        .split('\n')
        // Log-format lines ("2026/01/01 12:00:00 [emerg] 123#123: ...") keep only the level and the words.
        .map((line) =>
          line
            .replace(/^nginx: /, '')
            .replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: (\*\d+ )?/, '$1 ')
            .trim(),
        )
        .filter((line) => line !== '' && !/^configuration file .* test failed$/.test(line));
      const spawnProblem = (error as NodeJS.ErrnoException).code;
      const message =
        lines.join('; ') ||
        (typeof spawnProblem === 'string' ? `cannot run ${instance.binary}: ${spawnProblem}` : error.message);
      resolvePromise({ ok: false, message: message.slice(0, MESSAGE_LIMIT) });
    });
  });
}

/** The master's pid, checked to be a live nginx process (a stale pid file may name someone else). */
export async function readMasterPid(pidFile: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch (error) {
    throw new NginxNotRunningError(
      `nginx is not running: no pid file at ${pidFile} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1) {
    throw new NginxNotRunningError(`nginx pid file ${pidFile} does not hold a pid`);
  }
  try {
    process.kill(pid, 0);
  } catch {
    throw new NginxNotRunningError(`nginx is not running: pid ${pid} from ${pidFile} is gone`);
  }
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (command !== undefined && !command.includes('nginx')) {
    throw new NginxNotRunningError(`pid ${pid} from ${pidFile} is not nginx (stale pid file)`);
  }
  return pid;
}

/** The master's worker (and cache) processes; undefined where /proc cannot tell (not Linux). */
export async function childPids(pid: number): Promise<number[] | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text
      .trim()
      .split(/\s+/)
      .filter((word) => word !== '')
      .map(Number);
  } catch {
    return undefined;
  }
}

const POLL_MS = 50;

/**
 * SIGHUP to the master, then wait until the reload has taken over: at least
 * one new worker runs, and every old worker is gone or shutting down (it has
 * closed the listening sockets, so every new connection meets the new
 * configuration). nginx keeps the old workers and configuration when a reload
 * fails, so "not in time" is reported as a failed reload, with where to look.
 */
export async function reloadNginx(
  instance: Pick<NginxInstance, 'pidFile'>,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ pid: number; workers: number[] }> {
  const pid = await readMasterPid(instance.pidFile);
  const before = await childPids(pid);
  process.kill(pid, 'SIGHUP');
  if (before === undefined) {
    // Without /proc nothing shows the new generation; give the master a moment, as `nginx -s reload` users do.
    await delay(1_000, options.signal);
    return { pid, workers: [] };
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await childPids(pid);
    if (now === undefined) throw new NginxNotRunningError(`nginx master ${pid} exited during the reload`);
    const fresh = now.filter((child) => !before.includes(child));
    const oldStillAccepting = await Promise.all(
      now.filter((child) => before.includes(child)).map(async (child) => !(await isShuttingDown(child))),
    );
    if (fresh.length > 0 && !oldStillAccepting.includes(true)) return { pid, workers: fresh };
    if (Date.now() > deadline) {
      throw new NginxReloadError(
        fresh.length === 0
          ? `nginx master ${pid} started no new workers within ${Math.round(timeoutMs / 1000)} s of SIGHUP: ` +
              `the reload failed and the old configuration is still live (see nginx's error log)`
          : `nginx master ${pid} reloaded, but its old workers still accept connections after ${Math.round(timeoutMs / 1000)} s`,
      );
    }
    await delay(POLL_MS, options.signal);
  }
}

/** An old worker renames itself "... is shutting down" once it has stopped accepting; gone counts too. */
async function isShuttingDown(pid: number): Promise<boolean> {
  const title = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return title === undefined || title.includes('shutting down');
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolvePromise();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
