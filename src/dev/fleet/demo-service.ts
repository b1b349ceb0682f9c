import { readFileSync, realpathSync } from 'node:fs';
import {
  Agent,
  type ClientRequest,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Counter, Histogram, Registry } from 'prom-client';
import { readManifest, type ReleaseManifest } from '../../targets/artifact/releases';
import {
  BEHAVIOUR_FILE,
  type Behaviour,
  BehaviourError,
  type BehaviourPhase,
  parseBehaviour,
  phaseAt,
  sampleRequest,
  seededRandom,
} from './behaviour';
import { type ListeningMessage, RESTART_EXIT_CODE } from './protocol';

/**
 * The demo service (`checkout`, and in the release story `payments` and
 * `db-proxy` too). One program for every service and version: the service,
 * version, digest and behaviour come from the release directory it is started
 * from (manifest.json, behaviour.json). It serves
 *
 *   GET / and /checkout   the business endpoint (X-Version header; 500 on an injected failure)
 *   GET /metrics          prom-client: http_requests_total{service,version,code},
 *                         http_request_duration_seconds{service,version} histogram
 *   GET /version          { service, version, digest } from manifest.json, and startedAt:
 *                         when the behaviour's clock started (its phases count from it)
 *   POST /fault/on|off    the fault switch: while on, requests follow the behaviour's `fault`;
 *                         answers { service, version, fault, effect }
 *
 * With `calls` (a URL, and the Host to send, e.g. nginx routing by Host), every
 * business request first calls that dependency; when the dependency fails
 * (5xx, no answer) the request fails too, at once, as a caller that cannot
 * work without it does. Its own behaviour applies only to requests whose call
 * succeeded; the histogram times the whole request, the call included.
 *
 * Run as a child: `node --require tsx/cjs demo-service.ts --release <dir> --port <n>`.
 * SIGHUP drains and exits with RESTART_EXIT_CODE so the supervisor starts it
 * again from `current`; SIGTERM/SIGINT drain and exit 0; a vanished parent
 * (closed IPC channel) ends it too, so nothing outlives the demo.
 */

/** Fine around the policy's thresholds (p99 of ~120 ms healthy, 800 ms recovery target). */
export const LATENCY_BUCKETS_SECONDS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25,
  1.5, 2, 3, 5, 10,
];

/** In-flight requests get this long to finish when the service stops. */
const DRAIN_MS = 3_000;

export interface LoadedRelease {
  /** The release directory, symlinks resolved. */
  dir: string;
  manifest: ReleaseManifest;
  behaviour: Behaviour;
}

/** Reads manifest.json and behaviour.json of a release (or of `current`, resolved once, now). */
export async function loadRelease(release: string): Promise<LoadedRelease> {
  const dir = realpathSync(release);
  const manifest = await readManifest(dir);
  const file = join(dir, BEHAVIOUR_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new BehaviourError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return { dir, manifest, behaviour: parseBehaviour(raw, file) };
}

export interface DemoServiceOptions {
  /** A release directory or a `current` symlink. */
  release: string;
  port: number;
  host?: string;
  /** Seed of the request outcomes; omitted = a fresh one per start. */
  seed?: number;
  /** The dependency every business request calls first. */
  calls?: DependencyCall;
}

export interface DependencyCall {
  /** http:// URL of the dependency (usually a front such as nginx). */
  url: string;
  /** Host header to send (a front that routes by Host); omitted = the URL's. */
  host?: string;
  /** A call not answered within this long fails (default 2000). */
  timeoutMs?: number;
}

export interface DemoService {
  url: string;
  port: number;
  release: LoadedRelease;
  /** Stops accepting, lets in-flight requests finish (bounded), closes. */
  close(): Promise<void>;
}

export async function startDemoService(options: DemoServiceOptions): Promise<DemoService> {
  const release = await loadRelease(options.release);
  const { service, version, digest } = release.manifest;
  const random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const startedAt = Date.now();

  const registry = new Registry();
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Business requests served, by service, version and status code.',
    labelNames: ['service', 'version', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to serve a business request, by service and version.',
    labelNames: ['service', 'version'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  // Zero series from the start, so rate() has a first sample before the first request.
  requests.inc({ service, version, code: '200' }, 0);
  requests.inc({ service, version, code: '500' }, 0);
  if (options.calls !== undefined) requests.inc({ service, version, code: '502' }, 0);
  duration.zero({ service, version });

  const pending = new Set<NodeJS.Timeout>();
  const dependency = options.calls === undefined ? undefined : dependencyCaller(options.calls);
  let fault = false;

  const phaseNow = (): Omit<BehaviourPhase, 'fromSeconds'> => {
    if (fault && release.behaviour.fault !== undefined) return release.behaviour.fault;
    return phaseAt(release.behaviour, (Date.now() - startedAt) / 1000);
  };

  const checkout = (res: ServerResponse) => {
    const began = process.hrtime.bigint();
    const finish = (code: number, body: unknown) => {
      send(res, code, body, { 'x-version': version });
      requests.inc({ service, version, code: String(code) });
      duration.observe({ service, version }, Number(process.hrtime.bigint() - began) / 1e9);
    };
    const serve = () => {
      const outcome = sampleRequest(
        { fromSeconds: 0, ...phaseNow() },
        random,
        release.behaviour.maxLatencyMs,
      );
      const timer = setTimeout(() => {
        pending.delete(timer);
        if (outcome.error) finish(500, { error: 'payment authorisation failed', version });
        else finish(200, { ok: true, order: 'demo', version });
      }, outcome.latencyMs);
      pending.add(timer);
    };
    if (dependency === undefined) {
      serve();
      return;
    }
    dependency.call((failure) => {
      if (failure === undefined) serve();
      else finish(502, { error: `${service} cannot work: ${failure}`, version });
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && (path === '/fault/on' || path === '/fault/off')) {
      fault = path === '/fault/on';
      send(res, 200, { service, version, fault, effect: release.behaviour.fault?.name ?? 'none' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { error: 'only GET' }, { allow: 'GET, HEAD', 'x-version': version });
      return;
    }
    if (path === '/' || path === '/checkout') {
      checkout(res);
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => send(res, 200, text, { 'content-type': registry.contentType }),
        (err: Error) => send(res, 500, { error: err.message }),
      );
    } else if (path === '/version') {
      send(
        res,
        200,
        { service, version, digest, startedAt: new Date(startedAt).toISOString() },
        { 'x-version': version },
      );
    } else {
      send(res, 404, { error: 'not found' }, { 'x-version': version });
    }
  };

  const server = createServer(handle);
  server.keepAliveTimeout = 30_000;
  await listen(server, options.port, options.host ?? '127.0.0.1');
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= drain(server, pending).finally(() => dependency?.close());
    return closing;
  };
  return { url: `http://${options.host ?? '127.0.0.1'}:${port}`, port, release, close };
}

interface DependencyCaller {
  /** Calls the dependency and reports, once, how it went: undefined when it answered below 500, else what failed. */
  call(done: (failure: string | undefined) => void): void;
  /** Cuts the calls in flight and the kept-alive connections. */
  close(): void;
}

/** Calls over keep-alive connections, each bounded by the timeout. */
function dependencyCaller(calls: DependencyCall): DependencyCaller {
  const inFlight = new Set<ClientRequest>();
  const url = new URL(calls.url);
  if (url.protocol !== 'http:') throw new Error(`calls: only http:// is supported (${calls.url})`);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const timeoutMs = calls.timeoutMs ?? 2_000;
  const name = calls.host ?? url.host;
  const headers = calls.host === undefined ? {} : { host: calls.host };
  const call = (done: (failure: string | undefined) => void) => {
    let settled = false;
    const settle = (failure: string | undefined) => {
      if (settled) return;
      settled = true;
      inFlight.delete(req);
      done(failure);
    };
    const req = request(url, { agent, method: 'GET', headers, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      res.once('end', () => settle(status >= 500 ? `${name} answered ${status}` : undefined));
      res.once('error', (err: NodeJS.ErrnoException) => settle(`${name}: ${err.code ?? err.message}`));
    });
    inFlight.add(req);
    req.once('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.once('error', (err: NodeJS.ErrnoException) => settle(`${name}: ${err.code ?? err.message}`));
    req.end();
  };
  const close = () => {
    for (const req of inFlight) req.destroy();
    agent.destroy();
  };
  return { call, close };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${port} on ${host} is already in use`
            : `cannot listen on ${host}:${port}: ${err.code ?? err.message}`,
        ),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      resolvePromise();
    });
  });
}

/** Stop accepting; give in-flight requests DRAIN_MS, then cut what is left. */
async function drain(server: Server, pending: Set<NodeJS.Timeout>): Promise<void> {
  const closed = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
  server.closeIdleConnections();
  const idleCutter = setInterval(() => server.closeIdleConnections(), 100);
  const deadline = new Promise<void>((resolvePromise) => setTimeout(resolvePromise, DRAIN_MS).unref());
  await Promise.race([closed, deadline]);
  clearInterval(idleCutter);
  for (const timer of pending) clearTimeout(timer);
  server.closeAllConnections();
}

// ---- the child-process entry point ------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      release: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      calls: { type: 'string' },
      'calls-host': { type: 'string' },
    },
  });
  if (values.release === undefined || values.port === undefined) {
    throw new Error(
      'usage: demo-service --release <dir> --port <n> [--host <ip>] [--seed <n>] [--calls <url> [--calls-host <host>]]',
    );
  }
  const service = await startDemoService({
    release: values.release,
    port: Number(values.port),
    host: values.host,
    seed: values.seed === undefined ? undefined : Number(values.seed),
    ...(values.calls === undefined
      ? {}
      : { calls: { url: values.calls, ...(values['calls-host'] ? { host: values['calls-host'] } : {}) } }),
  });
  const { manifest } = service.release;
  const stopWith = (code: number) => () => {
    void service.close().then(() => process.exit(code));
  };
  process.once('SIGHUP', stopWith(RESTART_EXIT_CODE));
  process.once('SIGTERM', stopWith(0));
  process.once('SIGINT', stopWith(0));
  if (process.send !== undefined) {
    process.once('disconnect', stopWith(0));
    const message: ListeningMessage = {
      type: 'listening',
      port: service.port,
      service: manifest.service,
      version: manifest.version,
      digest: manifest.digest,
      release: service.release.dir,
      behaviour: service.release.behaviour.name,
    };
    process.send(message);
  }
  console.log(
    `${manifest.service} ${manifest.version} (${service.release.behaviour.name}) on ${service.url}, pid ${process.pid}`,
  );
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
