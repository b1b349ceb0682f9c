/**
 * What one evaluation's probes say, as the numbers a series asks for. Pure,
 * so each case is tested with plain literals.
 *
 * A probe source's series name its measure in `query`:
 *   requests          probes sent
 *   errors            probes that failed: an unexpected status, a timeout or a network error
 *   success           the share of probes that succeeded (0..1)
 *   latency_pNN_ms    the NNth percentile of probe latency in milliseconds (NN from 1 to 99)
 */
export type ProbeMeasure =
  { kind: 'requests' } | { kind: 'errors' } | { kind: 'success' } | { kind: 'latency'; percentile: number };

export const PROBE_QUERY_HELP = 'requests, errors, success or latency_pNN_ms (e.g. latency_p99_ms)';

const LATENCY_QUERY = /^latency_p([1-9][0-9]?)_ms$/;

export function parseProbeQuery(query: string): ProbeMeasure | undefined {
  const word = query.trim();
  if (word === 'requests' || word === 'errors' || word === 'success') return { kind: word };
  const latency = LATENCY_QUERY.exec(word);
  if (latency?.[1] !== undefined) return { kind: 'latency', percentile: Number(latency[1]) };
  return undefined;
}

/** One probe: did it succeed, and how long did it take. */
export interface ProbeResult {
  ok: boolean;
  /**
   * Milliseconds to the last byte of the answer; for a timeout the time
   * waited (a lower bound, so that a hanging version never looks fast); null
   * when no answer could come at all (connection refused).
   */
  latencyMs: number | null;
  failure?: 'status' | 'timeout' | 'network';
}

/** The value of one measure over one group's probes; null when there is nothing to measure. */
export function measure(results: readonly ProbeResult[], what: ProbeMeasure): number | null {
  if (results.length === 0) return null;
  const failed = results.filter((r) => !r.ok).length;
  switch (what.kind) {
    case 'requests':
      return results.length;
    case 'errors':
      return failed;
    case 'success':
      return (results.length - failed) / results.length;
    case 'latency':
      return percentile(
        results.flatMap((r) => (r.latencyMs === null ? [] : [r.latencyMs])),
        what.percentile,
      );
  }
}

/**
 * Nearest-rank percentile: the smallest observed value with at least p% of
 * the values at or below it. With few probes a high percentile is simply the
 * slowest one, which is what a synthetic check should report.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  const value = sorted[Math.min(rank, sorted.length) - 1] ?? null;
  return value === null ? null : Math.round(value * 1000) / 1000;
}
