import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { EXTRA_KINDS, generateScenario, SHARED_KINDS, type ScenarioKind } from '../../src/simulate/generate';
import type { Scenario } from '../../src/simulate/scenario';
import { parseScenarioText } from '../../src/simulate/scenario-files';

export interface BenchScenario {
  scenario: Scenario;
  /** Where it came from: 'shared' or the generated kind. */
  source: string;
  kind: string;
  rps: number | null;
}

/** Traffic levels (requests per second per group) every generated kind is run at. */
export const TRAFFIC_LEVELS = [1, 3, 10, 30, 100] as const;

export async function sharedScenarios(dir: string): Promise<BenchScenario[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  const out: BenchScenario[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const scenario = parseScenarioText(await readFile(file, 'utf8'), file);
    out.push({ scenario, source: 'shared', kind: name.replace(/-\d+\.json$/, ''), rps: null });
  }
  return out;
}

/**
 * The kinds of the error-rate/p99 benchmark: every kind but the tail-only ones,
 * which exist for histograms (a p99 alone barely shows them).
 */
export const P99_BENCH_KINDS: readonly ScenarioKind[] = [...SHARED_KINDS, ...EXTRA_KINDS];

export interface GeneratedSetOptions {
  /** Which kinds (default P99_BENCH_KINDS). */
  kinds?: readonly ScenarioKind[];
  /** Latency histograms in every scenario (latency_le_<ms>), the p99 computed from them. */
  histogram?: boolean;
}

/**
 * Every kind at every traffic level, `perCell` scenarios each, from one seed.
 * Low-traffic-healthy keeps its own (very low) traffic. With `histogram`, the
 * scenario at a given kind, seed and index has the same plan (onset, size,
 * traffic, interval) as without, and latency histograms besides.
 */
export function generatedScenarios(
  seed: number,
  perCell: number,
  options: GeneratedSetOptions = {},
): BenchScenario[] {
  const out: BenchScenario[] = [];
  const histogram = options.histogram === true ? { histogram: true } : {};
  for (const kind of options.kinds ?? P99_BENCH_KINDS) {
    TRAFFIC_LEVELS.forEach((rps, level) => {
      for (let i = 0; i < perCell; i++) {
        const index = level * perCell + i;
        const scenario = generateScenario(
          kind === 'low-traffic-healthy'
            ? { kind, seed, index, ...histogram }
            : { kind, seed, index, rps, ...histogram },
        );
        out.push({ scenario, source: 'generated', kind, rps: kind === 'low-traffic-healthy' ? null : rps });
      }
    });
  }
  return out;
}
