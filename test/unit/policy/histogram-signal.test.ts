import { stringify } from 'yaml';
import {
  explainPolicy,
  parsePolicyText,
  Policy,
  policyJsonSchema,
  validatePolicyData,
  type PolicyIssue,
} from '../../../src/policy';
import { decisionConfigFromPolicy } from '../../../src/policy/decision-config';
import { exampleData, setAt } from './helpers';

/**
 * The histogram signal of canary.yaml (signals.1, series `latency`): what the
 * schema accepts, each error it names, how it maps onto the decision core and
 * how `policy explain` words it.
 */

type Data = Record<string, unknown>;

function issuesOf(mutate: (data: Data) => void): PolicyIssue[] {
  const data = exampleData('canary.yaml');
  mutate(data);
  const result = validatePolicyData(data);
  if (result.ok) throw new Error('expected the policy to be invalid, but it validated');
  // The exported schema and the loader agree on what is valid.
  expect(Policy.safeParse(data).success).toBe(false);
  return result.issues;
}

function issueAt(issues: PolicyIssue[], path: string): PolicyIssue {
  const found = issues.find((issue) => issue.path === path);
  if (found === undefined) throw new Error(`no issue at ${path}; got ${JSON.stringify(issues)}`);
  return found;
}

function load(data: Data) {
  return parsePolicyText(stringify(data), { filename: 'histogram.yaml' });
}

describe('a histogram series and a histogram signal', () => {
  it('canary.yaml reads latency from the histogram series "latency"', () => {
    const { policy } = load(exampleData('canary.yaml'));
    expect(policy.series.latency?.histogram).toEqual({ leUnit: 'seconds' });
    expect(policy.signals[1]).toMatchObject({
      name: 'latency',
      kind: 'histogram',
      buckets: 'latency',
      total: 'requests',
      direction: 'higher-is-worse',
      comparison: 'vs-baseline',
    });
  });

  it('takes leUnit seconds when the histogram option leaves it out, and accepts milliseconds', () => {
    const data = exampleData('canary.yaml');
    setAt(data, 'series.latency.histogram', {});
    expect(load(data).policy.series.latency?.histogram).toEqual({ leUnit: 'seconds' });
    setAt(data, 'series.latency.histogram', { leUnit: 'milliseconds' });
    expect(load(data).policy.series.latency?.histogram).toEqual({ leUnit: 'milliseconds' });
  });

  it('refuses another leUnit, naming the allowed ones', () => {
    const issue = issueAt(
      issuesOf((d) => setAt(d, 'series.latency.histogram', { leUnit: 'minutes' })),
      'series.latency.histogram.leUnit',
    );
    expect(issue.expected).toContain('seconds, milliseconds');
  });

  it('maps onto the decision core as a HistogramSignalConfig', () => {
    const config = decisionConfigFromPolicy(load(exampleData('canary.yaml')).policy);
    expect(config.signals[1]).toEqual({
      name: 'latency',
      kind: 'histogram',
      buckets: 'latency',
      total: 'requests',
      direction: 'higher-is-worse',
      comparison: 'vs-baseline',
      tolerance: { relative: 0.25, absolute: 0 },
      critical: true,
    });
  });

  it('is in the JSON schema of `policy schema`: the histogram option and the histogram kind', () => {
    const text = JSON.stringify(policyJsonSchema());
    expect(text).toContain('"leUnit"');
    expect(text).toContain('"milliseconds"');
    expect(text).toContain('"histogram"');
    expect(text).toContain('"buckets"');
  });
});

describe('histogram errors name the field', () => {
  it('buckets must name a series', () => {
    const issue = issueAt(
      issuesOf((d) => setAt(d, 'signals.1.buckets', 'latncy')),
      'signals.1.buckets',
    );
    expect(issue.message).toContain('names the series "latncy", which is not defined under series');
  });

  it('buckets must name a series that has histogram', () => {
    const issue = issueAt(
      issuesOf((d) => setAt(d, 'signals.1.buckets', 'errors')),
      'signals.1.buckets',
    );
    expect(issue.message).toContain('"errors", which has no histogram option');
    expect(issue.expected).toContain('histogram: { leUnit: seconds | milliseconds }: latency');
  });

  it('buckets of a series whose histogram option was removed: says none is defined', () => {
    const issue = issueAt(
      issuesOf((d) => setAt(d, 'series.latency.histogram', undefined)),
      'signals.1.buckets',
    );
    expect(issue.message).toContain('has no histogram option');
    expect(issue.expected).toContain('none is defined');
  });

  it('total must name a series', () => {
    const issue = issueAt(
      issuesOf((d) => setAt(d, 'signals.1.total', 'requets')),
      'signals.1.total',
    );
    expect(issue.message).toContain('names the series "requets", which is not defined under series');
  });

  it('total must be a plain count, not the histogram', () => {
    const issue = issueAt(
      issuesOf((d) => setAt(d, 'signals.1.total', 'latency')),
      'signals.1.total',
    );
    expect(issue.message).toContain('names the histogram series "latency"');
  });

  it('total and buckets are required', () => {
    const issues = issuesOf((d) => {
      setAt(d, 'signals.1.total', undefined);
      setAt(d, 'signals.1.buckets', undefined);
    });
    expect(issueAt(issues, 'signals.1.total').message).toBe('is required');
    expect(issueAt(issues, 'signals.1.buckets').message).toBe('is required');
  });

  it('comparison absolute is refused, pointing at a latency signal with a threshold', () => {
    const issues = issuesOf((d) => {
      setAt(d, 'signals.1.comparison', 'absolute');
      setAt(d, 'signals.1.threshold', 800);
    });
    const issue = issueAt(issues, 'signals.1.comparison');
    expect(issue.message).toContain('cannot be "absolute" for a histogram signal');
    expect(issue.message).toContain(
      'use a signal of kind: latency with comparison: absolute and a threshold',
    );
    expect(issue.found).toBe('"absolute"');
    // One problem, said once: not also "threshold is required" or "threshold is not used".
    expect(issues.filter((i) => i.path.startsWith('signals.1'))).toHaveLength(1);
  });

  it('direction must be higher-is-worse', () => {
    const issue = issueAt(
      issuesOf((d) => setAt(d, 'signals.1.direction', 'lower-is-worse')),
      'signals.1.direction',
    );
    expect(issue.message).toContain('must be "higher-is-worse" for a histogram signal');
    expect(issue.expected).toBe('higher-is-worse');
  });

  it('a threshold on a histogram signal is refused, pointing at recovery.targets', () => {
    const issue = issueAt(
      issuesOf((d) => setAt(d, 'signals.1.threshold', 800)),
      'signals.1.threshold',
    );
    expect(issue.message).toContain('is not used by a histogram signal');
    expect(issue.message).toContain('recovery.targets');
  });

  it('an absolute tolerance is refused: a histogram tolerance is relative only', () => {
    const issue = issueAt(
      issuesOf((d) => setAt(d, 'signals.1.tolerance', { relative: 0.25, absolute: 5 })),
      'signals.1.tolerance.absolute',
    );
    expect(issue.message).toContain('is not used by a histogram signal');
  });

  it.each([
    ['a ratio numerator', 'signals.0.numerator'],
    ['a ratio denominator', 'signals.0.denominator'],
  ])('a histogram series read as %s is an error', (_what, path) => {
    const issue = issueAt(
      issuesOf((d) => setAt(d, path, 'latency')),
      path,
    );
    expect(issue.message).toContain('names the histogram series "latency"');
    expect(issue.message).toContain('only a signal of kind: histogram reads it');
  });

  it.each([
    ['series', 'latency'],
    ['weight', 'latency'],
  ])('a histogram series read as a value signal %s is an error', (field) => {
    const issues = issuesOf((d) => {
      setAt(d, 'signals.1', {
        name: 'latency-p99',
        kind: 'latency',
        series: field === 'series' ? 'latency' : 'errors',
        ...(field === 'weight' ? { weight: 'latency' } : {}),
        comparison: 'vs-baseline',
      });
      setAt(d, 'recovery.targets.1.signal', 'latency-p99');
    });
    const issue = issueAt(issues, `signals.1.${field}`);
    expect(issue.message).toContain('names the histogram series "latency"');
  });

  it('a recovery target on a histogram signal is a p99 in ms, greater than 0', () => {
    const issue = issueAt(
      issuesOf((d) => setAt(d, 'recovery.targets.1.threshold', 0)),
      'recovery.targets.1.threshold',
    );
    expect(issue.message).toContain('the p99 in milliseconds estimated from the buckets');
  });
});

describe('policy explain on a histogram signal', () => {
  const text = explainPolicy(load(exampleData('canary.yaml')).policy);
  const line = text.split('\n').find((l) => l.startsWith('  - latency ')) ?? '';

  it('says which requests count, against what, and what a regression is', () => {
    expect(line).toContain('histogram series latency (all requests: requests)');
    expect(line).toContain('slower than bounds the baseline itself rarely exceeds');
    expect(line).toContain(
      "the baseline's p70, p90 and p98, and the furthest bound it has exceeded often enough to trust",
    );
    expect(line).toContain('new version against the concurrent baseline');
    expect(line).toContain('a share of slow requests 25% higher');
    expect(line).toContain('at any of those bounds');
  });

  it('keeps the alpha guarantee in the words of the rest of the explanation', () => {
    expect(line).toContain('keeps the alpha guarantee');
    expect(text).toContain('The probability of a false rollback per deployment is at most 1%');
  });

  it('describes the histogram series and the recovery target in ms', () => {
    expect(text).toContain('a histogram: one count per `le` in seconds, read as the buckets latency_le_<ms>');
    expect(text).toContain('latency at or below 800 ms (the p99 estimated from its buckets)');
    expect(text).not.toMatch(/undefined|NaN|\[object Object\]/);
  });
});
