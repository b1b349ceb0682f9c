import { alphaWithoutEffect, type DecisionConfig } from '../../../src/decision';
import { config, ERROR_RATE, LATENCY, run, simulateTraffic } from './support';

/**
 * alphaWithoutEffect says over which alphas a wider one does not speed up a
 * signal's rollbacks. `policy suggest` relies on it to decide whether to
 * advise a wider alpha, so the claim is checked against the engine itself:
 * inside the range decisions do not change, outside it they do.
 */

function decisionsOf(cfg: DecisionConfig, seeds: number): string[] {
  const out: string[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const observations = simulateTraffic(seed, {
      rps: 3,
      intervalSeconds: 30,
      length: 120,
      baselineErrorRate: 0.01,
      canaryErrorRate: (i) => (i >= 20 ? 0.025 : 0.01),
    });
    const { decision } = run(cfg, observations);
    out.push(`${decision.decision}@${decision.decidedAtIndex}`);
  }
  return out;
}

describe('the alphas over which a wider one changes nothing', () => {
  test('run from signals x CONFIRM_ALPHA to signals over the breach level', () => {
    const two = config({ signals: [ERROR_RATE, LATENCY] });
    const ratio = alphaWithoutEffect(two, ERROR_RATE)!;
    expect(ratio.from).toBeCloseTo(0.02, 12);
    expect(ratio.to).toBeCloseTo(0.2, 12);
    const latency = alphaWithoutEffect(two, LATENCY)!;
    expect(latency.from).toBeCloseTo(0.1, 12);
    expect(latency.to).toBeCloseTo(1, 12);
  });

  test('do not exist without a confirmation window: alpha then always sets the rollback level', () => {
    expect(alphaWithoutEffect(config({ confirmationWindowSeconds: 0 }), ERROR_RATE)).toBeNull();
  });

  test('inside the range, decisions on a 2.5x error step do not change; outside it they do', () => {
    const { from, to } = alphaWithoutEffect(config(), ERROR_RATE)!;
    const atFrom = decisionsOf(config({ alpha: from }), 30);
    // Sanity: the scenarios do roll back, so "the same" is not "nothing happened".
    expect(atFrom.filter((d) => d.startsWith('rollback')).length).toBeGreaterThan(20);
    expect(decisionsOf(config({ alpha: (from + to) / 2 }), 30)).toEqual(atFrom);
    expect(decisionsOf(config({ alpha: from / 8 }), 30)).not.toEqual(atFrom);
    // Past `to` the breach level itself drops, so breaches (and rollbacks) come sooner.
    expect(decisionsOf(config({ alpha: Math.min(0.2, 2 * to) }), 30)).not.toEqual(atFrom);
  });
});
