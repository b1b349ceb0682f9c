import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { safeUrl } from '../support/safe-url';
import { traceHeaders } from '../../tracing/context';
import type { NginxProbeConfig } from './config';

/**
 * Asks nginx who answers: `count` GET requests to the probe URL, one after
 * another, each on its own connection (no keep-alive, so no request rides on a
 * worker of the previous configuration), and counts the versions that answered.
 */
export interface ProbeResult {
  total: number;
  /** Answers per version; answers without a readable version count under NO_VERSION. */
  byVersion: Record<string, number>;
  /** Requests that got no answer at all (refused, timed out). */
  failed: number;
  /** The first failure, as an error code or an HTTP-free phrase (never a URL query or body). */
  firstFailure?: string;
}

export const NO_VERSION = '(no version)';
const BODY_LIMIT = 64 * 1024;

export async function probeVersions(probe: NginxProbeConfig, signal?: AbortSignal): Promise<ProbeResult> {
  const result: ProbeResult = { total: probe.count, byVersion: {}, failed: 0 };
  for (let i = 0; i < probe.count; i++) {
    signal?.throwIfAborted();
    try {
      const version = (await probeOnce(probe, signal)) ?? NO_VERSION;
      result.byVersion[version] = (result.byVersion[version] ?? 0) + 1;
    } catch (error) {
      if (signal?.aborted) throw error;
      result.failed++;
      result.firstFailure ??= (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    }
  }
  return result;
}

function probeOnce(probe: NginxProbeConfig, signal?: AbortSignal): Promise<string | undefined> {
  const url = new URL(probe.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  // node:http, not sendOutbound: a probe sets Host and opens a connection of its own. The trace context is added here.
  const headers: Record<string, string> = {
    connection: 'close',
    'user-agent': 'ripcord-nginx-probe',
    ...traceHeaders(),
  };
  if (probe.host !== undefined) headers.host = probe.host;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false, headers, signal, timeout: probe.timeoutMs });
    req.once('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.once('error', reject);
    req.once('response', (res) => {
      readVersion(res, probe).then(resolve, reject);
    });
    req.end();
  });
}

async function readVersion(res: IncomingMessage, probe: NginxProbeConfig): Promise<string | undefined> {
  const source = probe.version;
  if ('header' in source) {
    res.resume();
    const value = res.headers[source.header.toLowerCase()];
    const text = Array.isArray(value) ? value[0] : value;
    return text === undefined || text.trim() === '' ? undefined : text.trim();
  }
  let body = '';
  for await (const chunk of res) {
    if (body.length < BODY_LIMIT) body += String(chunk);
  }
  const match = new RegExp(source.bodyPattern).exec(body.slice(0, BODY_LIMIT));
  if (match === null) return undefined;
  return (match[1] ?? match[0]).trim() || undefined;
}

/** "20/20 probes answered by 1.9.0" or "20 probes: 18 by 1.9.0, 2 by 2.0.0". */
export function describeProbe(result: ProbeResult): string {
  const answers = Object.entries(result.byVersion).sort((a, b) => b[1] - a[1]);
  const failed = result.failed > 0 ? `, ${result.failed} failed (${result.firstFailure ?? 'error'})` : '';
  if (answers.length === 1 && result.failed === 0) {
    const [version, count] = answers[0] ?? ['', 0];
    return `${count}/${result.total} probes answered by ${version}`;
  }
  const parts = answers.map(([version, count]) => `${count} by ${version}`);
  return `${result.total} probes: ${parts.join(', ') || 'no answers'}${failed}`;
}

/** Why the probe contradicts the expectation, or undefined when it agrees. */
export function probeMismatch(
  result: ProbeResult,
  expected: readonly string[],
  probe: NginxProbeConfig,
): string | undefined {
  const where = `probing ${safeUrl(probe.url)}`;
  if (result.failed > 0) {
    return `${where}: ${result.failed} of ${result.total} requests failed (${result.firstFailure ?? 'error'})`;
  }
  const unexpected = Object.entries(result.byVersion).filter(([version]) => !expected.includes(version));
  if (unexpected.length === 0) return undefined;
  const seen = unexpected.map(([version, count]) => `${count} by ${version}`).join(', ');
  return `${where}: expected answers only from ${expected.join(' or ')}, got ${seen} (of ${result.total})`;
}
