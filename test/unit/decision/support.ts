import type {
  DecisionConfig,
  Observation,
  RatioSignalConfig,
  ValueSignalConfig,
} from '../../../src/decision';
import { evaluateInterval, finishWatch, initialDecisionState } from '../../../src/decision';
import type { DecisionOutcome, IntervalVerdict } from '../../../src/decision';
import { createRandom, type Random } from '../../../src/simulate/random';

export const ERROR_RATE: RatioSignalConfig = {
  name: 'error-rate',
  kind: 'ratio',
  numerator: 'errors',
  denominator: 'requests',
  direction: 'higher-is-worse',
  comparison: 'vs-baseline',
  tolerance: { relative: 0.2, absolute: 0 },
  critical: true,
};

export const LATENCY: ValueSignalConfig = {
  name: 'latency-p99',
  kind: 'latency',
  series: 'latency_p99_ms',
  weight: 'requests',
  direction: 'higher-is-worse',
  comparison: 'vs-baseline',
  tolerance: { relative: 0.25, absolute: 0 },
  critical: true,
};

export function config(overrides: Partial<DecisionConfig> = {}): DecisionConfig {
  return {
    intervalSeconds: 30,
    warmupSeconds: 0,
    alpha: 0.05,
    confirmationWindowSeconds: 60,
    minRequestsPerGroup: 100,
    maxInconclusiveSeconds: 900,
    missingData: { maxGapSeconds: 300, onLongGap: 'escalate' },
    signals: [ERROR_RATE],
    ...overrides,
  };
}

export interface Run {
  decision: DecisionOutcome;
  verdicts: IntervalVerdict[];
}

/** Feeds observations one interval at a time, as the guardian does, and concludes the watch. */
export function run(cfg: DecisionConfig, observations: Observation[]): Run {
  let state = initialDecisionState(cfg);
  const verdicts: IntervalVerdict[] = [];
  for (const observation of observations) {
    const step = evaluateInterval(cfg, state, observation);
    // The state must survive a JSON round trip (workflow history, continue-as-new).
    state = JSON.parse(JSON.stringify(step.state)) as typeof state;
    verdicts.push(step.verdict);
    if (step.decision) return { decision: step.decision, verdicts };
  }
  return { decision: finishWatch(cfg, state), verdicts };
}

/** One interval of error counts: canary errors/requests, baseline errors/requests (null: no data). */
export function counts(canary: [number, number] | null, baseline: [number, number] | null): Observation {
  return {
    errors: { canary: canary?.[0] ?? null, baseline: baseline?.[0] ?? null },
    requests: { canary: canary?.[1] ?? null, baseline: baseline?.[1] ?? null },
  };
}

/**
 * Literal sequences for the confirmation tests, one character per interval:
 *   H healthy (10/1000 errors in both groups), S spike (200/1000 on the canary),
 *   - canary silent, _ both groups silent.
 */
export function literal(sequence: string): Observation[] {
  return [...sequence.replace(/\s/g, '')].map((c) => {
    switch (c) {
      case 'H':
        return counts([10, 1000], [10, 1000]);
      case 'S':
        return counts([200, 1000], [10, 1000]);
      case '-':
        return counts(null, [10, 1000]);
      case '_':
        return counts(null, null);
      default:
        throw new Error(`unknown symbol ${c}`);
    }
  });
}

export interface TrafficModel {
  rps: number;
  intervalSeconds: number;
  length: number;
  baselineErrorRate: number;
  /** Canary error rate per interval (index → rate). */
  canaryErrorRate: (index: number) => number;
  /** Canary latency multiplier per interval. */
  canaryLatency?: (index: number) => number;
}

const Z99 = 2.3263478740408408;
const DENSITY_AT_Z99 = Math.exp(-(Z99 * Z99) / 2) / Math.sqrt(2 * Math.PI);

/** The p99 of n log-normal latencies, by the large-sample law of a sample quantile (cheap, and the same law for both groups). */
function p99(random: Random, n: number, multiplier: number): number | null {
  if (n === 0) return null;
  const sigma = 0.5;
  const sd = (sigma * Math.sqrt(0.0099 / n)) / DENSITY_AT_Z99;
  return Math.exp(random.normal(5 + Z99 * sigma, sd)) * multiplier;
}

/** Binomial errors and a p99 of log-normal latencies per interval, both groups from one seeded stream. */
export function simulateTraffic(seed: number, model: TrafficModel): Observation[] {
  const random = createRandom(seed);
  const observations: Observation[] = [];
  for (let i = 0; i < model.length; i++) {
    const nc = random.poisson(model.rps * model.intervalSeconds);
    const nb = random.poisson(model.rps * model.intervalSeconds);
    observations.push({
      requests: { canary: nc, baseline: nb },
      errors: {
        canary: random.binomial(nc, model.canaryErrorRate(i)),
        baseline: random.binomial(nb, model.baselineErrorRate),
      },
      latency_p99_ms: {
        canary: p99(random, nc, model.canaryLatency?.(i) ?? 1),
        baseline: p99(random, nb, 1),
      },
    });
  }
  return observations;
}
