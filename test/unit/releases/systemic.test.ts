import type { RatioSignalConfig } from '../../../src/decision';
import { excessBounds, rateLowerBound, rateUpperBound } from '../../../src/releases/bounds';
import { initialDrift, stepDrift, type DriftState } from '../../../src/releases/systemic';
import { createRandom } from '../../../src/simulate/random';

const ERRORS: RatioSignalConfig = {
  name: 'error-rate',
  kind: 'ratio',
  numerator: 'errors',
  denominator: 'requests',
  direction: 'higher-is-worse',
  comparison: 'vs-baseline',
  tolerance: { relative: 0.2, absolute: 0.001 },
  critical: true,
};

describe('time-uniform bounds on an event rate', () => {
  it('hold at every interval at once, at least as often as promised', () => {
    const random = createRandom(4);
    const delta = 0.1;
    let broken = 0;
    const runs = 300;
    for (let run = 0; run < runs; run++) {
      const rate = random.logUniform(0.001, 0.2);
      let events = 0;
      let trials = 0;
      let held = true;
      for (let t = 0; t < 60; t++) {
        const n = random.poisson(200);
        events += random.binomial(n, rate);
        trials += n;
        if (
          rateUpperBound(events, trials, delta / 2) < rate ||
          rateLowerBound(events, trials, delta / 2) > rate
        ) {
          held = false;
        }
      }
      if (!held) broken += 1;
    }
    expect(broken / runs).toBeLessThanOrEqual(delta);
  });

  it('narrow as counts grow, and say nothing without trials', () => {
    expect(rateUpperBound(0, 0, 0.01)).toBe(1);
    expect(rateLowerBound(0, 0, 0.01)).toBe(0);
    const wide = rateUpperBound(10, 1000, 0.01);
    const narrow = rateUpperBound(1000, 100_000, 0.01);
    expect(wide).toBeGreaterThan(narrow);
    expect(narrow).toBeGreaterThan(0.01);
    expect(rateLowerBound(1000, 100_000, 0.01)).toBeLessThan(0.01);
    const excess = excessBounds({ events: 300, trials: 1000 }, { events: 10, trials: 1000 }, 0.01);
    expect(excess.estimate).toBeCloseTo(0.29, 5);
    expect(excess.lower).toBeGreaterThan(0.2);
    expect(excess.upper).toBeLessThan(0.4);
  });
});

describe('a stable version against its own past', () => {
  const params = { signal: ERRORS, alpha: 0.005, delta: 0.005 };

  function run(seed: number, rate: (t: number) => number, length = 120, requests = 500): DriftState {
    const random = createRandom(seed);
    let state = initialDrift();
    for (let t = 0; t < length; t++) {
      const n = random.poisson(requests);
      state = stepDrift(params, state, { events: random.binomial(n, rate(t)), trials: n }, t);
    }
    return state;
  }

  it('flags a degradation soon after it starts, with the rates people need', () => {
    const state = run(1, (t) => (t >= 50 ? 0.08 : 0.005));
    expect(state.degradedAt).toBeGreaterThanOrEqual(50);
    expect(state.degradedAt).toBeLessThanOrEqual(52);
    expect(state.shown.pastRate).toBeCloseTo(0.005, 2);
    expect(state.shown.rate).toBeGreaterThan(0.04);
  });

  it('flags a steady service rarely, and a drift within the tolerance no more often', () => {
    let flagged = 0;
    for (let seed = 0; seed < 100; seed++) {
      if (run(seed, () => 0.01).degradedAt !== null) flagged += 1;
      // 15% worse in the second half: within the policy's 20% tolerance.
      if (run(1000 + seed, (t) => (t >= 60 ? 0.0115 : 0.01)).degradedAt !== null) flagged += 1;
    }
    expect(flagged).toBeLessThanOrEqual(2);
  });

  it('skips intervals without data', () => {
    const state = stepDrift(params, initialDrift(), null, 0);
    expect(state).toEqual(initialDrift());
  });
});
