import type { Observation, SignalConfig } from '../../../src/decision';
import { evaluateInterval, initialDecisionState, InvalidDecisionConfig } from '../../../src/decision';
import { config, counts, ERROR_RATE, LATENCY, literal, run } from './support';

const latencyObs = (canary: number | null, baseline: number | null, requests = 500): Observation => ({
  ...counts([5, requests], [5, requests]),
  latency_p99_ms: { canary, baseline },
});

describe('missing data', () => {
  it('is never healthy: an interval without canary data is inconclusive', () => {
    const { verdicts } = run(config(), literal('HHH-'));
    expect(verdicts[3]?.verdict).toBe('inconclusive');
    expect(verdicts[3]?.reason).toMatch(/no canary data/);
  });

  it('is never a regression by itself: a metrics outage of both groups does not roll back (hold)', () => {
    const cfg = config({ missingData: { maxGapSeconds: 120, onLongGap: 'hold' } });
    const result = run(cfg, literal(`HHHHH ${'_'.repeat(20)} HHHHH`));
    expect(result.decision.decision).toBe('no-rollback');
    expect(result.verdicts.slice(5, 25).every((v) => v.verdict === 'inconclusive')).toBe(true);
  });

  it('escalates a long metrics outage when the policy says escalate', () => {
    const cfg = config({ missingData: { maxGapSeconds: 120, onLongGap: 'escalate' } });
    const result = run(cfg, literal(`HHHHH ${'_'.repeat(20)}`));
    expect(result.decision).toMatchObject({ decision: 'escalate', decidedAtIndex: 9 }); // 5 silent intervals = 150 s > 120 s
  });

  it.each(['escalate', 'hold'] as const)(
    'escalates a canary that alone stays silent for longer than maxGapSeconds (onLongGap %s)',
    (onLongGap) => {
      const cfg = config({ missingData: { maxGapSeconds: 300, onLongGap } });
      const result = run(cfg, literal(`HHH ${'-'.repeat(30)}`));
      // silent from interval 3: 11 intervals = 330 s > 300 s at interval 13
      expect(result.decision).toMatchObject({ decision: 'escalate', decidedAtIndex: 13 });
      expect(result.decision.reason).toMatch(/canary has reported nothing/);
    },
  );

  it('does not promote a canary that is silent when the watch ends', () => {
    const result = run(config(), literal('HHHHH ---'));
    expect(result.decision.decision).toBe('escalate');
  });

  it('aligns out intervals where one group is missing: evidence only from intervals where both reported', () => {
    const withGaps = run(config({ confirmationWindowSeconds: 0 }), [
      ...literal('HHHHH'),
      counts([200, 1000], null), // canary spike, but no baseline to compare with: ignored
      counts(null, [10, 1000]),
      ...literal('HHH'),
    ]);
    expect(withGaps.decision.decision).toBe('no-rollback');
  });
});

describe('too little traffic', () => {
  it('is inconclusive until each group has served minRequestsPerGroup', () => {
    const { verdicts } = run(config({ minRequestsPerGroup: 3500 }), literal('HHHHH'));
    expect(verdicts.map((v) => v.verdict)).toEqual([
      'inconclusive',
      'inconclusive',
      'inconclusive',
      'healthy',
      'healthy',
    ]);
    expect(verdicts[0]?.reason).toMatch(/too little traffic/);
  });

  it('escalates when traffic never becomes enough to decide within maxInconclusiveSeconds', () => {
    const trickle = Array.from({ length: 40 }, () => counts([0, 2], [0, 2]));
    const result = run(config({ maxInconclusiveSeconds: 600 }), trickle);
    expect(result.decision.decision).toBe('escalate');
    expect(result.decision.reason).toMatch(/inconclusive for/);
  });

  it('does not guess from a handful of events', () => {
    // canary 3 errors of 20 requests vs none of 20, over and over for 5 minutes: too little to act on
    const sparse = Array.from({ length: 10 }, () => counts([3, 20], [0, 20]));
    const result = run(config({ minRequestsPerGroup: 1000 }), sparse);
    expect(result.decision.decision).not.toBe('rollback');
  });
});

describe('comparisons', () => {
  it('ignores a shared outage: baseline and canary degrade together', () => {
    const outage = Array.from({ length: 20 }, () => counts([150, 1000], [150, 1000]));
    const result = run(config(), [...literal('HHHHH'), ...outage, ...literal('HHHHH')]);
    expect(result.decision.decision).toBe('no-rollback');
  });

  it('rolls back on an absolute threshold without any baseline series', () => {
    const signal: SignalConfig = { ...ERROR_RATE, comparison: 'absolute', threshold: 0.02 };
    const canaryOnly = (errors: number): Observation => ({
      errors: { canary: errors, baseline: null },
      requests: { canary: 1000, baseline: null },
    });
    const healthy = run(
      config({ signals: [signal] }),
      Array.from({ length: 30 }, () => canaryOnly(10)),
    );
    expect(healthy.decision.decision).toBe('no-rollback');
    const bad = run(config({ signals: [signal] }), [
      ...Array.from({ length: 5 }, () => canaryOnly(10)),
      ...Array.from({ length: 10 }, () => canaryOnly(60)),
    ]);
    expect(bad.decision).toMatchObject({ decision: 'rollback', signal: 'error-rate' });
  });

  it('treats a lower-is-worse ratio (a success rate) through its complement', () => {
    const signal: SignalConfig = {
      ...ERROR_RATE,
      name: 'success-rate',
      numerator: 'successes',
      direction: 'lower-is-worse',
    };
    const obs = (canaryOk: number, baselineOk: number): Observation => ({
      successes: { canary: canaryOk, baseline: baselineOk },
      requests: { canary: 1000, baseline: 1000 },
    });
    const result = run(config({ signals: [signal] }), [
      ...Array.from({ length: 5 }, () => obs(990, 990)),
      ...Array.from({ length: 10 }, () => obs(900, 990)),
    ]);
    expect(result.decision).toMatchObject({ decision: 'rollback', signal: 'success-rate' });
  });

  it('compares latency against the baseline interval by interval', () => {
    const slower = Array.from({ length: 30 }, () => latencyObs(400, 200));
    const result = run(config({ signals: [LATENCY] }), [
      ...Array.from({ length: 5 }, (_, i) => latencyObs(200 + i, 201)),
      ...slower,
    ]);
    expect(result.decision).toMatchObject({ decision: 'rollback', signal: 'latency-p99' });
  });

  it('ignores a latency rise shared by both groups', () => {
    const shared = Array.from({ length: 30 }, (_, i) => latencyObs(600 + (i % 2 ? 5 : -5), 600));
    const result = run(config({ signals: [LATENCY] }), shared);
    expect(result.decision.decision).toBe('no-rollback');
  });

  it('escalates, not rolls back, on a regression of a non-critical signal', () => {
    const signal: SignalConfig = { ...ERROR_RATE, critical: false };
    const result = run(config({ signals: [signal] }), literal('HHHHH SSSSSSSS'));
    expect(result.decision).toMatchObject({ decision: 'escalate', signal: 'error-rate' });
  });
});

describe('verdicts and state', () => {
  it('ignores warm-up intervals entirely', () => {
    const result = run(config({ warmupSeconds: 90, confirmationWindowSeconds: 0 }), literal('SSS HHHHH'));
    expect(result.verdicts.slice(0, 3).map((v) => v.reason)).toEqual(['warm-up', 'warm-up', 'warm-up']);
    expect(result.decision.decision).toBe('no-rollback');
  });

  it('turns a source error into an error verdict, never a crash and never healthy', () => {
    const failing: Observation = {
      errors: { canary: null, baseline: null, error: 'prometheus timed out' },
      requests: { canary: null, baseline: null, error: 'prometheus timed out' },
    };
    const { verdicts } = run(config(), [...literal('HH'), failing]);
    expect(verdicts[2]?.verdict).toBe('error');
    expect(verdicts[2]?.reason).toMatch(/prometheus timed out/);
  });

  it('reports impossible counts (more errors than requests) as an error', () => {
    const { verdicts } = run(config(), [counts([20, 10], [1, 10])]);
    expect(verdicts[0]?.verdict).toBe('error');
  });

  it('keeps a small, plain-JSON state and small evidence', () => {
    const cfg = config({ signals: [ERROR_RATE, LATENCY] });
    let state = initialDecisionState(cfg);
    for (let i = 0; i < 500; i++) {
      const step = evaluateInterval(cfg, state, { ...counts([5, 1000], [5, 1000]), ...latencyObs(200, 200) });
      state = step.state;
      expect(JSON.stringify(step.verdict).length).toBeLessThan(2000);
    }
    const json = JSON.stringify(state);
    expect(JSON.parse(json)).toEqual(state);
    expect(json.length).toBeLessThan(2000); // does not grow with the watch
  });

  it('refuses a configuration it cannot use, naming every problem', () => {
    const bad = config({ alpha: 0.5, signals: [{ ...ERROR_RATE, comparison: 'absolute' }] });
    expect(() => initialDecisionState(bad)).toThrow(InvalidDecisionConfig);
    try {
      initialDecisionState(bad);
    } catch (err) {
      expect((err as InvalidDecisionConfig).problems).toEqual([
        'alpha must be in (0, 0.2]',
        'signals.0.threshold is required when comparison is absolute',
        'signals.0.threshold must be a rate in (0, 1) for a ratio',
      ]);
    }
  });

  it('keeps answering with its decision once it has decided', () => {
    const cfg = config({ confirmationWindowSeconds: 0 });
    let state = initialDecisionState(cfg);
    for (const obs of literal('HHHHH S')) state = evaluateInterval(cfg, state, obs).state;
    const again = evaluateInterval(cfg, state, literal('H')[0] ?? {});
    expect(again.decision).toMatchObject({ decision: 'rollback', decidedAtIndex: 5 });
  });
});
