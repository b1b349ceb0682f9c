import { stringify } from 'yaml';
import {
  explainPolicy,
  loadPolicyFile,
  parsePolicyText,
  Policy,
  type LoadedPolicy,
} from '../../../src/policy';
import { EXAMPLE_FILES, exampleData, examplePath } from './helpers';

async function load(name: string): Promise<LoadedPolicy> {
  return loadPolicyFile(examplePath(name));
}

describe('example policies', () => {
  it.each(EXAMPLE_FILES)('%s validates and the exported schema agrees', async (name) => {
    const loaded = await load(name);
    expect(loaded.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Policy.safeParse(exampleData(name)).success).toBe(true);
  });

  it.each(EXAMPLE_FILES)('%s has a readable explanation', async (name) => {
    const { policy, defaultedPaths } = await load(name);
    const text = explainPolicy(policy, { defaultedPaths });
    for (const heading of [
      'What is watched',
      'When it rolls back',
      'Worst-case time to roll back',
      'Rollback plan (in order)',
      'Risk and approval',
    ]) {
      expect(text).toContain(heading);
    }
    for (const signal of policy.signals) expect(text).toContain(signal.name);
    for (const step of policy.plan.steps) expect(text).toContain(step.name);
    expect(text).not.toMatch(/undefined|NaN|\[object Object\]/);
  });

  it('canary.yaml has the series and evaluation settings that simulate relies on', async () => {
    const { policy } = await load('canary.yaml');
    expect(Object.keys(policy.series).sort()).toEqual(['errors', 'latency', 'requests']);
    expect(policy.series.latency?.histogram).toEqual({ leUnit: 'seconds' });
    expect(policy.deployment.pattern).toBe('canary');
    expect(policy.evaluation).toMatchObject({
      intervalSeconds: 30,
      alpha: 0.01,
      confirmationWindowSeconds: 45,
    });
    const [errorRate, latency] = policy.signals;
    expect(errorRate).toMatchObject({
      name: 'error-rate',
      kind: 'ratio',
      numerator: 'errors',
      denominator: 'requests',
    });
    expect(latency).toMatchObject({
      name: 'latency',
      kind: 'histogram',
      buckets: 'latency',
      total: 'requests',
    });
  });

  it('canary-p99-only.yaml is canary.yaml with latency judged on one p99 per interval', async () => {
    const [histogram, p99] = await Promise.all([load('canary.yaml'), load('canary-p99-only.yaml')]);
    expect(Object.keys(p99.policy.series).sort()).toEqual(['errors', 'latency_p99_ms', 'requests']);
    expect(p99.policy.signals[1]).toMatchObject({
      name: 'latency-p99',
      kind: 'latency',
      series: 'latency_p99_ms',
      weight: 'requests',
    });
    // Everything but latency is the same policy.
    const { series: _s1, signals: s1, recovery: r1, ...rest1 } = histogram.policy;
    const { series: _s2, signals: s2, recovery: r2, ...rest2 } = p99.policy;
    expect(rest2).toEqual(rest1);
    expect(s2[0]).toEqual(s1[0]);
    expect(r2.targets.map((t) => t.threshold)).toEqual(r1.targets.map((t) => t.threshold));
  });

  it('with-migration.yaml makes every rollback wait for two approvals and escalates on timeout', async () => {
    const { policy, defaultedPaths } = await load('with-migration.yaml');
    const text = explainPolicy(policy, { defaultedPaths });
    expect(text).toContain('every rollback waits for approval');
    expect(text).toContain('2 approvals from different people with roles billing-lead or sre-oncall');
    expect(text).toContain('each from a different role');
    expect(text).toContain('may not approve their own rollback');
    expect(text).toContain('If nobody approves within 30m: ripcord does not roll back; it escalates');
    expect(text).toContain('is irreversible: freeze the plan here and escalate');
  });

  it('states the policy-imposed worst-case time from its parts', async () => {
    const { policy } = await load('canary.yaml');
    const text = explainPolicy(policy);
    // 30s detection + 45s confirmation
    //   + drain: 3 × 120s + backoff (2s + 4s) + verify (30s + 120s) = 516s
    //   + announce: 3 × 10s + backoff (5s + 10s) + verify (0s + 10s) = 55s  → 646s = 10m 46s
    expect(text).toContain('detection: 30s (one evaluation interval)');
    expect(text).toContain('confirmation: 45s');
    expect(text).toContain('step 1 (drain-canary): up to 8m 36s');
    expect(text).toContain('Total: at most 10m 46s');
    expect(text).toContain('cannot fix it in advance');
  });

  it('marks the values the author left to defaults, and only those', async () => {
    const { policy, defaultedPaths } = await load('feature-flag.yaml');
    expect(defaultedPaths).not.toContain('mode'); // written as mode: auto
    expect(defaultedPaths).toContain('evaluation.confirmationWindowSeconds');
    expect(defaultedPaths).not.toContain('evaluation.intervalSeconds');
    expect(policy.evaluation.confirmationWindowSeconds).toBe(2 * policy.evaluation.intervalSeconds);
    const text = explainPolicy(policy, { defaultedPaths });
    expect(text).toContain('persist on fresh data for the confirmation window of 2m (default)');
    expect(text).toMatch(/every 1m\):/); // intervalSeconds is written, so not marked
  });

  it('applies the documented defaults to a minimal policy', () => {
    const minimal = exampleData('feature-flag.yaml');
    delete minimal.evaluation;
    delete minimal.mode;
    const { policy } = parsePolicyText(stringify(minimal), { filename: 'minimal.yaml' });
    expect(policy.mode).toBe('observe');
    expect(policy.evaluation).toEqual({
      intervalSeconds: 60,
      warmupSeconds: 0,
      alpha: 0.05,
      confirmationWindowSeconds: 120,
      minRequestsPerGroup: 100,
      maxInconclusiveSeconds: 900,
      missingData: { maxGapSeconds: 300, onLongGap: 'escalate' },
    });
    expect(policy.signals[0]).toMatchObject({
      direction: 'higher-is-worse',
      tolerance: { relative: 0.2, absolute: 0 },
      critical: true,
    });
    expect(policy.rollbackWindow.automaticSeconds).toBe(86_400);
  });
});
