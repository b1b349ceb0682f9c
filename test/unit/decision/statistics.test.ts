import gammaln from '@stdlib/math-base-special-gammaln';
import {
  nullCanaryShare,
  oneSampleCountLogLR,
  twoSampleCountLogLR,
} from '../../../src/decision/stats/count-tests';
import {
  emptyEProcess,
  logEValue,
  logFreshValue,
  refundToMain,
  resetEProcess,
  startFreshEvidence,
  stepEProcess,
  stepFreshEvidence,
} from '../../../src/decision/stats/e-process';
import { logSumExp } from '../../../src/decision/stats/log-space';
import { signLogLR } from '../../../src/decision/stats/sign-test';

describe('two-sample count test (canary share of the interval errors)', () => {
  it.each([
    // rho0, canary trials, baseline trials, null share
    [1, 1000, 1000, 0.5],
    [1.2, 1000, 1000, 1200 / 2200],
    [1, 500, 1500, 0.25],
    [1.5, 100, 300, 150 / 450],
  ])('null share with rho0=%p, n_c=%p, n_b=%p is %p', (rho0, nc, nb, share) => {
    expect(nullCanaryShare(rho0, nc, nb)).toBeCloseTo(share, 12);
  });

  it.each([
    // hand-computed: p0 = 1/2, alternative odds x2 → q1 = 2/3: 3 ln(4/3) + 1 ln(2/3)
    { xc: 3, nc: 100, xb: 1, nb: 100, rho0: 1, g: 2, expected: 3 * Math.log(4 / 3) + Math.log(2 / 3) },
    // p0 = 1/2, q1 = 3/4 (odds x3): 0 canary errors, 4 baseline errors: 4 ln(1/2)
    { xc: 0, nc: 100, xb: 4, nb: 100, rho0: 1, g: 3, expected: 4 * Math.log(0.25 / 0.5) },
    // unequal traffic: p0 = 1.2*200/(1.2*200+100) = 240/340, q1 odds = 2*240/100 → 480/580
    {
      xc: 5,
      nc: 200,
      xb: 1,
      nb: 100,
      rho0: 1.2,
      g: 2,
      expected: 5 * Math.log(480 / 580 / (240 / 340)) + Math.log(100 / 580 / (100 / 340)),
    },
  ])(
    'log LR for $xc/$nc vs $xb/$nb (rho0 $rho0, odds x$g) = $expected',
    ({ xc, nc, xb, nb, rho0, g, expected }) => {
      const lr = twoSampleCountLogLR(
        { canaryEvents: xc, canaryTrials: nc, referenceEvents: xb, referenceTrials: nb },
        rho0,
        [g],
      );
      expect(lr?.[0]).toBeCloseTo(expected, 10);
    },
  );

  it('says nothing when the interval has no events or a group had no traffic', () => {
    expect(
      twoSampleCountLogLR(
        { canaryEvents: 0, canaryTrials: 100, referenceEvents: 0, referenceTrials: 100 },
        1,
      ),
    ).toBeNull();
    expect(
      twoSampleCountLogLR({ canaryEvents: 0, canaryTrials: 0, referenceEvents: 3, referenceTrials: 100 }, 1),
    ).toBeNull();
  });

  // The guarantee rests on this: under the null (canary share p <= p0) each
  // interval's likelihood ratio has expectation at most 1. Checked exactly by
  // summing over the binomial distribution of the canary's share.
  it.each([
    [1, 0.5, 0.5],
    [5, 0.5, 0.5],
    [20, 0.5, 0.5],
    [20, 0.5, 0.4],
    [50, 0.6, 0.45],
  ])('E[LR] <= 1 with %p events, null share %p, true share %p', (m, p0, p) => {
    for (const g of [1.5, 2, 3, 5, 10, 30]) {
      let expectation = 0;
      for (let x = 0; x <= m; x++) {
        const logPmf =
          gammaln(m + 1) - gammaln(x + 1) - gammaln(m - x + 1) + x * Math.log(p) + (m - x) * Math.log(1 - p);
        const nc = 1000;
        const nb = (nc * (1 - p0)) / p0;
        const lr = twoSampleCountLogLR(
          { canaryEvents: x, canaryTrials: nc, referenceEvents: m - x, referenceTrials: nb },
          1,
          [g],
        );
        expectation += Math.exp(logPmf + (lr?.[0] ?? 0));
      }
      if (p === p0) expect(expectation).toBeCloseTo(1, 9);
      else expect(expectation).toBeLessThan(1);
    }
  });
});

describe('one-sample count test (canary against an absolute rate)', () => {
  it('matches the hand-computed binomial ratio', () => {
    // theta0 = 0.1, alternative odds x2 → r1 = 2/11; 2 errors in 10 requests.
    const expected = 2 * Math.log(2 / 11 / 0.1) + 8 * Math.log(9 / 11 / 0.9);
    expect(oneSampleCountLogLR(2, 10, 0.1, [2])?.[0]).toBeCloseTo(expected, 12);
  });

  it('says nothing without traffic', () => {
    expect(oneSampleCountLogLR(0, 0, 0.1)).toBeNull();
  });
});

describe('sign test (bad intervals)', () => {
  it.each([
    [true, [Math.log(1.4), Math.log(1.9)]],
    [false, [Math.log(0.6), Math.log(0.1)]],
  ])('bad=%p gives %p', (bad, expected) => {
    const lr = signLogLR(bad, [0.7, 0.95]);
    lr.forEach((v, i) => expect(v).toBeCloseTo(expected[i] ?? NaN, 12));
  });

  it('has expectation exactly 1 when a bad interval has probability 1/2', () => {
    const [b0, b1] = signLogLR(true, [0.8]).concat(signLogLR(false, [0.8]));
    expect(0.5 * Math.exp(b0 ?? 0) + 0.5 * Math.exp(b1 ?? 0)).toBeCloseTo(1, 12);
  });
});

describe('e-process with a mixture over start times', () => {
  const NEVER = Infinity;

  it('starts its first product with weight 1/8 (a quarter of the budget, 1/((0+1)(0+2)))', () => {
    const state = stepEProcess(emptyEProcess(1), [Math.log(2)], NEVER);
    expect(Math.exp(logEValue(state))).toBeCloseTo(0.125 * 2, 12);
  });

  it('adds an armed start after an interval that leaned towards a regression', () => {
    let state = stepEProcess(emptyEProcess(1), [Math.log(5)], Math.log(4)); // E = 5/8, armed
    state = stepEProcess(state, [Math.log(3)], Math.log(4));
    // weights: every-interval j=1: 0.25/(2·3); armed j=0: 0.75/(1·2)
    expect(Math.exp(logEValue(state))).toBeCloseTo((5 / 8 + 1 / 24 + 3 / 8) * 3, 12);
  });

  it('arms once the intervals since the last arming lean towards a regression together (a CUSUM)', () => {
    const armAt = Math.log(4);
    let state = stepEProcess(emptyEProcess(1), [Math.log(2)], armAt); // S = log 2
    expect(state.armed).toBe(false);
    state = stepEProcess(state, [Math.log(0.5)], armAt); // S = 0
    state = stepEProcess(state, [Math.log(2.5)], armAt); // S = log 2.5
    expect(state.armed).toBe(false);
    state = stepEProcess(state, [Math.log(2)], armAt); // S = log 5 >= log 4: armed, S back to 0
    expect(state.armed).toBe(true);
    expect(state.suspicion).toBe(0);
    state = stepEProcess(state, [Math.log(3)], armAt);
    expect(state.armed).toBe(false);
    expect(state.armedStarts).toBe(1);
  });

  it('never hands out more than a total weight of 1 (so Ville applies)', () => {
    // E_t = (E_{t-1} + w_t) * LR_t, so the weight handed out at t is E_t / LR_t - E_{t-1}.
    // Every third interval arms a start (ratio 4 reaches the arming level), the next undoes it.
    const pattern = [Math.log(4), -Math.log(4), 0];
    let state = emptyEProcess(1);
    let handedOut = 0;
    for (let t = 0; t < 6000; t++) {
      const logLR = pattern[t % 3] ?? 0;
      const before = Math.exp(logEValue(state));
      state = stepEProcess(state, [logLR], Math.log(4));
      const weight = Math.exp(logEValue(state) - logLR) - before;
      expect(weight).toBeGreaterThan(0);
      handedOut += weight;
      expect(handedOut).toBeLessThanOrEqual(1 + 1e-9);
    }
    expect(state.armedStarts).toBeGreaterThan(1000);
    expect(handedOut).toBeGreaterThan(0.99);
  });

  it('averages over alternatives with uniform weights', () => {
    const state = stepEProcess(emptyEProcess(2), [Math.log(4), Math.log(0.5)], NEVER);
    expect(Math.exp(logEValue(state))).toBeCloseTo(0.125 * (4 + 0.5) * 0.5, 12);
  });

  it('forgets its products on reset but keeps the weight counters', () => {
    let state = emptyEProcess(1);
    for (let t = 0; t < 10; t++) state = stepEProcess(state, [Math.log(2)], NEVER);
    const reset = resetEProcess(state);
    expect(Math.exp(logEValue(reset))).toBe(0);
    expect(reset.starts).toBe(10);
  });
});

describe('fresh evidence for confirmation', () => {
  it('starts at e-value 1 with weights summing to 1', () => {
    let main = emptyEProcess(3);
    main = stepEProcess(main, [Math.log(8), Math.log(2), Math.log(0.5)], Infinity);
    const fresh = startFreshEvidence(main);
    expect(logSumExp(fresh.logPrior)).toBeCloseTo(0, 12);
    expect(logFreshValue(fresh)).toBeCloseTo(0, 12);
    // half on what the breach found, half uniform: the first alternative weighs most
    const weights = fresh.logPrior.map(Math.exp);
    expect(weights[0]).toBeCloseTo(0.5 * (8 / 10.5) + 0.5 / 3, 12);
  });

  it('is the prior-weighted product of the ratios seen since it started', () => {
    const main = emptyEProcess(2);
    let fresh = startFreshEvidence(main); // uniform when the main test has no mass
    fresh = stepFreshEvidence(fresh, [Math.log(2), Math.log(3)]);
    fresh = stepFreshEvidence(fresh, [Math.log(2), Math.log(0.5)]);
    expect(Math.exp(logFreshValue(fresh))).toBeCloseTo(0.5 * 4 + 0.5 * 1.5, 12);
  });
});

describe('refund of a dismissed confirmation to the main test', () => {
  const carried = Math.log(40);

  it("returns the confirmation's whole wealth (carried times fresh) when it is below the cap", () => {
    const main = resetEProcess(stepEProcess(emptyEProcess(2), [0, 0], Infinity));
    let fresh = startFreshEvidence(emptyEProcess(2)); // uniform prior
    fresh = stepFreshEvidence(fresh, [Math.log(0.1), Math.log(0.05)]);
    const wealth = 40 * (0.5 * 0.1 + 0.5 * 0.05);
    const refunded = refundToMain(main, carried, fresh, Math.log(100));
    expect(Math.exp(logEValue(refunded))).toBeCloseTo(wealth, 10);
    // split as the confirmation held it: alternative 0 held twice the wealth of alternative 1
    expect(Math.exp(refunded.logR[0]! - refunded.logR[1]!)).toBeCloseTo(2, 10);
  });

  it('returns at most the cap, and adds to what the main test already holds', () => {
    const main = stepEProcess(emptyEProcess(2), [Math.log(2), Math.log(2)], Infinity); // e-value 1/8 * 2
    const before = Math.exp(logEValue(main));
    const fresh = startFreshEvidence(emptyEProcess(2)); // F = 1, wealth 40
    const refunded = refundToMain(main, carried, fresh, Math.log(5));
    expect(Math.exp(logEValue(refunded))).toBeCloseTo(before + 5, 10);
    expect(refunded.starts).toBe(main.starts);
  });
});
