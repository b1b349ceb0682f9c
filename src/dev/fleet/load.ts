import { Agent, request } from 'node:http';

/**
 * Steady synthetic traffic for the demo: `ratePerSecond` GET requests,
 * evenly paced (a 25 ms tick sends whatever is due, so a slow tick catches up
 * instead of drifting), over keep-alive connections, spread round-robin over
 * the target URLs (usually one: the nginx front that splits baseline and
 * canary). Outcomes are counted by the X-Version the answer carries and its
 * status; failures without an answer are counted by error code. Plain
 * node:http and no per-request allocation beyond the request itself, so 40
 * requests a second cost next to nothing on a small machine.
 */

export interface LoadOptions {
  /** One URL or several (round-robin). */
  targets: string | string[];
  /** Host header to send (a front that routes by Host, e.g. the demo's nginx); omitted = the URL's. */
  host?: string;
  ratePerSecond: number;
  /** A request not answered within this long counts as a timeout. */
  timeoutMs?: number;
  /** More in flight than this and new requests are skipped (counted), so a stuck target cannot pile up sockets. */
  maxInFlight?: number;
}

export interface LoadCounts {
  sent: number;
  /** X-Version (or "none") → HTTP status → count. */
  byVersion: Record<string, Record<string, number>>;
  /** Error code (ECONNREFUSED, ETIMEDOUT, ...) → count, for requests that got no answer. */
  failures: Record<string, number>;
  /** Not sent because maxInFlight requests were still waiting. */
  skipped: number;
  inFlight: number;
}

export interface LoadGenerator {
  counts(): LoadCounts;
  /** Changes where the next requests go (e.g. add the canary once it runs). */
  setTargets(targets: string | string[]): void;
  setRate(ratePerSecond: number): void;
  /** Stops sending and waits (bounded by timeoutMs) for the requests in flight. */
  stop(): Promise<void>;
}

const TICK_MS = 25;
const NO_VERSION = 'none';

export function startLoad(options: LoadOptions): LoadGenerator {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxInFlight = options.maxInFlight ?? 200;
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight });
  const headers = options.host === undefined ? {} : { host: options.host };
  let targets = toUrls(options.targets);
  let rate = checkRate(options.ratePerSecond);
  let next = 0;
  const counts: LoadCounts = { sent: 0, byVersion: {}, failures: {}, skipped: 0, inFlight: 0 };
  let idle: (() => void) | undefined;

  // Pacing: `due` requests have accrued since `since`; each tick sends the whole ones.
  let since = performance.now();
  let due = 0;

  const finish = () => {
    counts.inFlight -= 1;
    if (counts.inFlight === 0) idle?.();
  };

  const fire = () => {
    if (counts.inFlight >= maxInFlight) {
      counts.skipped += 1;
      return;
    }
    const url = targets[next % targets.length] as URL;
    next += 1;
    counts.sent += 1;
    counts.inFlight += 1;
    let done = false;
    const settle = (version: string | undefined, outcome: string, failed: boolean) => {
      if (done) return;
      done = true;
      if (failed) counts.failures[outcome] = (counts.failures[outcome] ?? 0) + 1;
      else {
        const byStatus = (counts.byVersion[version ?? NO_VERSION] ??= {});
        byStatus[outcome] = (byStatus[outcome] ?? 0) + 1;
      }
      finish();
    };
    const req = request(url, { agent, method: 'GET', headers, timeout: timeoutMs }, (res) => {
      const header = res.headers['x-version'];
      const version = Array.isArray(header) ? header[0] : header;
      res.resume();
      res.once('end', () => settle(version, String(res.statusCode ?? 0), false));
      res.once('error', (err: NodeJS.ErrnoException) => settle(undefined, err.code ?? 'EIO', true));
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.once('error', (err: NodeJS.ErrnoException) => settle(undefined, err.code ?? 'EIO', true));
    req.end();
  };

  const ticker = setInterval(() => {
    const now = performance.now();
    due += ((now - since) / 1000) * rate;
    since = now;
    // After a long stall (a suspended laptop), do not fire a burst of the whole backlog.
    due = Math.min(due, rate);
    while (due >= 1) {
      due -= 1;
      fire();
    }
  }, TICK_MS);

  let stopped: Promise<void> | undefined;
  return {
    counts: () => ({
      ...counts,
      byVersion: Object.fromEntries(Object.entries(counts.byVersion).map(([v, s]) => [v, { ...s }])),
      failures: { ...counts.failures },
    }),
    setTargets: (next) => {
      targets = toUrls(next);
    },
    setRate: (next) => {
      rate = checkRate(next);
    },
    stop: () => {
      stopped ??= (async () => {
        clearInterval(ticker);
        if (counts.inFlight > 0) {
          await new Promise<void>((resolve) => {
            idle = resolve;
            setTimeout(resolve, timeoutMs).unref();
          });
        }
        agent.destroy();
      })();
      return stopped;
    },
  };
}

function toUrls(targets: string | string[]): URL[] {
  const list = typeof targets === 'string' ? [targets] : targets;
  if (list.length === 0) throw new Error('load: at least one target URL is needed');
  return list.map((target) => {
    const url = new URL(target);
    if (url.protocol !== 'http:') throw new Error(`load: only http:// targets are supported (${target})`);
    return url;
  });
}

function checkRate(rate: number): number {
  if (!Number.isFinite(rate) || rate < 0) throw new Error(`load: ratePerSecond must be ≥ 0 (got ${rate})`);
  return rate;
}

/** Errors among the answers of one version (status ≥ 500), as a fraction; undefined when it had none. */
export function errorRatio(counts: LoadCounts, version: string): number | undefined {
  const byStatus = counts.byVersion[version];
  if (byStatus === undefined) return undefined;
  let total = 0;
  let errors = 0;
  for (const [status, n] of Object.entries(byStatus)) {
    total += n;
    if (Number(status) >= 500) errors += n;
  }
  return total === 0 ? undefined : errors / total;
}
