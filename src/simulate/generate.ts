import { SCENARIO_FORMAT, type Scenario, type ScenarioTruth } from './scenario';
import { createRandom, mixSeed, type Random } from './random';
import {
  bucketSeriesName,
  drawIntervalHistogram,
  HISTOGRAM_BOUNDS_MS,
  mixtureLogQuantile,
  type LatencyComponent,
} from './latency-histogram';
import { SCENARIO_KINDS, type ScenarioKind } from './scenario-kinds';

// The kinds live apart so that naming them (the CLI's options) loads no generator; importers find them here too.
export {
  EXTRA_KINDS,
  isScenarioKind,
  SCENARIO_KINDS,
  type ScenarioKind,
  SHARED_KINDS,
  TAIL_KINDS,
} from './scenario-kinds';

/**
 * Seeded scenario generator, for rehearsing policies and for the benchmark.
 *
 * The model behind every kind: requests per interval are Poisson around a
 * traffic level, errors are Binomial(requests, error rate), and each request's
 * latency is log-normal, so the p99 of an interval is the p99 of that many
 * draws (noisy at low traffic, as in life). Both groups share the interval's
 * latency wobble and load; a kind changes one of these for the canary (a
 * regression) or for both (a shared event), or removes data.
 *
 * With `histogram`, each interval also carries each group's latency histogram
 * (latency_le_<ms>, see latency-histogram.ts), and latency_p99_ms is computed
 * from those buckets as histogram_quantile does instead of being the exact
 * p99 of the draws. Without it a scenario is what it always was: same seed,
 * same file.
 */

export interface GenerateOptions {
  kind: ScenarioKind;
  seed: number;
  /** Position within a batch: scenario i of a seed is its own random stream. */
  index: number;
  /** Requests per second per group (the canary's level where the groups differ). */
  rps?: number;
  intervalSeconds?: number;
  /** Number of intervals. */
  length?: number;
  /** Also emit latency histograms (latency_le_<ms>) and derive latency_p99_ms from them. */
  histogram?: boolean;
}

interface GroupPlan {
  rps: number[];
  errorRate: number[];
  /** Log-scale shift of every request's latency. */
  latencyShift: number[];
  /** Share of requests that take a slow path (0: none)... */
  slowShare: number[];
  /** ...and how much slower it is, as a log-scale shift on top of latencyShift. */
  slowShift: number[];
  missing: boolean[];
}

interface Plan {
  baseline: GroupPlan;
  canary: GroupPlan;
  truth: ScenarioTruth;
  description: string;
  params: Record<string, number>;
}

const P99_Z = 2.3263478740408408; // standard normal 0.99 quantile
const P99_DENSITY = Math.exp(-(P99_Z * P99_Z) / 2) / Math.sqrt(2 * Math.PI);

/** The p99 of `n` log-normal request latencies: exact draws when few, the asymptotic law of a sample quantile when many. */
function sampleP99(random: Random, n: number, logMedian: number, sigma: number): number | null {
  if (n <= 0) return null;
  if (n <= 400) {
    const draws: number[] = [];
    for (let i = 0; i < n; i++) draws.push(random.normal(logMedian, sigma));
    draws.sort((a, b) => a - b);
    const rank = Math.min(n, Math.max(1, Math.ceil(0.99 * n)));
    return Math.exp(draws[rank - 1] ?? logMedian);
  }
  const sd = (sigma * Math.sqrt(0.0099 / n)) / P99_DENSITY;
  return Math.exp(random.normal(logMedian + P99_Z * sigma, sd));
}

/** The p99 of `n` latencies from a mixture (a slow path): exact draws when few, the asymptotic law of a sample quantile when many. */
function sampleMixtureP99(random: Random, n: number, components: readonly LatencyComponent[]): number | null {
  if (n <= 0) return null;
  const total = components.reduce((sum, c) => sum + c.weight, 0);
  if (n <= 400) {
    const draws: number[] = [];
    for (let i = 0; i < n; i++) {
      let u = random.uniform(0, total);
      const c =
        components.find((component) => (u -= component.weight) < 0) ?? components[components.length - 1];
      if (c === undefined) return null;
      draws.push(random.normal(c.logMedian, c.sigma));
    }
    draws.sort((a, b) => a - b);
    const rank = Math.min(n, Math.max(1, Math.ceil(0.99 * n)));
    return Math.exp(draws[rank - 1] ?? 0);
  }
  const { value, density } = mixtureLogQuantile(0.99, components);
  return Math.exp(random.normal(value, Math.sqrt(0.0099 / n) / density));
}

function flat(length: number, value: number): number[] {
  return new Array<number>(length).fill(value);
}

function groupPlan(length: number, rps: number, errorRate: number): GroupPlan {
  return {
    rps: flat(length, rps),
    errorRate: flat(length, errorRate),
    latencyShift: flat(length, 0),
    slowShare: flat(length, 0),
    slowShift: flat(length, 0),
    missing: new Array<boolean>(length).fill(false),
  };
}

function planFor(kind: ScenarioKind, random: Random, n: number, dt: number, rps: number, base: number): Plan {
  const baseline = groupPlan(n, rps, base);
  const canary = groupPlan(n, rps, base);
  const healthy: ScenarioTruth = { regression: false, expect: 'no-rollback' };
  const onsetIn = (from: number, to: number) => random.integer(Math.floor(from * n), Math.floor(to * n));
  switch (kind) {
    case 'healthy':
    case 'low-traffic-healthy': {
      const bias = random.uniform(0.9, 1.1);
      canary.errorRate = canary.errorRate.map((r) => r * bias);
      return {
        baseline,
        canary,
        truth: healthy,
        description: 'Healthy canary, no regression',
        params: { bias },
      };
    }
    case 'transient': {
      // A spike is short in wall-clock time, whatever the interval: 10–45 s
      // (1–3 intervals at 15 s, as in the shared examples), placed anywhere,
      // so an interval it only partly covers is only partly elevated.
      const duration = random.uniform(10, 45);
      const mult = random.uniform(8, 13);
      const start = random.uniform(10 * dt, (n - 15) * dt);
      for (let t = 0; t < n; t++) {
        const overlap = Math.max(0, Math.min((t + 1) * dt, start + duration) - Math.max(t * dt, start));
        if (overlap > 0) canary.errorRate[t] = Math.min(0.9, base * (1 + (mult - 1) * (overlap / dt)));
      }
      return {
        baseline,
        canary,
        truth: healthy,
        description: `Canary error spike of ${duration.toFixed(0)}s, then healthy`,
        params: { duration, mult, start },
      };
    }
    case 'shared-outage': {
      const len = random.integer(8, 35);
      const level = random.uniform(0.08, 0.25);
      const slow = Math.log(random.uniform(1, 1.6));
      const at = random.integer(8, Math.max(8, n - len - 5));
      for (const g of [baseline, canary]) {
        for (let t = at; t < Math.min(n, at + len); t++) {
          g.errorRate[t] = level;
          g.latencyShift[t] = slow;
        }
      }
      return {
        baseline,
        canary,
        truth: healthy,
        description: 'A shared dependency fails: baseline and canary degrade together',
        params: { len, level, at },
      };
    }
    case 'metrics-outage': {
      const len = random.integer(4, Math.max(4, Math.min(20, Math.floor(600 / dt))));
      const at = random.integer(8, Math.max(8, n - len - 5));
      for (const g of [baseline, canary])
        for (let t = at; t < Math.min(n, at + len); t++) g.missing[t] = true;
      return {
        baseline,
        canary,
        truth: healthy,
        description: 'Telemetry for both groups goes missing for a while; the canary is healthy',
        params: { len, at },
      };
    }
    case 'error-step':
    case 'late-error-step': {
      const mult = kind === 'error-step' ? random.uniform(2, 6) : random.uniform(2, 5);
      const onset = kind === 'error-step' ? onsetIn(0.15, 0.55) : onsetIn(0.7, 0.85);
      for (let t = onset; t < n; t++) canary.errorRate[t] = Math.min(0.9, base * mult);
      return {
        baseline,
        canary,
        truth: { regression: true, onsetIndex: onset, kind: 'error-rate', multiplier: mult },
        description: `Canary error rate x${mult.toFixed(1)} from interval ${onset}`,
        params: { mult, onset },
      };
    }
    case 'latency-step': {
      const mult = random.uniform(1.4, 2.2);
      const onset = onsetIn(0.15, 0.55);
      for (let t = onset; t < n; t++) canary.latencyShift[t] = Math.log(mult);
      return {
        baseline,
        canary,
        truth: { regression: true, onsetIndex: onset, kind: 'latency', multiplier: mult },
        description: `Canary p99 latency x${mult.toFixed(2)} from interval ${onset}`,
        params: { mult, onset },
      };
    }
    case 'slow-leak': {
      // Compounding growth of 10–25% a minute from the onset (the shared
      // examples grow about 17–20% a minute), capped at a 50% error rate.
      const perMinute = random.uniform(0.1, 0.25);
      const onset = onsetIn(0.15, 0.45);
      for (let t = onset; t < n; t++) {
        canary.errorRate[t] = Math.min(0.5, base * Math.exp((perMinute * (t - onset) * dt) / 60));
      }
      return {
        baseline,
        canary,
        truth: { regression: true, onsetIndex: onset, kind: 'error-rate-ramp' },
        description: `Canary error rate grows ${(perMinute * 100).toFixed(0)}%/min (compounded) from interval ${onset}`,
        params: { perMinute, onset },
      };
    }
    case 'crash': {
      const fail = random.uniform(0.85, 0.97);
      const onset = onsetIn(0.15, 0.6);
      for (let t = onset; t < n; t++) canary.errorRate[t] = fail;
      return {
        baseline,
        canary,
        truth: { regression: true, onsetIndex: onset, kind: 'crash' },
        description: `Canary fails ${(fail * 100).toFixed(0)}% of requests from interval ${onset}`,
        params: { fail, onset },
      };
    }
    case 'canary-blackout': {
      const onset = onsetIn(0.2, 0.5);
      for (let t = onset; t < n; t++) canary.missing[t] = true;
      return {
        baseline,
        canary,
        truth: { regression: true, onsetIndex: onset, kind: 'canary-no-data', acceptEscalate: true },
        description: `The canary alone stops reporting from interval ${onset}`,
        params: { onset },
      };
    }
    case 'tail-slow-path': {
      // A few percent of the canary's requests take a slow path several times
      // slower (a cache miss, a retry, a lock): the median barely moves (4% at
      // most), the tail does. A p99 sees it only when the share is large enough.
      const share = random.uniform(0.02, 0.05);
      const factor = random.uniform(3, 6);
      const onset = onsetIn(0.15, 0.55);
      for (let t = onset; t < n; t++) {
        canary.slowShare[t] = share;
        canary.slowShift[t] = Math.log(factor);
      }
      return {
        baseline,
        canary,
        truth: { regression: true, onsetIndex: onset, kind: 'latency-tail', share, factor },
        description: `${(share * 100).toFixed(1)}% of canary requests take a path ${factor.toFixed(1)}x slower from interval ${onset}; the median barely moves`,
        params: { share, factor, onset },
      };
    }
    case 'diurnal-healthy': {
      const phase = random.uniform(0, 2 * Math.PI);
      const amplitude = random.uniform(0.3, 0.7);
      for (let t = 0; t < n; t++) {
        const load = 1 + amplitude * Math.sin((2 * Math.PI * t) / n + phase);
        for (const g of [baseline, canary]) {
          g.rps[t] = rps * load;
          g.errorRate[t] = base * (1 + 0.8 * (load - 1));
          g.latencyShift[t] = 0.2 * (load - 1);
        }
      }
      return {
        baseline,
        canary,
        truth: healthy,
        description: 'Traffic, errors and latency follow a daily curve in both groups',
        params: { amplitude },
      };
    }
    case 'traffic-ramp-healthy': {
      const steps = [0.05, 0.1, 0.25, 0.5];
      const total = 2 * rps;
      for (let t = 0; t < n; t++) {
        const share = steps[Math.min(steps.length - 1, Math.floor((t * steps.length) / n))] ?? 0.5;
        canary.rps[t] = total * share;
        baseline.rps[t] = total * (1 - share);
      }
      return {
        baseline,
        canary,
        truth: healthy,
        description: "The canary's share of traffic grows 5% → 10% → 25% → 50%; no regression",
        params: { total },
      };
    }
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * How long the watch lasts. Teams bake a low-traffic service longer, because
 * it takes longer to see anything: about 15 minutes at 100 requests/s, 45 at
 * 10 and two and a half hours at 1 (duration ~ 1/sqrt(traffic)), in 60 to 400
 * intervals. The late-onset kind gets three times that (at least 240).
 */
function defaultLength(kind: ScenarioKind, random: Random, dt: number, rps: number): number {
  const seconds = random.uniform(0.8, 1.2) * 900 * Math.sqrt(100 / Math.max(rps, 1));
  const intervals = Math.min(400, Math.max(60, Math.round(seconds / dt)));
  // Three times as long, so that the last quarter alone is a normal watch.
  return kind === 'late-error-step' ? Math.max(240, 3 * intervals) : intervals;
}

export function generateScenario(options: GenerateOptions): Scenario {
  const kindNumber = SCENARIO_KINDS.indexOf(options.kind);
  const random = createRandom(mixSeed(options.seed, kindNumber, options.index));
  const dt = options.intervalSeconds ?? random.pick([10, 15, 30]);
  const rps =
    options.rps ??
    (options.kind === 'low-traffic-healthy' ? random.logUniform(0.05, 0.5) : random.logUniform(1, 100));
  const n = options.length ?? defaultLength(options.kind, random, dt, rps);
  const base = random.logUniform(0.002, 0.015);
  const p99 = random.uniform(120, 450);
  const sigma = random.uniform(0.35, 0.6);
  const plan = planFor(options.kind, random, n, dt, rps, base);
  const logMedian = Math.log(p99) - P99_Z * sigma;

  const newSeries = () => ({ baseline: [] as (number | null)[], canary: [] as (number | null)[] });
  const series = {
    requests: newSeries(),
    errors: newSeries(),
    latency_p99_ms: newSeries(),
  };
  const buckets = options.histogram === true ? HISTOGRAM_BOUNDS_MS.map(() => newSeries()) : [];
  for (let t = 0; t < n; t++) {
    const sharedWobble = random.normal(0, 0.03);
    for (const group of ['baseline', 'canary'] as const) {
      const g = plan[group];
      if (g.missing[t]) {
        series.requests[group].push(null);
        series.errors[group].push(null);
        series.latency_p99_ms[group].push(null);
        for (const bucket of buckets) bucket[group].push(null);
        continue;
      }
      const requests = random.poisson((g.rps[t] ?? rps) * dt * random.uniform(0.95, 1.05));
      const errors = random.binomial(requests, g.errorRate[t] ?? base);
      const median = logMedian + sharedWobble + (g.latencyShift[t] ?? 0);
      const slowShare = g.slowShare[t] ?? 0;
      const components: LatencyComponent[] =
        slowShare > 0
          ? [
              { weight: 1 - slowShare, logMedian: median, sigma },
              { weight: slowShare, logMedian: median + (g.slowShift[t] ?? 0), sigma },
            ]
          : [{ weight: 1, logMedian: median, sigma }];
      let value: number | null;
      if (options.histogram === true) {
        const histogram = drawIntervalHistogram(random, requests, components);
        buckets.forEach((bucket, k) => bucket[group].push(histogram.cumulative[k] ?? 0));
        value = histogram.p99;
      } else {
        // Without a slow path, exactly the draws this generator always made (pinned seeds stay put).
        value =
          slowShare > 0
            ? sampleMixtureP99(random, requests, components)
            : sampleP99(random, requests, median, sigma);
      }
      series.requests[group].push(requests);
      series.errors[group].push(errors);
      series.latency_p99_ms[group].push(value === null ? null : round(value, 1));
    }
  }
  return {
    format: SCENARIO_FORMAT,
    name: `${options.kind}-s${options.seed}-${String(options.index).padStart(3, '0')}${options.histogram === true ? '-hist' : ''}`,
    description: plan.description,
    intervalSeconds: dt,
    truth: plan.truth,
    params: {
      dt,
      rps: round(rps, 3),
      base: round(base, 5),
      p99: round(p99, 1),
      ...Object.fromEntries(Object.entries(plan.params).map(([k, v]) => [k, round(v, 4)])),
      ...(options.histogram === true ? { latencySigma: round(sigma, 4) } : {}),
    },
    series: {
      ...series,
      ...Object.fromEntries(
        buckets.map((bucket, k) => [bucketSeriesName(HISTOGRAM_BOUNDS_MS[k] ?? 0), bucket]),
      ),
    },
  };
}
