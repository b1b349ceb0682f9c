import { parsePolicyText } from '../../../src/policy';
import { learnRatio, learnValue, NotEnoughDataError } from '../../../src/suggest/learn';
import { applyProposal, defaultPolicyText } from '../../../src/suggest/policy-output';
import { propose, proposeAlpha, proposeTolerance } from '../../../src/suggest/propose';
import { historyQuery, widenGroupMatchers } from '../../../src/suggest/queries';
import { checkProposal } from '../../../src/suggest/check';
import { widerAlphaAdvice } from '../../../src/suggest/format';
import type { Point } from '../../../src/suggest/stats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const STRETCH = 600;
const INTERVAL = 30;

/** Two hours of 30 s intervals whose level alternates between stretches by ±swing. */
function samples(swing: number, rate = 0.01, rps = 20) {
  const requests: Point[] = [];
  const errors: Point[] = [];
  const latency: Point[] = [];
  for (let t = 0; t < 7200; t += INTERVAL) {
    const up = Math.floor(t / STRETCH) % 2 === 0 ? 1 + swing : 1 - swing;
    const n = rps * INTERVAL;
    requests.push({ t, value: n });
    errors.push({ t, value: Math.round(n * rate * up) });
    latency.push({ t, value: 200 * up * (t % 60 === 0 ? 1.02 : 0.98) });
  }
  return { requests, errors, latency_p99_ms: latency };
}

const ratio = {
  name: 'error-rate',
  kind: 'ratio',
  numerator: 'errors',
  denominator: 'requests',
  direction: 'higher-is-worse',
  comparison: 'vs-baseline',
  tolerance: { relative: 0.2, absolute: 0 },
  critical: true,
} as const;
const latency = {
  name: 'latency-p99',
  kind: 'latency',
  series: 'latency_p99_ms',
  weight: 'requests',
  direction: 'higher-is-worse',
  comparison: 'vs-baseline',
  tolerance: { relative: 0.2, absolute: 0 },
  critical: true,
} as const;
const opts = { intervalSeconds: INTERVAL, stretchSeconds: STRETCH };
const proposeOpts = { deploysPerWeek: 10, canaryShare: 0.5, watchSeconds: 1200 };

describe('learning levels and noise', () => {
  test('the error rate, its drift and the traffic follow from the counts', () => {
    const profile = learnRatio(ratio, samples(0.2), opts);
    expect(profile.rate).toBeCloseTo(0.01, 3);
    expect(profile.requestsPerSecond).toBe(20);
    // The level alternates 1.2 / 0.8: each change is +50% or -33%.
    expect(profile.relativeDrift).toBeGreaterThan(0.4);
    expect(profile.stretches).toBe(12);
  });

  test('a value signal: its median level, drift between stretches and wobble within one', () => {
    const calm = learnValue(latency, samples(0.05), opts);
    const noisy = learnValue(latency, samples(0.3), opts);
    expect(calm.level).toBeGreaterThan(150);
    expect(noisy.relativeDrift).toBeGreaterThan(calm.relativeDrift);
    expect(calm.intervalNoise).toBeCloseTo(0.02, 2);
  });

  test('too few readings is said plainly, naming the signal', () => {
    const few = { requests: [{ t: 0, value: 10 }], errors: [{ t: 0, value: 0 }] };
    expect(() => learnRatio(ratio, few, opts)).toThrow(NotEnoughDataError);
    expect(() => learnRatio(ratio, few, opts)).toThrow(/error-rate/);
  });
});

describe('proposing', () => {
  test('a noisier signal gets a wider tolerance, and the sentence gives the measured drift', () => {
    const calm = proposeTolerance(latency, learnValue(latency, samples(0.02), opts));
    const noisy = proposeTolerance(latency, learnValue(latency, samples(0.3), opts));
    expect(noisy.tolerance.relative).toBeGreaterThan(calm.tolerance.relative);
    expect(calm.tolerance.relative).toBe(0.1); // the floor: a drift of about 4% is well inside it
    const drift = learnValue(latency, samples(0.3), opts).relativeDrift;
    expect(noisy.why[0]).toContain(`±${(100 * drift).toFixed(0)}%`);
    expect(noisy.tolerance.relative).toBeGreaterThanOrEqual(drift * 1.25 - 1e-9);
  });

  test('an absolute signal keeps its tolerance', () => {
    const absolute = {
      ...latency,
      comparison: 'absolute',
      threshold: 300,
      tolerance: { relative: 0.3, absolute: 5 },
    } as const;
    const proposal = proposeTolerance(absolute, learnValue(absolute, samples(0.3), opts));
    expect(proposal.tolerance).toEqual({ relative: 0.3, absolute: 5 });
  });

  test('alpha follows the deploy rate: at most about one false rollback a quarter', () => {
    expect(proposeAlpha({ ...proposeOpts, deploysPerWeek: 10 }).value).toBe(0.005);
    expect(proposeAlpha({ ...proposeOpts, deploysPerWeek: 1 }).value).toBe(0.05);
    expect(proposeAlpha({ ...proposeOpts, deploysPerWeek: 500 }).value).toBe(0.001);
  });

  test('minimum traffic holds a few expected errors', () => {
    const profiles = [learnRatio(ratio, samples(0.1, 0.002), opts), learnValue(latency, samples(0.1), opts)];
    const proposal = propose([ratio, latency], profiles, proposeOpts);
    const rate = profiles[0]!.kind === 'ratio' ? profiles[0]!.rate : NaN;
    expect(proposal.minRequestsPerGroup.value * rate).toBeGreaterThanOrEqual(5);
    expect(proposal.minRequestsPerGroup.value * rate).toBeLessThan(6);
    expect(proposal.minRequestsPerGroup.why).toContain(`${proposal.minRequestsPerGroup.value} requests`);
  });
});

describe('queries for history', () => {
  test('the version matcher widens to every version unless one is named', () => {
    const template = 'sum(x{service="{{service}}",version="{{version}}"}[{{interval}}])';
    expect(widenGroupMatchers(template, undefined)).toBe(
      'sum(x{service="{{service}}",version=~".+"}[{{interval}}])',
    );
    expect(
      historyQuery(template, { service: 'checkout', environment: 'p', intervalSeconds: 30, version: '1.9' }),
    ).toBe('sum(x{service="checkout",version="1.9"}[30s])');
  });
});

describe('the written policy and its check', () => {
  const profiles = [learnRatio(ratio, samples(0.1), opts), learnValue(latency, samples(0.3), opts)];
  const proposal = propose([ratio, latency], profiles, proposeOpts);
  const suggestedText = () =>
    defaultPolicyText(
      {
        service: 'checkout',
        environment: 'production',
        prometheusUrl: 'http://127.0.0.1:9090',
        intervalSeconds: 30,
      },
      proposal,
      'a test',
    );

  test('a default policy validates and holds the proposal', () => {
    const text = suggestedText();
    const { policy } = parsePolicyText(text, { filename: 'suggested.yaml' });
    expect(policy.signals.map((s) => s.tolerance)).toEqual(proposal.signals.map((s) => s.tolerance));
    expect(policy.evaluation.alpha).toBe(proposal.alpha.value);
    expect(policy.evaluation.minRequestsPerGroup).toBe(proposal.minRequestsPerGroup.value);
  });

  test('a base policy keeps its comments and everything but the thresholds', () => {
    // The p99 example: its latency-p99 signal is the one this proposal is about (a histogram: histogram.test.ts).
    const base = readFileSync(join(__dirname, '../../../policies/examples/canary-p99-only.yaml'), 'utf8');
    const text = applyProposal(base, proposal, 'a test');
    expect(text).toContain('# Canary rollback policy for a service that exports only a latency percentile');
    const before = parsePolicyText(base, { filename: 'base.yaml' }).policy;
    const after = parsePolicyText(text, { filename: 'suggested.yaml' }).policy;
    expect(after.plan).toEqual(before.plan);
    expect(after.signals[1]!.tolerance).toEqual(proposal.signals[1]!.tolerance);
  });

  test('the check runs the decision core on healthy and regressed scenarios', () => {
    const text = suggestedText();
    const { policy } = parsePolicyText(text, { filename: 'suggested.yaml' });
    const report = checkProposal({
      policy,
      profiles,
      proposal,
      canaryShare: 0.5,
      watchSeconds: 1200,
      scenariosPerCase: 10,
      seed: 3,
    });
    expect(report.rows.map((r) => r.kind)).toEqual([
      'healthy',
      'regression',
      'regression',
      'regression',
      'regression',
    ]);
    expect(report.rows[0]!.rollbacks).toBeLessThanOrEqual(1);
    const again = checkProposal({
      policy,
      profiles,
      proposal,
      canaryShare: 0.5,
      watchSeconds: 1200,
      scenariosPerCase: 10,
      seed: 3,
    });
    expect(again).toEqual(report); // seeded: the same table every time
  });

  test('it advises a wider alpha only where a wider alpha would make a signal roll back sooner', () => {
    const text = suggestedText();
    const { policy } = parsePolicyText(text, { filename: 'suggested.yaml' });
    const helpsAt = (alpha: number) =>
      checkProposal({
        policy: { ...policy, evaluation: { ...policy.evaluation, alpha } },
        profiles,
        proposal,
        canaryShare: 0.5,
        watchSeconds: 600,
        scenariosPerCase: 1,
        seed: 3,
      }).rows.map((r) => r.widerAlphaHelps);
    // Rows: healthy, then error rate and latency at 1x and 2x their tolerance.
    // Two signals: the error rate (breach at 10) stops gaining at 0.02, latency (breach at 2) at 0.1.
    expect(helpsAt(0.005)).toEqual([null, true, true, true, true]);
    expect(helpsAt(0.05)).toEqual([null, false, false, true, true]);
    expect(helpsAt(0.1)).toEqual([null, false, false, false, false]);
    expect(widerAlphaAdvice(false)).toContain('a wider alpha would not');
    expect(widerAlphaAdvice(true)).toContain('or a wider alpha would help');
  });
});
