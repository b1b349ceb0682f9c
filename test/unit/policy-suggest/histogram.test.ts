import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicyText } from '../../../src/policy';
import { checkProposal } from '../../../src/suggest/check';
import { formatCheckTable } from '../../../src/suggest/format';
import { learnSignal } from '../../../src/suggest/learn';
import { applyProposal } from '../../../src/suggest/policy-output';
import { propose } from '../../../src/suggest/propose';
import { historyQueries } from '../../../src/suggest/queries';
import type { Point } from '../../../src/suggest/stats';

/**
 * `policy suggest` on canary.yaml, whose latency is a histogram signal: it
 * learns that signal's traffic only, keeps its relative tolerance as written
 * (history has no level or threshold to give it), and checks the other
 * signals at the share of alpha they have in the full policy.
 */

const CANARY = join(__dirname, '../../../policies/examples/canary.yaml');
const text = readFileSync(CANARY, 'utf8');
const { policy } = parsePolicyText(text, { filename: 'canary.yaml' });
const opts = { intervalSeconds: 30, stretchSeconds: 600 };
const proposeOpts = { deploysPerWeek: 10, canaryShare: 0.25, watchSeconds: 1500 };

/** Two hours of 30 s intervals at 20 requests/s; the error rate alternates by ±swing between stretches. */
function samples(swing: number): Record<string, Point[]> {
  const requests: Point[] = [];
  const errors: Point[] = [];
  for (let t = 0; t < 7200; t += 30) {
    const up = Math.floor(t / 600) % 2 === 0 ? 1 + swing : 1 - swing;
    requests.push({ t, value: 600 });
    errors.push({ t, value: Math.round(600 * 0.01 * up) });
  }
  return { requests, errors };
}

const histogram = policy.signals.find((s) => s.kind === 'histogram')!;
const profiles = policy.signals.map((signal) => learnSignal(signal, samples(0.2), opts));
const proposal = propose(policy.signals, profiles, proposeOpts);

describe('policy suggest with a histogram signal', () => {
  test('reads the traffic of a histogram signal, not its buckets', () => {
    const queries = historyQueries(policy, {
      service: 'checkout',
      environment: 'production',
      intervalSeconds: 30,
    });
    expect(Object.keys(queries).sort()).toEqual(['errors', 'requests']);
  });

  test('learns its traffic and nothing it could not know', () => {
    const profile = profiles[policy.signals.indexOf(histogram)]!;
    expect(profile).toMatchObject({
      kind: 'histogram',
      signal: 'latency',
      requestsPerSecond: 20,
      stretches: 12,
    });
    expect(profile).not.toHaveProperty('relativeDrift');
  });

  test('keeps its relative tolerance and says why no threshold is learned', () => {
    const latency = proposal.signals.find((s) => s.signal === 'latency')!;
    expect(latency.tolerance).toEqual({ relative: 0.25, absolute: 0 });
    expect(latency.kept).toBe(true);
    expect(latency.why.join(' ')).toContain(
      'its tolerance is relative and needs no level or threshold learned',
    );
    expect(latency.why.join(' ')).toContain('Its buckets were not read');
    // The error rate is still learned from its history.
    const errorRate = proposal.signals.find((s) => s.signal === 'error-rate')!;
    expect(errorRate.kept).toBeUndefined();
    expect(errorRate.why[0]).toContain('varies');
  });

  test('writes the proposal into canary.yaml without touching the histogram signal', () => {
    const written = applyProposal(text, proposal, 'a test');
    expect(written).toContain(
      "tolerance: { relative: 0.25 } # act when 25% more of the canary's requests are slower than a bound the baseline rarely exceeds",
    );
    const after = parsePolicyText(written, { filename: 'suggested.yaml' }).policy;
    expect(after.signals[0]!.tolerance).toEqual(proposal.signals[0]!.tolerance);
    expect(after.signals[1]).toEqual(histogram);
  });

  test('checks the other signals at their own share of alpha, and says what it left out', () => {
    const run = () =>
      checkProposal({ policy, profiles, proposal, ...proposeOpts, scenariosPerCase: 10, seed: 7 });
    const report = run();
    expect(report.alpha).toBe(policy.evaluation.alpha);
    // The healthy row, then the error rate at 1x and 2x its tolerance; no latency rows.
    expect(report.rows.map((r) => r.label.split(' ')[0])).toEqual(['healthy', 'error-rate', 'error-rate']);
    expect(report.rows[0]!.rollbacks).toBeLessThanOrEqual(1);
    expect(report.unchecked).toEqual([
      { signal: 'latency', why: expect.stringContaining('latency is a histogram signal') },
    ]);
    expect(report.unchecked[0]!.why).toContain('at their share of alpha in the full policy');
    expect(run()).toEqual(report);
    expect(formatCheckTable(report)).toHaveLength(4);
  });

  test('a policy whose only signal is a histogram gets no check rather than a table of missing data', () => {
    const only = { ...policy, signals: [histogram], recovery: { ...policy.recovery, targets: [] } };
    const report = checkProposal({
      policy: only,
      profiles: [profiles[1]!],
      proposal: { ...proposal, signals: [proposal.signals[1]!] },
      ...proposeOpts,
      scenariosPerCase: 3,
      seed: 7,
    });
    expect(report.rows).toEqual([]);
    expect(report.unchecked.map((u) => u.signal)).toEqual(['latency']);
  });
});
