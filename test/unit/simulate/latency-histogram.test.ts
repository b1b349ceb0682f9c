import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { histogramQuantile } from '../../../src/decision';
import { generateScenario, SCENARIO_KINDS } from '../../../src/simulate/generate';
import {
  bucketProbabilities,
  drawBinomial,
  drawCumulativeBuckets,
  HISTOGRAM_BOUNDS_MS,
  mixtureLogQuantile,
} from '../../../src/simulate/latency-histogram';
import { createRandom, type Random } from '../../../src/simulate/random';
import { Scenario } from '../../../src/simulate/scenario';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
};

/** A Random that counts every draw it hands out. */
function counting(random: Random): { random: Random; draws: () => number } {
  let draws = 0;
  const wrapped: Random = {
    uniform: (low, high) => (draws++, random.uniform(low, high)),
    logUniform: (low, high) => (draws++, random.logUniform(low, high)),
    integer: (low, high) => (draws++, random.integer(low, high)),
    pick: (items) => (draws++, random.pick(items)),
    normal: (m, sd) => (draws++, random.normal(m, sd)),
    poisson: (m) => (draws++, random.poisson(m)),
    binomial: (n, p) => (draws++, random.binomial(n, p)),
  };
  return { random: wrapped, draws: () => draws };
}

describe('bucket probabilities', () => {
  it('are the log-normal mass between consecutive bounds, and sum to 1', () => {
    const c = { weight: 1, logMedian: Math.log(80), sigma: 0.5 };
    const p = bucketProbabilities([c]);
    expect(p).toHaveLength(HISTOGRAM_BOUNDS_MS.length + 1);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // (50, 100]: Φ((ln 100 − ln 80)/0.5) − Φ((ln 50 − ln 80)/0.5).
    expect(p[2]).toBeCloseTo(
      normalCdf(Math.log(100), c.logMedian, 0.5) - normalCdf(Math.log(50), c.logMedian, 0.5),
      12,
    );
    for (const x of p) expect(x).toBeGreaterThanOrEqual(0);
  });

  it('mix the components by weight', () => {
    const fast = { weight: 0.96, logMedian: Math.log(60), sigma: 0.4 };
    const slow = { weight: 0.04, logMedian: Math.log(300), sigma: 0.4 };
    const mixed = bucketProbabilities([fast, slow]);
    const a = bucketProbabilities([{ ...fast, weight: 1 }]);
    const b = bucketProbabilities([{ ...slow, weight: 1 }]);
    mixed.forEach((p, k) => expect(p).toBeCloseTo(0.96 * (a[k] ?? 0) + 0.04 * (b[k] ?? 0), 12));
  });

  it('a mixture quantile solves the mixture CDF', () => {
    const components = [
      { weight: 0.97, logMedian: 4, sigma: 0.5 },
      { weight: 0.03, logMedian: 4 + Math.log(5), sigma: 0.5 },
    ];
    const { value, density } = mixtureLogQuantile(0.99, components);
    const cdf = (x: number) => 0.97 * normalCdf(x, 4, 0.5) + 0.03 * normalCdf(x, 4 + Math.log(5), 0.5);
    expect(cdf(value)).toBeCloseTo(0.99, 9);
    expect(density).toBeCloseTo((cdf(value + 1e-5) - cdf(value - 1e-5)) / 2e-5, 5);
  });
});

describe('drawBinomial', () => {
  it.each([
    [20, 0.1],
    [5000, 0.001],
    [1000, 0.3],
    [1000, 0.9995],
  ])('Binomial(%d, %d) has its mean and variance', (n, p) => {
    const random = createRandom(7);
    const xs = Array.from({ length: 20000 }, () => drawBinomial(random, n, p));
    const sd = Math.sqrt(n * p * (1 - p));
    // The sample mean is within 5 standard errors; the variance within 10%.
    expect(Math.abs(mean(xs) - n * p)).toBeLessThan((5 * sd) / Math.sqrt(xs.length) + 1e-9);
    expect(variance(xs) / (sd * sd)).toBeGreaterThan(0.9);
    expect(variance(xs) / (sd * sd)).toBeLessThan(1.1);
    expect(xs.every((x) => x >= 0 && x <= n && Number.isInteger(x))).toBe(true);
  });

  it.each([
    [20, 0.5],
    [60, 0.2],
    [400, 0.03],
  ])('Binomial(%d, %d) follows the exact distribution', (n, p) => {
    // The library's own sampler fails this (its BTPE runs high for n·p from 10 to 100).
    const random = createRandom(8);
    const draws = 40000;
    const counts = new Array<number>(n + 1).fill(0);
    for (let i = 0; i < draws; i++) {
      const x = drawBinomial(random, n, p);
      counts[x] = (counts[x] ?? 0) + 1;
    }
    let cumulative = 0;
    let distance = 0;
    counts.forEach((count, k) => {
      cumulative += count / draws;
      distance = Math.max(distance, Math.abs(cumulative - binomialCdf(k, n, p)));
    });
    // Kolmogorov–Smirnov at 0.1% (conservative for a discrete law).
    expect(distance).toBeLessThan(1.95 / Math.sqrt(draws));
  });

  it('handles the edges', () => {
    const random = createRandom(1);
    expect(drawBinomial(random, 0, 0.5)).toBe(0);
    expect(drawBinomial(random, 10, 0)).toBe(0);
    expect(drawBinomial(random, 10, 1)).toBe(10);
  });
});

describe('drawCumulativeBuckets', () => {
  const probabilities = bucketProbabilities([{ weight: 1, logMedian: Math.log(120), sigma: 0.6 }]);

  it('returns cumulative counts, never above the requests', () => {
    const random = createRandom(3);
    for (const requests of [0, 1, 7, 300, 40000]) {
      const cumulative = drawCumulativeBuckets(random, requests, probabilities);
      expect(cumulative).toHaveLength(HISTOGRAM_BOUNDS_MS.length);
      cumulative.forEach((count, k) => {
        expect(Number.isInteger(count)).toBe(true);
        expect(count).toBeGreaterThanOrEqual(k === 0 ? 0 : (cumulative[k - 1] ?? 0));
        expect(count).toBeLessThanOrEqual(requests);
      });
    }
  });

  it('is a multinomial: each bucket gets its share on average', () => {
    const random = createRandom(4);
    const requests = 200;
    const rounds = 4000;
    const sums = new Array<number>(probabilities.length).fill(0);
    for (let r = 0; r < rounds; r++) {
      const cumulative = drawCumulativeBuckets(random, requests, probabilities);
      let before = 0;
      cumulative.forEach((count, k) => {
        sums[k] = (sums[k] ?? 0) + count - before;
        before = count;
      });
      sums[cumulative.length] = (sums[cumulative.length] ?? 0) + requests - before;
    }
    probabilities.forEach((p, k) => {
      const expected = p * requests * rounds;
      const sd = Math.sqrt(requests * rounds * p * (1 - p));
      expect(Math.abs((sums[k] ?? 0) - expected)).toBeLessThanOrEqual(5 * sd + 1e-9);
    });
  });

  it('costs a few draws per interval, not one per request', () => {
    for (const requests of [100, 10_000, 1_000_000]) {
      const { random, draws } = counting(createRandom(5));
      drawCumulativeBuckets(random, requests, probabilities);
      // One uniform per bucket, or a couple of tries of two for the larger counts.
      expect(draws()).toBeLessThanOrEqual(4 * probabilities.length);
    }
  });
});

describe('generated histograms', () => {
  const bucketNames = HISTOGRAM_BOUNDS_MS.map((b) => `latency_le_${b}`);

  it.each(SCENARIO_KINDS)('%s: buckets for every interval, the p99 computed from them', (kind) => {
    const s = generateScenario({ kind, seed: 11, index: 0, rps: 10, length: 80, histogram: true });
    const parsed = Scenario.parse(s);
    expect(Object.keys(parsed.series).sort()).toEqual(
      ['errors', 'latency_p99_ms', 'requests', ...bucketNames].sort(),
    );
    for (const group of ['baseline', 'canary'] as const) {
      parsed.series.requests?.[group].forEach((requests, i) => {
        const counts = bucketNames.map((name) => parsed.series[name]?.[group][i]);
        const p99 = parsed.series.latency_p99_ms?.[group][i];
        if (requests === null || requests === undefined) {
          expect(counts.every((c) => c === null)).toBe(true);
          expect(p99).toBeNull();
          return;
        }
        const cumulative = counts.map((c) => c ?? NaN);
        cumulative.forEach((c, k) =>
          expect(c).toBeGreaterThanOrEqual(k === 0 ? 0 : (cumulative[k - 1] ?? 0)),
        );
        expect(cumulative[cumulative.length - 1]).toBeLessThanOrEqual(requests);
        const expected = histogramQuantile(
          0.99,
          HISTOGRAM_BOUNDS_MS.map((le, k) => ({ le, count: cumulative[k] ?? 0 })),
          requests,
        );
        if (expected === null) expect(p99).toBeNull();
        // Rounded to 0.1 ms in the file.
        else expect(Math.abs((p99 ?? NaN) - expected)).toBeLessThanOrEqual(0.05 + 1e-9);
      });
    }
  });

  it('is an option: the same plan as without, reproducible from the seed', () => {
    const plain = generateScenario({ kind: 'latency-step', seed: 21, index: 3, rps: 30 });
    const hist = generateScenario({ kind: 'latency-step', seed: 21, index: 3, rps: 30, histogram: true });
    expect(hist.truth).toEqual(plain.truth);
    expect(hist.intervalSeconds).toBe(plain.intervalSeconds);
    expect(hist.params).toEqual({ ...plain.params, latencySigma: expect.any(Number) });
    expect(hist.name).not.toBe(plain.name);
    expect(generateScenario({ kind: 'latency-step', seed: 21, index: 3, rps: 30, histogram: true })).toEqual(
      hist,
    );
  });
});

describe('tail-slow-path', () => {
  const sum = (xs: (number | null)[] | undefined, from: number, to: number) =>
    (xs ?? []).slice(from, to).reduce<number>((a, b) => a + (b ?? 0), 0);

  function pooled(
    s: ReturnType<typeof generateScenario>,
    group: 'baseline' | 'canary',
    from: number,
    to: number,
  ) {
    const total = sum(s.series.requests?.[group], from, to);
    const buckets = HISTOGRAM_BOUNDS_MS.map((le) => ({
      le,
      count: sum(s.series[`latency_le_${le}`]?.[group], from, to),
    }));
    return {
      p50: histogramQuantile(0.5, buckets, total) ?? NaN,
      // Share of requests slower than each bound.
      slower: buckets.map((b) => 1 - b.count / total),
    };
  }

  it.each([0, 1, 2, 3, 4])(
    'seed index %d: the canary tail grows from the onset, its median does not',
    (index) => {
      const s = generateScenario({
        kind: 'tail-slow-path',
        seed: 31,
        index,
        rps: 100,
        length: 200,
        histogram: true,
      });
      const onset = s.truth?.onsetIndex ?? 0;
      const share = Number(s.params?.share);
      const factor = Number(s.params?.factor);
      expect(s.truth).toMatchObject({ regression: true, kind: 'latency-tail' });
      expect(share).toBeGreaterThanOrEqual(0.02);
      expect(share).toBeLessThanOrEqual(0.05);
      expect(factor).toBeGreaterThanOrEqual(3);

      const before = { baseline: pooled(s, 'baseline', 0, onset), canary: pooled(s, 'canary', 0, onset) };
      const after = { baseline: pooled(s, 'baseline', onset, 200), canary: pooled(s, 'canary', onset, 200) };
      // The median as a dashboard reads it off the buckets (interpolated, so coarse): within 8%.
      expect(after.canary.p50 / after.baseline.p50).toBeGreaterThan(0.95);
      expect(after.canary.p50 / after.baseline.p50).toBeLessThan(1.08);
      // The tail: past the bound the baseline exceeds about 2% of the time, the canary is slower
      // by close to `share` times the slow path's chance to pass it.
      const tail = after.baseline.slower.findIndex((x) => x < 0.03);
      const extra = (after.canary.slower[tail] ?? 0) - (after.baseline.slower[tail] ?? 0);
      expect(extra).toBeGreaterThan(share / 4);
      expect(extra).toBeLessThan(share + 0.01);
      // Before the onset the groups agree.
      expect(Math.abs((before.canary.slower[tail] ?? 0) - (before.baseline.slower[tail] ?? 0))).toBeLessThan(
        0.01,
      );
    },
  );

  it("moves the true median by about 4% at most, at the kind's extremes", () => {
    // The largest share and factor and the widest spread the generator draws.
    const shift = mixtureLogQuantile(0.5, [
      { weight: 0.95, logMedian: 0, sigma: 0.6 },
      { weight: 0.05, logMedian: Math.log(6), sigma: 0.6 },
    ]).value;
    expect(Math.exp(shift)).toBeLessThan(1.045);
  });

  it('without histograms, raises the exact p99 of the draws', () => {
    for (const rps of [3, 100]) {
      const s = generateScenario({ kind: 'tail-slow-path', seed: 31, index: 0, rps, length: 200 });
      expect(Object.keys(s.series).sort()).toEqual(['errors', 'latency_p99_ms', 'requests']);
      const onset = s.truth?.onsetIndex ?? 0;
      const median = (xs: (number | null)[] | undefined) => {
        const v = (xs ?? []).filter((x): x is number => x !== null).sort((a, b) => a - b);
        return v[Math.floor(v.length / 2)] ?? NaN;
      };
      const ratioAfter =
        median(s.series.latency_p99_ms?.canary.slice(onset)) /
        median(s.series.latency_p99_ms?.baseline.slice(onset));
      const ratioBefore =
        median(s.series.latency_p99_ms?.canary.slice(0, onset)) /
        median(s.series.latency_p99_ms?.baseline.slice(0, onset));
      expect(ratioAfter).toBeGreaterThan(1.1);
      expect(ratioBefore).toBeLessThan(1.1);
    }
  });
});
