import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import path from 'node:path';
import type { DecisionConfig } from '../../../src/decision';
import { loadPolicyFile } from '../../../src/policy';
import { decisionConfigFromPolicy } from '../../../src/policy/decision-config';
import { config, ERROR_RATE, LATENCY, run, simulateTraffic } from './support';

/** Largest count k with P(Bin(n, p) > k) <= 0.001: a rate within p plus a binomial confidence margin. */
function binomialUpperLimit(n: number, p: number): number {
  let k = 0;
  while (1 - binomialCdf(k, n, p) > 0.001) k += 1;
  return k;
}

function falseRollbacks(cfg: DecisionConfig, runs: number, seedBase: number): number {
  let count = 0;
  for (let r = 0; r < runs; r++) {
    const rate = 0.002 + (0.02 * ((r * 7919) % 100)) / 100;
    const observations = simulateTraffic(seedBase + r, {
      rps: [2, 10, 50][r % 3] ?? 10,
      intervalSeconds: 30,
      length: 60,
      baselineErrorRate: rate,
      canaryErrorRate: () => rate,
    });
    if (run(cfg, observations).decision.decision === 'rollback') count += 1;
  }
  return count;
}

// A/A: canary and baseline are the same service. With no tolerance the
// null hypothesis is exactly the truth, the hardest case for the guarantee.
describe('false rollbacks stay within alpha on A/A runs', () => {
  const exact = { relative: 0, absolute: 0 };
  const signals = [
    { ...ERROR_RATE, tolerance: exact },
    { ...LATENCY, tolerance: exact },
  ];

  it('with confirmation (the rollback guarantee), 600 runs', () => {
    const alpha = 0.05;
    const cfg = config({ alpha, signals, minRequestsPerGroup: 1 });
    const count = falseRollbacks(cfg, 600, 10_000);
    expect(count).toBeLessThanOrEqual(binomialUpperLimit(600, alpha));
  });

  it('without confirmation, where every breach is a rollback, 600 runs', () => {
    const alpha = 0.2;
    const cfg = config({ alpha, signals, minRequestsPerGroup: 1, confirmationWindowSeconds: 0 });
    const count = falseRollbacks(cfg, 600, 20_000);
    expect(count).toBeLessThanOrEqual(binomialUpperLimit(600, alpha));
  });
});

describe('power', () => {
  let canary: DecisionConfig;
  beforeAll(async () => {
    // The example canary's error-rate signal and alpha split; the p99 variant, since these observations carry a
    // p99 and no latency histogram (canary.yaml's latency would have no data and keep every watch inconclusive).
    const file = path.resolve(__dirname, '..', '..', '..', 'policies', 'examples', 'canary-p99-only.yaml');
    canary = decisionConfigFromPolicy((await loadPolicyFile(file)).policy);
  });

  it('detects a 2x error step at 100 requests/s per group in at least 95% of seeded runs (canary-p99-only.yaml)', () => {
    const onset = 10;
    let detected = 0;
    let early = 0;
    for (let seed = 0; seed < 100; seed++) {
      const observations = simulateTraffic(30_000 + seed, {
        rps: 100,
        intervalSeconds: 30,
        length: 40,
        baselineErrorRate: 0.01,
        canaryErrorRate: (i) => (i >= onset ? 0.02 : 0.01),
      });
      const { decision } = run(canary, observations);
      if (decision.decision === 'rollback' && (decision.decidedAtIndex ?? -1) >= onset) detected += 1;
      if (decision.decision === 'rollback' && (decision.decidedAtIndex ?? Infinity) < onset) early += 1;
    }
    expect(early).toBe(0);
    expect(detected).toBeGreaterThanOrEqual(95);
  });

  it('detects a regression late in a long watch almost as fast as one near its start', () => {
    const delays = (onset: number) =>
      Array.from({ length: 15 }, (_, seed) => {
        const observations = simulateTraffic(40_000 + seed, {
          rps: 100,
          intervalSeconds: 15,
          length: 360,
          baselineErrorRate: 0.005,
          canaryErrorRate: (i) => (i >= onset ? 0.015 : 0.005),
        });
        const { decision } = run(canary, observations);
        expect(decision.decision).toBe('rollback');
        return (decision.decidedAtIndex ?? Infinity) - onset;
      }).sort((a, b) => a - b)[7] ?? Infinity;
    const early = delays(20);
    const late = delays(320);
    // 300 healthy intervals (75 minutes) before the onset cost at most a few intervals.
    expect(late).toBeLessThanOrEqual(early + 4);
  });
});
