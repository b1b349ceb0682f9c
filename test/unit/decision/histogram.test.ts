import type { HistogramSignalConfig, Observation } from '../../../src/decision';
import { bucketBound } from '../../../src/decision/histogram';
import { isBucketOf } from '../../../src/sources/histogram';
import { readSignal } from '../../../src/decision/readings';
import { createRandom, type Random } from '../../../src/simulate/random';
import { config, run } from './support';

/**
 * Latency judged on histogram counts (src/decision/histogram.ts): a whole
 * shift and a slow path that few requests take are both caught, healthy
 * canaries are not rolled back, any bucket layout works, and missing buckets
 * are never health.
 */

const HISTOGRAM: HistogramSignalConfig = {
  name: 'latency',
  kind: 'histogram',
  buckets: 'latency',
  total: 'requests',
  direction: 'higher-is-worse',
  comparison: 'vs-baseline',
  tolerance: { relative: 0.25, absolute: 0 },
  critical: true,
};

const PROMETHEUS_BOUNDS = [25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2500, 5000];

interface Shape {
  /** Median latency in ms; sigma of the lognormal. */
  median: number;
  sigma: number;
  /** Share of requests on a slow path, and how many times slower it is. */
  slowShare?: number;
  slowFactor?: number;
}

/** One interval's cumulative bucket counts for `n` requests drawn from the shape. */
function buckets(random: Random, n: number, shape: Shape, bounds: number[]): number[] {
  const counts = new Array<number>(bounds.length).fill(0);
  for (let r = 0; r < n; r++) {
    let ms = shape.median * Math.exp(shape.sigma * random.normal(0, 1));
    if (shape.slowShare !== undefined && random.uniform() < shape.slowShare) ms *= shape.slowFactor ?? 1;
    bounds.forEach((bound, i) => {
      if (ms <= bound) counts[i]! += 1;
    });
  }
  return counts;
}

function observations(
  seed: number,
  options: {
    intervals: number;
    rps: number;
    baseline: Shape;
    canary: Shape;
    onset?: number;
    bounds?: number[];
  },
): Observation[] {
  const random = createRandom(seed);
  const bounds = options.bounds ?? PROMETHEUS_BOUNDS;
  const list: Observation[] = [];
  for (let i = 0; i < options.intervals; i++) {
    const nb = random.poisson(options.rps * 30);
    const nc = random.poisson(options.rps * 30);
    const canaryShape = options.onset !== undefined && i < options.onset ? options.baseline : options.canary;
    const b = buckets(random, nb, options.baseline, bounds);
    const c = buckets(random, nc, canaryShape, bounds);
    const observation: Record<string, { baseline: number; canary: number }> = {
      requests: { baseline: nb, canary: nc },
    };
    bounds.forEach((bound, k) => (observation[`latency_le_${bound}`] = { baseline: b[k]!, canary: c[k]! }));
    list.push(observation);
  }
  return list;
}

const BASE: Shape = { median: 120, sigma: 0.5 };
const histogramConfig = () =>
  config({ signals: [HISTOGRAM], alpha: 0.01, confirmationWindowSeconds: 60, maxInconclusiveSeconds: 3600 });

test('a shift of the whole distribution (every request 1.6 times slower) is rolled back soon after it starts', () => {
  for (const seed of [1, 2, 3]) {
    const { decision } = run(
      histogramConfig(),
      observations(seed, {
        intervals: 40,
        rps: 10,
        baseline: BASE,
        canary: { ...BASE, median: 192 },
        onset: 10,
      }),
    );
    expect(decision.decision).toBe('rollback');
    expect(decision.decidedAtIndex).toBeGreaterThanOrEqual(10);
    expect(decision.decidedAtIndex).toBeLessThanOrEqual(20);
  }
});

test('a slow path that 4% of requests take (median unchanged) is caught', () => {
  for (const seed of [4, 5, 6]) {
    const { decision } = run(
      histogramConfig(),
      observations(seed, {
        intervals: 40,
        rps: 10,
        baseline: BASE,
        canary: { ...BASE, slowShare: 0.04, slowFactor: 6 },
        onset: 10,
      }),
    );
    expect(decision.decision).toBe('rollback');
    expect(decision.decidedAtIndex).toBeGreaterThanOrEqual(10);
  }
});

test('healthy canaries (the same distribution) are not rolled back', () => {
  const decisions = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20].map(
    (seed) =>
      run(histogramConfig(), observations(seed, { intervals: 50, rps: 20, baseline: BASE, canary: BASE }))
        .decision.decision,
  );
  expect(decisions.filter((d) => d === 'rollback')).toEqual([]);
});

test("a service's own bucket layout works (seconds-like bounds, few buckets)", () => {
  const bounds = [100, 250, 1000, 10000];
  const { decision } = run(
    histogramConfig(),
    observations(7, {
      intervals: 40,
      rps: 10,
      baseline: BASE,
      canary: { ...BASE, median: 240 },
      onset: 8,
      bounds,
    }),
  );
  expect(decision.decision).toBe('rollback');
});

test('the bounds watched in an interval come from the baseline before it: the first interval bets nothing', () => {
  const [first] = observations(8, {
    intervals: 1,
    rps: 10,
    baseline: BASE,
    canary: { ...BASE, median: 600 },
  });
  const reading = readSignal(HISTOGRAM, first!);
  expect(reading.status).toBe('aligned');
  expect(reading.status === 'aligned' && reading.logLR).toBeNull();
  // With the baseline's past, the same interval is strong evidence.
  const tail = reading.status === 'aligned' ? reading.baselineTail : undefined;
  const again = readSignal(HISTOGRAM, first!, tail);
  expect(again.status === 'aligned' && Math.max(...(again.logLR ?? [0]))).toBeGreaterThan(Math.log(20));
});

test('missing buckets or a failed bucket read are never health', () => {
  const [observation] = observations(9, { intervals: 1, rps: 10, baseline: BASE, canary: BASE });
  const withoutCanary = Object.fromEntries(
    Object.entries(observation!).map(([k, v]) => [
      k,
      k.startsWith('latency_le_') ? { ...v!, canary: null } : v,
    ]),
  );
  expect(readSignal(HISTOGRAM, withoutCanary).status).toBe('missing');
  const failed = { ...observation!, latency_le_300: { baseline: null, canary: null, error: 'timeout' } };
  expect(readSignal(HISTOGRAM, failed)).toMatchObject({
    status: 'error',
    detail: expect.stringContaining('timeout'),
  });
  const noBuckets = { requests: observation!.requests };
  expect(readSignal(HISTOGRAM, noBuckets).status).toBe('missing');
});

test('A/A with no tolerance and no confirmation window: false rollbacks stay within alpha (150 runs)', () => {
  const alpha = 0.05;
  const cfg = config({
    signals: [{ ...HISTOGRAM, tolerance: { relative: 0, absolute: 0 } }],
    alpha,
    confirmationWindowSeconds: 0,
    maxInconclusiveSeconds: 3600,
  });
  let rollbacks = 0;
  for (let seed = 0; seed < 150; seed++) {
    const shape = { median: 60 + (seed % 7) * 40, sigma: 0.4 + (seed % 3) * 0.2 };
    const list = observations(1000 + seed, {
      intervals: 40,
      rps: [2, 10, 30][seed % 3]!,
      baseline: shape,
      canary: shape,
    });
    if (run(cfg, list).decision.decision === 'rollback') rollbacks += 1;
  }
  // P(Bin(150, 0.05) > 16) < 0.001: more than that would mean the bound does not hold.
  expect(rollbacks).toBeLessThanOrEqual(16);
});

test('one rule says which keys are buckets: sources and the core agree, and a non-bucket key cannot fail the signal', () => {
  expect(
    ['latency_le_300', 'latency_le_0.5', 'latency_le_0', 'latency_le_x', 'latency_le_', 'latency_p99_ms'].map(
      (key) => [bucketBound('latency', key), isBucketOf('latency', key)],
    ),
  ).toEqual([
    [300, true],
    [0.5, true],
    [undefined, false],
    [undefined, false],
    [undefined, false],
    [undefined, false],
  ]);
  const [observation] = observations(10, { intervals: 1, rps: 10, baseline: BASE, canary: BASE });
  const withJunk = { ...observation!, latency_le_x: { baseline: null, canary: null, error: 'not a bucket' } };
  expect(readSignal(HISTOGRAM, withJunk).status).toBe('aligned');
});
