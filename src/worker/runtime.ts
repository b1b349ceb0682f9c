import { DefaultLogger, type LogEntry, type LogLevel, Runtime } from '@temporalio/worker';

let installed = false;

/**
 * Sets the SDK's log level once per process. The default INFO level prints the
 * workflow bundler's webpack report and every worker state change, which buries
 * what a person running the CLI needs to read. Every entry is one line, and the
 * storm of retry warnings the pollers raise while Temporal is down becomes one
 * line per round of retries.
 */
export function installRuntimeLogger(level: LogLevel = 'WARN'): void {
  if (installed) return;
  installed = true;
  const format = conciseLogFormatter();
  // Core (Rust) logs go to the same logger at the same level, instead of straight to stderr.
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const line = format(entry);
      if (line !== undefined) process.stderr.write(`${line}\n`);
    }),
    telemetryOptions: { logging: { filter: { core: level, other: level }, forward: {} } },
  });
}

/** While Temporal stays unreachable for the same reason, at most one line this often. */
export const RETRY_LINE_EVERY_MS = 5_000;

const RETRIED = /^gRPC call (\w+) retried (\d+) times?/;

/**
 * Formats SDK log entries as single lines. Core's "gRPC call … retried N times"
 * warnings (every poller raises one on each retry, each with a Rust error dump)
 * become "Temporal unreachable (<reason>): retrying, attempt N", printed again
 * only when the reason changes or RETRY_LINE_EVERY_MS has passed; undefined
 * means "nothing to print".
 */
export function conciseLogFormatter(): (entry: LogEntry) => string | undefined {
  let last: { reason: string; atMs: number } | undefined;
  return (entry) => {
    const atMs = Number(entry.timestampNanos / 1_000_000n);
    const time = new Date(atMs).toISOString();
    const retried = RETRIED.exec(entry.message);
    if (retried) {
      const reason = grpcReason(entry.meta?.error);
      if (last && last.reason === reason && atMs - last.atMs < RETRY_LINE_EVERY_MS) return undefined;
      last = { reason, atMs };
      return `${time} [${entry.level}] Temporal unreachable (${reason}): the worker keeps retrying (attempt ${retried[2]})`;
    }
    return `${time} [${entry.level}] ${oneLine(entry.message)}${describeMeta(entry.meta)}`;
  };
}

/**
 * "Unavailable: tcp connect error, Connection refused" out of a tonic Status or
 * transport error dump: the gRPC code, then each distinct message, no Rust.
 */
export function grpcReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error ?? '');
  const code = /code: ([A-Z]\w*)/.exec(text)?.[1];
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const match of text.matchAll(/(?:message: |ConnectError\()"([^"]+)"|kind: (\w+)/g)) {
    const part = match[1] ?? match[2] ?? '';
    const key = part.replace(/\s+/g, '').toLowerCase();
    if (part === '' || seen.has(key)) continue;
    seen.add(key);
    parts.push(part);
  }
  if (code === undefined && parts.length === 0) return oneLine(text).slice(0, 120) || 'no detail';
  return [code, parts.join(', ')].filter(Boolean).join(': ');
}

const QUIET_META = new Set(['sdkComponent', 'spanContexts', 'target']);

function describeMeta(meta: LogEntry['meta']): string {
  if (!meta) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(meta)) {
    if (value === undefined || QUIET_META.has(key)) continue;
    const text = value instanceof Error ? value.message : typeof value === 'string' ? value : safeJson(value);
    parts.push(`${key}=${oneLine(text).slice(0, 300)}`);
  }
  return parts.length ? ` (${parts.join('; ')})` : '';
}

function safeJson(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value)
    );
  } catch {
    return String(value);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
