import { readFileSync } from 'node:fs';
import { parsePolicyText } from '../../../../src/policy';
import {
  formatSeconds,
  formatWait,
  progressBar,
  type WaitLengths,
  waitLengthsFromPolicy,
  WaitTracker,
} from '../../../../src/dev/demo/waits';
import { DEMO_POLICY_FILES } from '../../../../src/dev/demo/policy';
import { at, plan, signal, status } from './helpers';

const LENGTHS: WaitLengths = {
  intervalSeconds: 3,
  confirmationWindowSeconds: 12,
  watchSeconds: 150,
  steps: {
    'drain-canary': { timeoutSeconds: 30, settleSeconds: 3 },
    'revert-canary-artifact': { timeoutSeconds: 60, settleSeconds: 0 },
  },
  approvalTimeoutSeconds: 300,
  recoveryDeadlineSeconds: 60,
};

describe('progressBar and formatWait', () => {
  test.each([
    [0, 15, '[------------]'],
    [9, 15, '[#######-----]'],
    [15, 15, '[############]'],
    [20, 15, '[############]'],
    [-1, 15, '[------------]'],
    [0, 0, '[############]'],
  ])('%d of %d s is %s', (elapsed, total, bar) => {
    expect(progressBar(elapsed, total)).toBe(bar);
  });

  test('the bar, the seconds and what is waited for', () => {
    expect(formatWait({ label: 'confirmation', elapsedSeconds: 9.7, totalSeconds: 15 })).toBe(
      '[#######-----] 9s/15s confirmation',
    );
    expect(
      formatWait(
        {
          label: 'confirmation window',
          elapsedSeconds: 12,
          totalSeconds: 12,
          note: 'then fresh data decides, +3s',
        },
        4,
      ),
    ).toBe('[####] 12s/12s confirmation window (then fresh data decides, +3s)');
  });

  test.each([
    [0, '0s'],
    [9.99, '9s'],
    [119, '119s'],
    [120, '2m'],
    [150, '2m30s'],
    [605, '10m05s'],
  ])('%d seconds read %s', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });
});

describe('WaitTracker', () => {
  test('nothing is known before the first status, nor while admitting or planning', () => {
    const w = new WaitTracker(LENGTHS);
    expect(w.current(at(0))).toBeUndefined();
    w.observe(status({ phase: 'admit' }), at(0));
    expect(w.current(at(1))).toBeUndefined();
    w.observe(status({ phase: 'plan' }), at(2));
    expect(w.current(at(3))).toBeUndefined();
  });

  test('the watch runs until promotion, counted in evaluations done, smoothed between two of them', () => {
    const w = new WaitTracker(LENGTHS);
    w.observe(status({ phase: 'watch', evaluations: 4 }), at(10));
    expect(w.current(at(10))).toEqual({ label: 'until promotion', elapsedSeconds: 12, totalSeconds: 150 });
    expect(w.current(at(11.5))?.elapsedSeconds).toBe(13.5);
    // A late evaluation does not push the bar past the next one.
    expect(w.current(at(30))?.elapsedSeconds).toBe(15);
    w.observe(status({ phase: 'watch', evaluations: 5 }), at(31));
    expect(w.current(at(31))?.elapsedSeconds).toBe(15);
    w.observe(status({ phase: 'watch', evaluations: 60 }), at(200));
    expect(w.current(at(203))?.elapsedSeconds).toBe(150);
  });

  test('the confirmation window fills from the breach, then says fresh data decides', () => {
    const w = new WaitTracker(LENGTHS);
    w.observe(status({ phase: 'watch', evaluations: 10 }), at(30));
    w.observe(
      status({ phase: 'confirm', evaluations: 11, signals: [signal('error-rate', 'confirming')] }),
      at(33),
    );
    expect(w.current(at(33))).toEqual({ label: 'confirmation window', elapsedSeconds: 0, totalSeconds: 12 });
    w.observe(status({ phase: 'confirm', evaluations: 13 }), at(39));
    expect(w.current(at(40))?.elapsedSeconds).toBe(7);
    w.observe(status({ phase: 'confirm', evaluations: 16 }), at(48));
    expect(w.current(at(50))).toEqual({
      label: 'confirmation window',
      elapsedSeconds: 12,
      totalSeconds: 12,
      note: 'then fresh data decides, +5s',
    });
    expect(formatWait(w.current(at(50))!)).toBe(
      '[############] 12s/12s confirmation window (then fresh data decides, +5s)',
    );
  });

  test('a window that is not a whole number of intervals is counted in whole intervals, as the core does', () => {
    const w = new WaitTracker({ ...LENGTHS, confirmationWindowSeconds: 10 });
    w.observe(status({ phase: 'confirm', evaluations: 1 }), at(0));
    expect(w.current(at(0))?.totalSeconds).toBe(12);
  });

  test('a dismissed breach and a second one: the window starts again', () => {
    const w = new WaitTracker(LENGTHS);
    w.observe(status({ phase: 'confirm', evaluations: 5 }), at(15));
    w.observe(status({ phase: 'watch', evaluations: 12 }), at(36));
    expect(w.current(at(36))?.label).toBe('until promotion');
    w.observe(status({ phase: 'confirm', evaluations: 14 }), at(42));
    expect(w.current(at(43))?.elapsedSeconds).toBe(1);
  });

  test('the approval timeout and the verification deadline run to the time the guardian announced', () => {
    const w = new WaitTracker(LENGTHS);
    w.observe(
      status({ phase: 'gate', waiting: { for: '1 approval(s) from sre', until: at(360).toISOString() } }),
      at(60),
    );
    expect(w.current(at(90))).toEqual({ label: 'approval timeout', elapsedSeconds: 30, totalSeconds: 300 });
    expect(w.current(at(400))?.elapsedSeconds).toBe(300);

    w.observe(status({ phase: 'verify', waiting: { for: 'health', until: at(500).toISOString() } }), at(440));
    expect(w.current(at(455))).toEqual({ label: 'verification', elapsedSeconds: 15, totalSeconds: 60 });
  });

  test('an escalated guardian waits for a person as long as the guardian does (an hour without an approval block)', () => {
    const w = new WaitTracker({ ...LENGTHS, approvalTimeoutSeconds: undefined });
    w.observe(
      status({ phase: 'escalated', waiting: { for: 'a person', until: at(3620).toISOString() } }),
      at(20),
    );
    expect(w.current(at(80))).toEqual({
      label: 'waiting for a person',
      elapsedSeconds: 60,
      totalSeconds: 3600,
    });
  });

  test('without a policy length, an announced wait counts from when the phase was first seen', () => {
    const w = new WaitTracker({ ...LENGTHS, approvalTimeoutSeconds: undefined });
    w.observe(status({ phase: 'gate', waiting: { for: 'approvals', until: at(100).toISOString() } }), at(20));
    expect(w.current(at(60))).toEqual({ label: 'approval timeout', elapsedSeconds: 40, totalSeconds: 80 });
    // Holding after the timeout: no end announced, no bar.
    w.observe(status({ phase: 'gate', waiting: { for: 'approvals (timed out; holding)' } }), at(101));
    expect(w.current(at(102))).toBeUndefined();
  });

  test('a running step against its timeout, then the settle time after it', () => {
    const w = new WaitTracker(LENGTHS);
    w.observe(status({ phase: 'execute', plan: plan(['running', 'pending', 'pending']) }), at(100));
    expect(w.current(at(101))).toEqual({
      label: 'step 1/3 drain-canary',
      elapsedSeconds: 1,
      totalSeconds: 30,
    });
    w.observe(status({ phase: 'execute', plan: plan(['done', 'pending', 'pending']) }), at(102));
    expect(w.current(at(103))).toEqual({
      label: 'settle after drain-canary',
      elapsedSeconds: 1,
      totalSeconds: 3,
    });
    // The settle is over and the next step has not been seen running yet: nothing to show.
    expect(w.current(at(106))).toBeUndefined();
    w.observe(status({ phase: 'execute', plan: plan(['done', 'running', 'pending']) }), at(106));
    expect(w.current(at(108))?.label).toBe('step 2/3 revert-canary-artifact');
    // No settle after a step whose policy says none.
    w.observe(status({ phase: 'execute', plan: plan(['done', 'done', 'pending']) }), at(109));
    expect(w.current(at(109.5))).toBeUndefined();
  });

  test('a step the policy does not name shows how long it has run', () => {
    const w = new WaitTracker(LENGTHS);
    w.observe(status({ phase: 'execute', plan: plan(['done', 'done', 'running']) }), at(10));
    expect(w.current(at(14))).toEqual({
      label: 'step 3/3 tell-deploy-system',
      elapsedSeconds: 4,
      totalSeconds: 4,
    });
  });

  test('lengths come from the policy', () => {
    const { policy } = parsePolicyText(readFileSync(DEMO_POLICY_FILES.canary, 'utf8'), {
      filename: 'canary',
    });
    const lengths = waitLengthsFromPolicy(policy, 150);
    expect(lengths).toMatchObject({
      intervalSeconds: policy.evaluation.intervalSeconds,
      confirmationWindowSeconds: policy.evaluation.confirmationWindowSeconds,
      watchSeconds: 150,
      recoveryDeadlineSeconds: policy.recovery.deadlineSeconds,
    });
    expect(lengths.approvalTimeoutSeconds).toBeUndefined();
    expect(Object.keys(lengths.steps)).toEqual(policy.plan.steps.map((s) => s.name));
    expect(lengths.steps['drain-canary']).toEqual({
      timeoutSeconds: policy.plan.steps[0]!.timeoutSeconds,
      settleSeconds: policy.plan.steps[0]!.verify.settleSeconds,
    });
  });
});
