import { type ChildProcess, spawn } from 'node:child_process';
import { exitOf, OutputTail } from './child';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { ServiceName } from '../targets/nginx/config';
import {
  childPids,
  type NginxTestResult,
  reloadNginx,
  resolveNginxBinary,
  testNginxConfig,
} from '../targets/nginx/control';
import { assertPortFree } from './ports';

/**
 * A project-owned nginx (Debian package) for the integration tests and the
 * demo: one master run as a child process in the foreground, configuration,
 * pid, logs and temp paths all inside `dir`, listening on host:port and
 * proxying each request to the upstream of its service. The upstreams are
 * files `<dir>/upstreams/<service>.conf` (`upstream <service> { ... }`), written
 * by the nginx traffic target; until a service's file exists its requests get
 * 502.
 *
 * Routing: a request whose Host is `<service>` or `<service>.<anything>` goes to
 * that service; any other request (e.g. to http://127.0.0.1:<port>/) goes to
 * the first service.
 */

export interface NginxOptions {
  /** Everything nginx reads or writes lives here; created when missing. */
  dir: string;
  port: number;
  host?: string;
  /** The services to route; the first one also answers requests for any other Host. */
  services: string[];
  /** The nginx binary; default: $RIPCORD_NGINX_BIN, PATH, /usr/sbin/nginx. */
  binary?: string;
  workerProcesses?: number;
  readyTimeoutMs?: number;
  /** nginx's own output lines; by default kept only for error reports. */
  onOutput?: (line: string) => void;
}

export interface NginxServer {
  url: string;
  host: string;
  port: number;
  /** The master's pid. */
  pid: number;
  dir: string;
  confFile: string;
  upstreamsDir: string;
  pidFile: string;
  errorLog: string;
  accessLog: string;
  /** What an nginx target config needs from this server: spread it into `{ type: 'nginx', ...targetPaths, services }`. */
  targetPaths: {
    nginxBinary: string;
    prefix: string;
    confFile: string;
    pidFile: string;
    upstreamsDir: string;
    stateDir: string;
  };
  /** `nginx -t` on the full configuration. */
  test(): Promise<NginxTestResult>;
  /** `nginx -t`, then SIGHUP; resolves when new workers run. Throws with nginx's message when the test fails. */
  reload(): Promise<void>;
  /** Stops the master and its workers (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
  exited: Promise<number | null>;
}

export class NginxStartError extends Error {
  override readonly name = 'NginxStartError';
}

/** Answered by nginx itself, whatever the upstreams say: the readiness check. */
export const READY_PATH = '/__ripcord-nginx/ready';
const TAIL_LINES = 30;
const STOP_GRACE_MS = 5_000;

export async function startNginx(options: NginxOptions): Promise<NginxServer> {
  const host = options.host ?? '127.0.0.1';
  const binary = resolveNginxBinary(options.binary);
  const dir = resolve(options.dir);
  const paths = layout(dir);
  if (options.services.length === 0) throw new NginxStartError('startNginx needs at least one service');
  for (const service of options.services) {
    if (!ServiceName.safeParse(service).success) {
      throw new NginxStartError(`"${service}" cannot be a service name in nginx configuration`);
    }
  }
  await assertPortFree(options.port, host, 'nginx');

  for (const sub of [paths.logs, paths.temp, paths.upstreamsDir, paths.stateDir]) {
    mkdirSync(sub, { recursive: true });
  }
  writeFileSync(
    paths.confFile,
    renderMainConfig({
      ...paths,
      host,
      port: options.port,
      services: options.services,
      workerProcesses: options.workerProcesses ?? 1,
    }),
  );

  const child = spawn(
    binary,
    ['-p', `${dir}/`, '-c', paths.confFile, '-e', paths.errorLog, '-g', 'daemon off;'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const tail = new OutputTail(TAIL_LINES, options.onOutput);
  tail.attach(child);
  const exited = exitOf(child).then(({ code }) => code);
  // If this process ends without stop(), the master (and with it its workers) must not outlive it.
  const onExit = () => child.kill('SIGTERM');
  process.once('exit', onExit);

  const instance = { binary, prefix: dir, confFile: paths.confFile, pidFile: paths.pidFile };
  const url = `http://${host}:${options.port}`;
  const server: NginxServer = {
    url,
    host,
    port: options.port,
    pid: child.pid ?? -1,
    dir,
    confFile: paths.confFile,
    upstreamsDir: paths.upstreamsDir,
    pidFile: paths.pidFile,
    errorLog: paths.errorLog,
    accessLog: paths.accessLog,
    targetPaths: {
      nginxBinary: binary,
      prefix: dir,
      confFile: paths.confFile,
      pidFile: paths.pidFile,
      upstreamsDir: paths.upstreamsDir,
      stateDir: paths.stateDir,
    },
    exited,
    test: () => testNginxConfig(instance),
    reload: async () => {
      const test = await testNginxConfig(instance);
      if (!test.ok) throw new NginxStartError(`nginx -t failed, not reloaded: ${test.message}`);
      await reloadNginx(instance);
    },
    stop: async () => {
      process.removeListener('exit', onExit);
      await stopMaster(child, exited);
    },
  };

  try {
    await waitUntilReady(`${url}${READY_PATH}`, exited, options.readyTimeoutMs ?? 15_000);
  } catch (error) {
    await server.stop();
    throw new NginxStartError(`${(error as Error).message}${tail.describe('nginx')}`);
  }
  return server;
}

function layout(dir: string) {
  const logs = join(dir, 'logs');
  return {
    dir,
    logs,
    temp: join(dir, 'temp'),
    confFile: join(dir, 'nginx.conf'),
    pidFile: join(dir, 'nginx.pid'),
    errorLog: join(logs, 'error.log'),
    accessLog: join(logs, 'access.log'),
    upstreamsDir: join(dir, 'upstreams'),
    stateDir: join(dir, 'ripcord-state'),
  };
}

function quote(path: string): string {
  // Paths go into configuration text: refuse what could end a quoted string or expand as a variable.
  if (/["\\$\n\r]/.test(path)) throw new NginxStartError(`nginx cannot use the path ${JSON.stringify(path)}`);
  return `"${path}"`;
}

export function renderMainConfig(c: {
  dir: string;
  temp: string;
  pidFile: string;
  errorLog: string;
  accessLog: string;
  upstreamsDir: string;
  host: string;
  port: number;
  services: string[];
  workerProcesses: number;
}): string {
  const [first] = c.services;
  const routes = c.services.flatMap((s) => [`        ${s} ${s};`, `        ${s}.* ${s};`]);
  return [
    `# Written by ripcord (src/dev/nginx.ts): a project-owned nginx; every path is inside ${c.dir}.`,
    `worker_processes ${c.workerProcesses};`,
    `pid ${quote(c.pidFile)};`,
    `error_log ${quote(c.errorLog)} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    `    access_log ${quote(c.accessLog)};`,
    `    client_body_temp_path ${quote(join(c.temp, 'client_body'))};`,
    `    proxy_temp_path ${quote(join(c.temp, 'proxy'))};`,
    `    fastcgi_temp_path ${quote(join(c.temp, 'fastcgi'))};`,
    `    uwsgi_temp_path ${quote(join(c.temp, 'uwsgi'))};`,
    `    scgi_temp_path ${quote(join(c.temp, 'scgi'))};`,
    '    # Bodies stay in memory, so workers (user nobody when the master is root) never write into the dir.',
    '    client_max_body_size 1m;',
    '    client_body_buffer_size 1m;',
    '    proxy_max_temp_file_size 0;',
    '',
    '    # One file per service, `upstream <service> { ... }`, written by the nginx traffic target.',
    `    include ${quote(join(c.upstreamsDir, '*.conf'))};`,
    '',
    '    # The service a request is for: its Host (<service> or <service>.*), else the first service.',
    '    map $host $ripcord_upstream {',
    '        hostnames;',
    `        default ${first};`,
    ...routes,
    '    }',
    '',
    '    server {',
    `        listen ${c.host}:${c.port};`,
    `        location = ${READY_PATH} { return 204; }`,
    '        location / {',
    '            # A variable naming an upstream block needs no resolver: nginx looks it up among its upstreams.',
    '            proxy_pass http://$ripcord_upstream;',
    '            proxy_set_header Host $host;',
    '            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '            proxy_connect_timeout 2s;',
    '            add_header X-Ripcord-Upstream $upstream_addr always;',
    '        }',
    '    }',
    '}',
    '',
  ].join('\n');
}

async function waitUntilReady(url: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'not started';
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new NginxStartError(`nginx exited at start (code ${exitCode})`);
    const status = await getStatus(url).catch((error: NodeJS.ErrnoException) => {
      lastProblem = error.code ?? error.message;
      return undefined;
    });
    if (status === 204) return;
    if (status !== undefined) lastProblem = `${url} answered ${status} (another server on the port?)`;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new NginxStartError(`nginx was not ready after ${Math.round(timeoutMs / 1000)} s (${lastProblem})`);
}

function getStatus(url: string): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = request(url, { agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolveStatus(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', reject);
    req.end();
  });
}

/** SIGTERM to the master (it stops its workers); SIGKILL to master and workers if it does not go in time. */
async function stopMaster(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const workers = (await childPids(child.pid)) ?? [];
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    child.kill('SIGKILL');
    // A killed master cannot stop its workers; they would keep the port.
    for (const worker of workers) {
      try {
        process.kill(worker, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, STOP_GRACE_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
