import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { dyingWithParent, exitOf, hasExited, killOnExit, OutputTail, stopChild } from './child';
import { assertPortFree, findFreePort } from './ports';

/**
 * A real Prometheus for the local stack and the integration tests: the Debian
 * package's binary (/usr/bin/prometheus; RIPCORD_PROMETHEUS_BIN overrides) run
 * with a config this module writes, its own TSDB under `dir`, and the
 * lifecycle API on, so a target added later (the canary starts after
 * Prometheus) is a config rewrite plus POST /-/reload. `startPrometheus` returns
 * only when the server is ready and every target has been scraped once, so the
 * first query already sees data.
 */

export interface ScrapeTarget {
  job: string;
  /** host:port of each /metrics endpoint. */
  targets: string[];
  /** Extra labels on every series of these targets (the service's own labels win on a clash). */
  labels?: Record<string, string>;
}

export interface PrometheusOptions {
  /** Config, TSDB and log live here. */
  dir: string;
  /** Omitted = a free port. */
  port?: number;
  host?: string;
  scrapeTargets: ScrapeTarget[];
  scrapeIntervalSeconds: number;
  /** Per-line output of the server (it is kept for error reports anyway). */
  onOutput?: (line: string) => void;
  readyTimeoutMs?: number;
  /** Aborting gives up waiting and stops the server (Ctrl-C during start-up, a sibling that failed). */
  signal?: AbortSignal;
}

export interface PrometheusServer {
  url: string;
  port: number;
  pid: number;
  /** Adds a target, reloads the config, resolves once it has been scraped. */
  addScrapeTarget(target: ScrapeTarget): Promise<void>;
  /** Removes the targets at these host:port addresses from every job and reloads. */
  removeScrapeTargets(addresses: string[]): Promise<void>;
  stop(): Promise<void>;
}

export class PrometheusError extends Error {}

export function prometheusBinary(): string {
  return process.env.RIPCORD_PROMETHEUS_BIN || '/usr/bin/prometheus';
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = prometheusBinary();
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new PrometheusError(
      `Prometheus is not installed at ${binary}: install the Debian package (scripts/install-system-deps.sh ` +
        'or apt-get install prometheus), or point RIPCORD_PROMETHEUS_BIN at a prometheus binary',
    );
  }
  if (!(options.scrapeIntervalSeconds > 0)) {
    throw new PrometheusError(
      `scrapeIntervalSeconds must be positive (got ${options.scrapeIntervalSeconds})`,
    );
  }
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await findFreePort(host));
  await assertPortFree(port, host, 'Prometheus');

  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'prometheus.yml');
  let targets = options.scrapeTargets.map(copyTarget);
  writeFileSync(configFile, renderConfig(targets, options.scrapeIntervalSeconds));

  const [command, args] = dyingWithParent(binary, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=${host}:${port}`,
    '--web.enable-lifecycle',
    '--storage.tsdb.retention.time=1d',
    '--log.level=warn',
  ]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = new OutputTail(40, options.onOutput);
  tail.attach(child);
  const unguard = killOnExit(child);
  const url = `http://${host}:${port}`;
  const stop = async () => {
    await stopChild(child);
    unguard();
  };
  // Enough for start-up plus a few scrapes even on a busy two-core machine.
  const timeoutMs = options.readyTimeoutMs ?? Math.max(30_000, options.scrapeIntervalSeconds * 5_000);

  try {
    await waitFor(child, tail, timeoutMs, options.signal, 'ready (/-/ready)', async () => {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
      return res.ok ? undefined : `/-/ready answered ${res.status}`;
    });
    await waitScraped(child, tail, url, addressesOf(targets), timeoutMs, options.signal);
  } catch (err) {
    await stop();
    throw err;
  }

  const reload = async (next: ScrapeTarget[]) => {
    writeFileSync(configFile, renderConfig(next, options.scrapeIntervalSeconds));
    const res = await fetch(`${url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
    if (!res.ok) {
      throw new PrometheusError(`Prometheus refused the new config: HTTP ${res.status} ${await res.text()}`);
    }
    targets = next;
  };

  return {
    url,
    port,
    pid: child.pid ?? -1,
    addScrapeTarget: async (target) => {
      await reload([...targets, copyTarget(target)]);
      await waitScraped(child, tail, url, target.targets, timeoutMs);
    },
    removeScrapeTargets: async (addresses) => {
      const next = targets
        .map((t) => ({ ...t, targets: t.targets.filter((a) => !addresses.includes(a)) }))
        .filter((t) => t.targets.length > 0);
      await reload(next);
    },
    stop,
  };
}

function copyTarget(target: ScrapeTarget): ScrapeTarget {
  if (target.job.length === 0) {
    throw new PrometheusError('scrape target: job must not be empty');
  }
  if (target.targets.length === 0) throw new PrometheusError(`scrape target ${target.job}: no targets`);
  return { job: target.job, targets: [...target.targets], labels: { ...target.labels } };
}

function addressesOf(targets: ScrapeTarget[]): string[] {
  return targets.flatMap((t) => t.targets);
}

/**
 * One scrape_config per job (Prometheus refuses duplicate job names) with one
 * static_config per target group, so each group keeps its own labels.
 * honor_labels: the service says which version it is; a target label must not
 * rename that to exported_version.
 */
export function renderConfig(targets: ScrapeTarget[], scrapeIntervalSeconds: number): string {
  const jobs = new Map<string, ScrapeTarget[]>();
  for (const target of targets) jobs.set(target.job, [...(jobs.get(target.job) ?? []), target]);
  const config = {
    global: {
      scrape_interval: `${scrapeIntervalSeconds}s`,
      scrape_timeout: `${Math.min(scrapeIntervalSeconds, 10)}s`,
      evaluation_interval: `${scrapeIntervalSeconds}s`,
    },
    scrape_configs: [...jobs].map(([job, groups]) => ({
      job_name: job,
      honor_labels: true,
      static_configs: groups.map((g) =>
        g.labels && Object.keys(g.labels).length > 0
          ? { targets: g.targets, labels: g.labels }
          : { targets: g.targets },
      ),
    })),
  };
  return stringify(config);
}

async function waitScraped(
  child: ChildProcess,
  tail: OutputTail,
  url: string,
  addresses: string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  await waitFor(child, tail, timeoutMs, signal, `the first scrape of ${addresses.join(', ')}`, async () => {
    const up = await queryPrometheus(url, 'up');
    const missing = addresses.filter(
      (address) => !up.some((s) => s.metric.instance === address && s.value === 1),
    );
    return missing.length === 0 ? undefined : `not up yet: ${missing.join(', ')}`;
  });
}

/** Polls `check` (undefined = done, a string = why not yet) until done, the deadline, or the server's death. */
async function waitFor(
  child: ChildProcess,
  tail: OutputTail,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  what: string,
  check: () => Promise<string | undefined>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not checked yet';
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new PrometheusError(`Prometheus start-up abandoned before ${what}`);
    if (hasExited(child)) {
      const { code, signal } = await exitOf(child);
      const output = tail.text();
      const why = /address already in use/i.test(output) ? ' (its port is already in use)' : '';
      throw new PrometheusError(
        `Prometheus exited (${signal ?? `code ${code}`}) before ${what}${why}${tail.describe('Prometheus')}`,
      );
    }
    try {
      const problem = await check();
      if (problem === undefined) return;
      last = problem;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new PrometheusError(
    `Prometheus: still waiting for ${what} after ${Math.round(timeoutMs / 1000)} s (${last})${tail.describe('Prometheus')}`,
  );
}

export interface InstantSample {
  metric: Record<string, string>;
  /** NaN and ±Inf as JavaScript numbers. */
  value: number;
}

/** An instant query through the HTTP API; vector results only (what the stack's checks need). */
export async function queryPrometheus(url: string, query: string, time?: Date): Promise<InstantSample[]> {
  const params = new URLSearchParams({ query });
  if (time !== undefined) params.set('time', String(time.getTime() / 1000));
  const res = await fetch(`${url}/api/v1/query?${params}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (!res.ok || body.status !== 'success' || body.data === undefined) {
    throw new PrometheusError(`query ${query} failed: HTTP ${res.status} ${body.error ?? ''}`.trim());
  }
  if (body.data.resultType !== 'vector') {
    throw new PrometheusError(`query ${query} returned a ${body.data.resultType}, not a vector`);
  }
  return body.data.result.map((r) => ({ metric: r.metric, value: parseSampleValue(r.value[1]) }));
}

/** Prometheus writes infinities as "+Inf" / "-Inf", which Number() does not read. */
function parseSampleValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}
