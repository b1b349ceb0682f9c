import { knownOnsetTest } from '../../../bench/lib/known-onset';
import { SCENARIO_FORMAT, type Scenario } from '../../../src/simulate/scenario';
import { config, ERROR_RATE } from '../decision/support';

/**
 * The benchmark publishes a detectability ceiling from this test, so it must
 * only count evidence from the onset on and must stop at the alpha share of
 * the signal, neither earlier nor never.
 */
function scenario(canaryErrors: number[], baselineErrors: number[], onsetIndex: number): Scenario {
  const requests = canaryErrors.map(() => 1000);
  return {
    format: SCENARIO_FORMAT,
    name: 'known-onset-fixture',
    intervalSeconds: 30,
    series: {
      requests: { baseline: requests, canary: requests },
      errors: { baseline: baselineErrors, canary: canaryErrors },
    },
    truth: { regression: true, onsetIndex },
  };
}

const policy = config({ alpha: 0.01, signals: [ERROR_RATE] });

describe('knownOnsetTest', () => {
  it('flags a clear step after its onset, at the first interval where the evidence reaches 1/alpha', () => {
    const canary = [...new Array<number>(10).fill(5), ...new Array<number>(10).fill(20)];
    const baseline = new Array<number>(20).fill(5);
    const outcome = knownOnsetTest(policy, scenario(canary, baseline, 10));
    expect(outcome.decision).toBe('rollback');
    // One interval of 20 against 5 errors is not yet worth 1/0.01 against rho0 = 1.2; a few are.
    expect(outcome.decidedAtIndex).toBeGreaterThan(10);
    expect(outcome.decidedAtIndex).toBeLessThan(15);
  });

  it('ignores everything before the onset, however damning', () => {
    const canary = [...new Array<number>(10).fill(50), ...new Array<number>(10).fill(5)];
    const baseline = new Array<number>(20).fill(5);
    expect(knownOnsetTest(policy, scenario(canary, baseline, 10))).toEqual({
      decision: 'no-rollback',
      decidedAtIndex: null,
    });
  });

  it('skips intervals where a group did not report, instead of reading them as zero errors', () => {
    const canary = new Array<number>(12).fill(20);
    const baseline: (number | null)[] = new Array<number | null>(12).fill(null);
    const sc = scenario(canary, new Array<number>(12).fill(5), 0);
    sc.series.errors = { baseline, canary };
    expect(knownOnsetTest(policy, sc).decision).toBe('no-rollback');
  });
});
