import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation } from '../../../src/decision';
import { histogramQuantile, observedQuantile } from '../../../src/decision/quantile';

/**
 * The p99 a recovery target compares with its threshold, estimated from the
 * buckets as Prometheus's histogram_quantile does (src/decision/quantile.ts).
 * Expected values are worked out by hand in the comments.
 */

describe('histogramQuantile', () => {
  // 100 requests: 10 ≤ 100 ms, 60 ≤ 200, 90 ≤ 500, 98 ≤ 1000, 2 above.
  const buckets = [
    { le: 100, count: 10 },
    { le: 200, count: 60 },
    { le: 500, count: 90 },
    { le: 1000, count: 98 },
  ];

  test('interpolates linearly inside the bucket that holds the rank', () => {
    // p50: rank 50 lies in (100, 200], which holds 50 requests, 40 of them needed: 100 + 100·40/50 = 180.
    expect(histogramQuantile(0.5, buckets, 100)).toBeCloseTo(180, 10);
    // p90: rank 90 is exactly the count at 500: 200 + 300·30/30 = 500.
    expect(histogramQuantile(0.9, buckets, 100)).toBeCloseTo(500, 10);
    // p95: rank 95 in (500, 1000], 8 requests, 5 needed: 500 + 500·5/8 = 812.5.
    expect(histogramQuantile(0.95, buckets, 100)).toBeCloseTo(812.5, 10);
    // p5: rank 5 in the first bucket, whose lower bound is 0: 100·5/10 = 50.
    expect(histogramQuantile(0.05, buckets, 100)).toBeCloseTo(50, 10);
  });

  test('a rank in the +Inf bucket gives the last finite bound', () => {
    // p99: rank 99 > 98 at the last finite bound.
    expect(histogramQuantile(0.99, buckets, 100)).toBe(1000);
  });

  test('the total is the +Inf bucket, whatever query counted it', () => {
    // All 98 requests counted by the buckets, total 98: p99 rank 97.02 in (500, 1000]: 500 + 500·7.02/8 = 938.75.
    expect(histogramQuantile(0.99, buckets, 98)).toBeCloseTo(938.75, 10);
    // A bucket a hair above the total (increase() extrapolates) is clipped to it: as if 98 at 1000 with total 97.5.
    // rank 96.525 in (500, 1000] holding 7.5: 500 + 500·6.525/7.5 = 935.
    expect(histogramQuantile(0.99, buckets, 97.5)).toBeCloseTo(935, 10);
  });

  test('buckets out of order or not monotonic are put right first', () => {
    const shuffled = [
      { le: 500, count: 90 },
      { le: 100, count: 10 },
      { le: 1000, count: 98 },
      { le: 200, count: 60 },
    ];
    expect(histogramQuantile(0.5, shuffled, 100)).toBeCloseTo(180, 10);
    // 200 counts fewer than 100 (float noise in a sum): raised to 10, so (100, 200] holds nothing;
    // rank 50 lies in (200, 500], 80 requests, 40 needed: 200 + 300·40/80 = 350.
    const dip = [
      { le: 100, count: 10 },
      { le: 200, count: 9 },
      { le: 500, count: 90 },
    ];
    expect(histogramQuantile(0.5, dip, 100)).toBeCloseTo(350, 10);
  });

  test('no requests or no finite bucket is no estimate, never 0', () => {
    expect(histogramQuantile(0.99, buckets, 0)).toBeNull();
    expect(histogramQuantile(0.99, [], 100)).toBeNull();
    expect(histogramQuantile(0.99, buckets, Number.NaN)).toBeNull();
    expect(histogramQuantile(1.5, buckets, 100)).toBeNull();
  });
});

describe('observedQuantile', () => {
  const observation: Observation = {
    requests: { baseline: 100, canary: 50 },
    latency_le_100: { baseline: 10, canary: 0 },
    latency_le_200: { baseline: 60, canary: 10 },
    latency_le_500: { baseline: 90, canary: 40 },
    latency_le_1000: { baseline: 98, canary: 50 },
  };
  const histogram = { buckets: 'latency', total: 'requests' };

  test('reads one group from the <buckets>_le_<ms> series and the total', () => {
    expect(observedQuantile(0.95, observation, histogram, 'baseline')).toBeCloseTo(812.5, 10);
    // canary p50: rank 25 in (200, 500], 30 requests, 15 needed: 200 + 300·15/30 = 350.
    expect(observedQuantile(0.5, observation, histogram, 'canary')).toBeCloseTo(350, 10);
  });

  test('a missing or failed bucket or total is no estimate', () => {
    expect(
      observedQuantile(
        0.99,
        { ...observation, latency_le_500: { baseline: null, canary: 40 } },
        histogram,
        'baseline',
      ),
    ).toBeNull();
    expect(
      observedQuantile(
        0.99,
        { ...observation, latency_le_500: { baseline: null, canary: null, error: 'timed out' } },
        histogram,
        'canary',
      ),
    ).toBeNull();
    expect(
      observedQuantile(0.99, { ...observation, requests: { baseline: 0, canary: 0 } }, histogram, 'baseline'),
    ).toBeNull();
    expect(
      observedQuantile(0.99, { requests: { baseline: 5, canary: 5 } }, histogram, 'baseline'),
    ).toBeNull();
  });

  // The shared histogram scenarios carry latency_p99_ms computed from their buckets by histogram_quantile.
  const SHARED = join(__dirname, '..', '..', 'fixtures', 'scenarios', 'shared-histogram');
  const shared = existsSync(SHARED) ? test : test.skip;
  shared('agrees with the p99 that histogram_quantile gave in the shared scenarios', () => {
    let compared = 0;
    for (const file of readdirSync(SHARED).filter((f) => f.endsWith('.json'))) {
      const scenario = JSON.parse(readFileSync(join(SHARED, file), 'utf8')) as {
        series: Record<string, { baseline: Array<number | null>; canary: Array<number | null> }>;
      };
      const p99 = scenario.series.latency_p99_ms;
      if (p99 === undefined) continue;
      for (let i = 0; i < p99.baseline.length; i++) {
        const at: Record<string, { baseline: number | null; canary: number | null }> = {};
        for (const [name, series] of Object.entries(scenario.series))
          at[name] = { baseline: series.baseline[i] ?? null, canary: series.canary[i] ?? null };
        for (const group of ['baseline', 'canary'] as const) {
          const expected = p99[group][i];
          const estimate = observedQuantile(0.99, at, histogram, group);
          if (expected === null || expected === undefined) continue;
          expect(estimate).not.toBeNull();
          // The scenarios round the p99 to 0.1 ms.
          expect(Math.abs((estimate ?? NaN) - expected)).toBeLessThanOrEqual(0.051);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });
});
