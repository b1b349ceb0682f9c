import { config, literal, run } from './support';

// Literal sequences (see support.ts): H healthy, S a canary error spike (20% vs 1%).
// One ratio signal, alpha 0.05, 30 s intervals.
describe('confirmation on data that arrives after the breach', () => {
  it.each([
    {
      name: 'a three-interval spike, then healthy: the window covers the spike, the data after it dismisses it',
      window: 60,
      sequence: 'HHHHH SSS HHHHHHHHHH',
      decision: 'no-rollback',
      decidedAtIndex: null,
    },
    {
      name: 'a regression that outlasts the window: confirmed on the first interval after it',
      window: 60,
      sequence: 'HHHHH SSSSSS HHHH',
      decision: 'rollback',
      decidedAtIndex: 8, // breach at 5, window 6–7, confirmed at 8
    },
    {
      name: 'a longer window waits longer before it looks again',
      window: 90,
      sequence: 'HHHHH SSSSSS HHHH',
      decision: 'rollback',
      decidedAtIndex: 9,
    },
    {
      name: 'without a window, the breach itself rolls back (what a naive rule does to a spike)',
      window: 0,
      sequence: 'HHHHH SSS HHHHHHHHHH',
      decision: 'rollback',
      decidedAtIndex: 5,
    },
    {
      name: 'healthy data inside the window counts against the regression, a spike inside it never counts for it',
      window: 90,
      sequence: 'HHHHH SSS H HHHHHH',
      decision: 'no-rollback',
      decidedAtIndex: null,
    },
    {
      name: 'a regression that comes back after the window is confirmed on the new data',
      window: 60,
      sequence: 'HHHHH S HH SSSS',
      decision: 'rollback',
      decidedAtIndex: 8,
    },
  ])('$name', ({ window, sequence, decision, decidedAtIndex }) => {
    const result = run(config({ confirmationWindowSeconds: window }), literal(sequence));
    expect(result.decision.decision).toBe(decision);
    expect(result.decision.decidedAtIndex).toBe(decidedAtIndex);
  });

  it('reports the breach as regressed while confirming, and healthy again once dismissed', () => {
    const { verdicts } = run(config(), literal('HHHHH SSS HHHHHHHHHH'));
    expect(verdicts.slice(0, 5).map((v) => v.verdict)).toEqual(Array(5).fill('healthy'));
    expect(verdicts[5]?.verdict).toBe('regressed');
    expect(verdicts[5]?.signals[0]?.phase).toBe('confirming');
    const dismissedAt = verdicts.findIndex((v) => /dismissed as transient/.test(v.signals[0]?.reason ?? ''));
    expect(dismissedAt).toBe(8);
    expect(verdicts[dismissedAt]?.verdict).toBe('healthy');
    expect(verdicts[verdicts.length - 1]?.signals[0]?.evidence.dismissedBreaches).toBe(1);
  });

  it('after a dismissed spike, a real regression still rolls back', () => {
    const result = run(config(), literal('HHHHH SS HHHHHH SSSSSS'));
    expect(result.decision.decision).toBe('rollback');
    expect(result.decision.decidedAtIndex).toBeGreaterThanOrEqual(13);
  });

  it('a dismissed breach leaves the main test part of its evidence, below the breach level', () => {
    const { verdicts } = run(config(), literal('HHHHH SSS HHHHHHHHHH'));
    const dismissedAt = verdicts.findIndex((v) => /dismissed as transient/.test(v.signals[0]?.reason ?? ''));
    const evidence = verdicts[dismissedAt]!.signals[0]!.evidence;
    // refunded (not thrown away), and at most half the breach level so that it cannot breach again by itself
    expect(evidence.eValue).toBeGreaterThan(0.01);
    expect(evidence.eValue).toBeLessThanOrEqual(evidence.threshold / 2);
    expect(verdicts.slice(dismissedAt + 1).every((v) => v.signals[0]?.phase === 'watching')).toBe(true);
  });

  it('escalates a breach that can be neither confirmed nor dismissed (the canary went quiet after it)', () => {
    const cfg = config({
      maxInconclusiveSeconds: 300,
      missingData: { maxGapSeconds: 3600, onLongGap: 'hold' },
    });
    const result = run(cfg, literal(`HHHHH S ${'_'.repeat(30)}`));
    expect(result.decision.decision).toBe('escalate');
  });
});
