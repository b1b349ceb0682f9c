import { Timeline } from '../../../../src/dev/demo/timeline';
import { at, plan, signal, status } from './helpers';

describe('Timeline', () => {
  test('each milestone is dated by the first status that shows it, and kept once', () => {
    const t = new Timeline();
    t.mark('deploy', 'checkout 2.0.0 canary at 50% next to 1.9.0', at(0));
    t.observe(status({ evaluations: 3, signals: [signal('error-rate', 'watching')] }), at(9));
    expect(t.has('first breach')).toBe(false);

    t.observe(
      status({
        phase: 'confirm',
        evaluations: 10,
        signals: [signal('error-rate', 'confirming', 'breach: confirming on fresh data')],
      }),
      at(35),
    );
    t.observe(
      status({ phase: 'confirm', evaluations: 11, signals: [signal('error-rate', 'confirming')] }),
      at(38),
    );
    expect(t.at('first breach')).toEqual(at(35));

    t.mark('deploy', 'marked again', at(50));
    expect(t.lines().filter((l) => l.includes('deploy'))).toHaveLength(1);
  });

  test('a rollback story: breach, decision, approval, steps done, recovery and outcome', () => {
    const t = new Timeline();
    t.mark('deploy', 'checkout 2.0.0 canary', at(0));
    t.mark('onset', '2.0.0 turns', at(20));
    t.observe(
      status({
        phase: 'confirm',
        signals: [signal('error-rate', 'confirming', 'breach: confirming on fresh data')],
      }),
      at(35),
    );
    const decision = {
      decision: 'rollback' as const,
      decidedAtIndex: 16,
      reason: 'error-rate regressed',
      signal: 'error-rate',
      source: 'automatic' as const,
    };
    t.observe(
      status({
        phase: 'gate',
        decision,
        plan: plan(['pending', 'pending']),
        waiting: { for: '1 approval(s) from sre' },
      }),
      at(53),
    );
    t.observe(
      status({
        phase: 'execute',
        decision,
        plan: plan(['running', 'pending']),
        approvals: [{ subject: 'alice', role: 'sre', at: at(70).toISOString(), planHash: 'sha256:plan' }],
      }),
      at(71),
    );
    t.observe(status({ phase: 'verify', decision, plan: plan(['done', 'done']) }), at(78));
    t.observe(
      status({
        phase: 'close',
        decision,
        plan: plan(['done', 'done']),
        outcome: 'rolled-back',
        reason: 'rolled back to 1.9.0',
      }),
      at(82),
    );

    const lines = t.lines();
    expect(lines.map((l) => /T\+\s*([\d.]+)s\s+\(\+\s*([\d.]+)s\)\s+(.+?)\s{2}/.exec(l)?.slice(1))).toEqual([
      ['0.0', '0.0', 'deploy'],
      ['20.0', '20.0', 'onset'],
      ['35.0', '15.0', 'first breach'],
      ['53.0', '18.0', 'decision'],
      ['53.0', '0.0', 'approval requested'],
      ['71.0', '18.0', 'approved'],
      ['78.0', '7.0', 'rollback finished'],
      ['82.0', '4.0', 'recovery verified'],
      ['82.0', '0.0', 'outcome'],
    ]);
    expect(lines.find((l) => l.includes('approved'))).toContain('alice (sre)');
    expect(lines.find((l) => l.includes('decision'))).toContain('error-rate regressed (automatic)');
    expect(lines.find((l) => l.includes('rollback finished'))).toContain('2 step(s) applied and verified');
    expect(lines.at(-1)).toContain('rolled-back: rolled back to 1.9.0');
    // The wall-clock time of each milestone comes first.
    expect(lines[0]).toMatch(/^ {2}10:00:00 {2}T\+/);
  });

  test('a transient story: the breach is dismissed and the version promoted', () => {
    const t = new Timeline();
    t.mark('deploy', 'checkout 2.0.0 canary', at(0));
    t.observe(
      status({
        phase: 'confirm',
        signals: [signal('error-rate', 'confirming'), signal('latency-p99', 'watching')],
      }),
      at(26),
    );
    const added = t.observe(
      status({
        phase: 'watch',
        signals: [
          signal('error-rate', 'watching', 'breach not seen again after it: dismissed as transient'),
          signal('latency-p99', 'watching'),
        ],
      }),
      at(47),
    );
    expect(added.map((e) => e.milestone)).toEqual(['breach dismissed']);
    t.observe(
      status({ phase: 'close', outcome: 'promoted', reason: 'the watch ended without a regression' }),
      at(92),
    );

    expect(t.at('breach dismissed')).toEqual(at(47));
    // Each read says what it added, so the demo can announce a dismissal as it happens.
    expect(t.observe(status({ phase: 'watch' }), at(50))).toEqual([]);
    expect(t.lines().find((l) => l.includes('breach dismissed'))).toContain(
      'breach on error-rate dismissed: fresh data did not confirm it ' +
        '(breach not seen again after it: dismissed as transient)',
    );
    expect(t.has('decision')).toBe(false);
    expect(t.has('promoted')).toBe(true);
    expect(t.lines().at(-1)).toContain('promoted: the watch ended without a regression');
  });

  test('every dismissed breach is told, not only the first: latency first, then error-rate', () => {
    const t = new Timeline();
    t.observe(
      status({
        phase: 'confirm',
        signals: [signal('error-rate', 'confirming'), signal('latency-p99', 'confirming')],
      }),
      at(26),
    );
    const first = t.observe(
      status({
        phase: 'confirm',
        signals: [
          signal('error-rate', 'confirming'),
          signal('latency-p99', 'watching', 'breach not seen again after it: dismissed as transient'),
        ],
      }),
      at(29),
    );
    expect(first.map((e) => e.detail)).toEqual([
      'breach on latency-p99 dismissed: fresh data did not confirm it ' +
        '(breach not seen again after it: dismissed as transient)',
    ]);
    const second = t.observe(
      status({
        phase: 'watch',
        signals: [
          signal('error-rate', 'watching', 'breach not seen again after it: dismissed as transient'),
          signal('latency-p99', 'watching'),
        ],
      }),
      at(35),
    );
    expect(second.map((e) => e.detail)).toEqual([
      'breach on error-rate dismissed: fresh data did not confirm it ' +
        '(breach not seen again after it: dismissed as transient)',
    ]);
    expect(t.lines().filter((l) => l.includes('breach dismissed'))).toHaveLength(2);
  });

  test('a dismissal between two reads is still told, from the count of dismissed breaches, once', () => {
    const t = new Timeline();
    t.observe(status({ signals: [signal('error-rate', 'watching')] }), at(3));
    const faded = {
      ...signal('error-rate', 'watching', 'breach faded during the grace period'),
      dismissedBreaches: 1,
    };
    expect(t.observe(status({ signals: [faded] }), at(6)).map((e) => e.milestone)).toEqual([
      'breach dismissed',
    ]);
    expect(t.observe(status({ signals: [faded] }), at(9))).toEqual([]);
    // The next one is told too, whatever words the core uses for it; words alone are not a dismissal.
    const again = { ...signal('error-rate', 'watching', 'back to normal'), dismissedBreaches: 2 };
    expect(t.observe(status({ signals: [again] }), at(12)).map((e) => e.milestone)).toEqual([
      'breach dismissed',
    ]);
    const wordsOnly = signal('latency', 'watching', 'breach not seen again after it: dismissed as transient');
    expect(t.observe(status({ signals: [again, wordsOnly] }), at(15))).toEqual([]);
  });

  test('a signal that never confirmed is not dismissed, and a decision is not a dismissal', () => {
    const t = new Timeline();
    t.observe(status({ signals: [signal('error-rate', 'watching')] }), at(3));
    t.observe(status({ signals: [signal('error-rate', 'watching')] }), at(6));
    expect(t.has('breach dismissed')).toBe(false);

    const decision = {
      decision: 'rollback' as const,
      decidedAtIndex: 9,
      reason: 'r',
      source: 'automatic' as const,
    };
    t.observe(status({ phase: 'confirm', signals: [signal('error-rate', 'confirming')] }), at(9));
    t.observe(status({ phase: 'plan', decision, signals: [signal('error-rate', 'watching')] }), at(12));
    expect(t.has('breach dismissed')).toBe(false);
  });

  test('without a deploy milestone, times count from the first one', () => {
    const t = new Timeline();
    t.mark('onset', 'turns', at(20));
    t.mark('decision', 'rollback', at(50));
    expect(t.lines()[1]).toMatch(/T\+\s+30\.0s\s+\(\+\s+30\.0s\)/);
    expect(new Timeline().lines()).toEqual([]);
  });
});
