import type { LoadCounts } from '../fleet';
import type { GuardianStatus } from '../../model/guardian';
import { evidenceShort } from '../../model/evidence-words';
import { formatWait, type Wait } from './waits';

/**
 * The demo's one-line live summary: the guardian's phase and the bar of what
 * it waits for, its last verdict, how many evaluations it made, what the load
 * generator saw each version answer, and each signal's evidence against its
 * breach level, in words (src/model/evidence-words.ts). For example
 *
 *   confirm [######------] 6s/12s confirmation window | regressed | 14 evaluations |
 *   2.0.0: 612 req, 18 err | 1.9.0: 1834 req, 7 err | evidence: error-rate 3.1× needed, latency 4% of needed
 *
 * (one line; wrapped here). Pure.
 */
export function statusLine(input: {
  status: GuardianStatus | undefined;
  wait: Wait | undefined;
  load?: LoadCounts | undefined;
  /** Versions in the order to show them (the new one first). */
  versions: string[];
}): string {
  const { status, wait } = input;
  const parts: string[] = [];
  const head = status?.phase ?? 'starting';
  parts.push(wait ? `${head} ${formatWait(wait)}` : head);
  if (status !== undefined) {
    if (status.outcome !== undefined) parts.push(status.outcome);
    else if (status.lastVerdict) parts.push(status.lastVerdict.verdict);
    parts.push(`${status.evaluations} evaluation${status.evaluations === 1 ? '' : 's'}`);
  }
  // What the load saw comes before the evidence: a narrow terminal cuts the end of the line.
  parts.push(...trafficByVersion(input.load, input.versions));
  const evidence = (status?.signals ?? []).map((s) => `${s.signal} ${evidenceShort(s)}`);
  if (evidence.length > 0) parts.push(`evidence: ${evidence.join(', ')}`);
  return parts.join(' | ');
}

/** `2.0.0: 612 req, 18 err` per version that answered, in the order given, then any other. */
export function trafficByVersion(load: LoadCounts | undefined, versions: string[]): string[] {
  if (load === undefined) return [];
  const seen = Object.keys(load.byVersion);
  const order = [...versions.filter((v) => seen.includes(v)), ...seen.filter((v) => !versions.includes(v))];
  return order.map((version) => {
    let total = 0;
    let errors = 0;
    for (const [code, n] of Object.entries(load.byVersion[version] ?? {})) {
      total += n;
      if (Number(code) >= 500) errors += n;
    }
    return `${version}: ${total} req, ${errors} err`;
  });
}

/** Two significant digits, no exponent for the e-values people see: 0.13, 3.1, 31, 1200. */
export function shortNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value >= 100) return String(Math.round(value));
  return String(Number(value.toPrecision(2)));
}
