import type { Observation } from '../../../src/decision';
import { checkRecovery } from '../../../src/workflows/recovery';
import { examplePolicy } from '../activities/helpers';

/**
 * Recovery after a rollback (src/workflows/recovery.ts), judged on the
 * baseline: a target on a histogram signal compares the p99 estimated from the
 * buckets, in ms, with its threshold. The example canary policy has
 * `{ signal: latency, threshold: 800 }` on its histogram and 0.01 on its error rate.
 */

function observation(latency: Record<number, number>, requests = 100, errors = 0): Observation {
  return {
    requests: { baseline: requests, canary: null },
    errors: { baseline: errors, canary: null },
    latency: { baseline: null, canary: null },
    ...Object.fromEntries(
      Object.entries(latency).map(([bound, count]) => [
        `latency_le_${bound}`,
        { baseline: count, canary: null },
      ]),
    ),
  };
}

describe('checkRecovery on a histogram signal', () => {
  test('the p99 from the buckets is within the threshold', async () => {
    const { policy } = await examplePolicy('canary.yaml');
    // rank 99 of 100 lies in (500, 1000], which holds 10 requests, 9 of them needed: 500 + 500·9/10 = 950 > 800.
    expect(checkRecovery(policy, observation({ 300: 60, 500: 90, 1000: 100 }))).toEqual({
      met: false,
      details: ['error-rate: 0 within 0.01', 'latency: 950 beyond 800'],
    });
    // rank 99 in (300, 500], which holds 39.5 requests, 39 of them needed: 300 + 200·39/39.5 ≈ 497.5 ≤ 800.
    expect(checkRecovery(policy, observation({ 300: 60, 500: 99.5, 1000: 100 }))).toEqual({
      met: true,
      details: ['error-rate: 0 within 0.01', 'latency: 497.5 within 800'],
    });
  });

  test('a p99 past the last finite bucket is that bound: at least it', async () => {
    const { policy } = await examplePolicy('canary.yaml');
    expect(checkRecovery(policy, observation({ 300: 90, 500: 95 })).details).toContain(
      'latency: 500 within 800',
    );
    expect(checkRecovery(policy, observation({ 300: 90, 900: 95 })).details).toContain(
      'latency: 900 beyond 800',
    );
  });

  test('no buckets, a failed bucket, or no requests is never recovered', async () => {
    const { policy } = await examplePolicy('canary.yaml');
    const failed: Observation = {
      ...observation({ 300: 90, 500: 99.5 }),
      latency_le_500: { baseline: null, canary: null, error: 'timed out' },
    };
    for (const seen of [observation({}), failed, observation({ 300: 0, 500: 0 }, 0)]) {
      const check = checkRecovery(policy, seen, ['latency']);
      expect(check).toEqual({ met: false, details: ['latency: no data'] });
    }
  });
});
