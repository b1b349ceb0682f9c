import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { recordedDeployment, type RecordedDeployment } from '../../../src/backtest/readings';
import { replayUnderPolicy, uncoveredSeries, watchSecondsFor } from '../../../src/backtest/replay';
import { parsePolicyText, type Policy } from '../../../src/policy';
import { decisionConfigFromPolicy } from '../../../src/policy/decision-config';
import { simulateScenario } from '../../../src/simulate/simulate';
import { decidedAtIndex, loaded, observationAt, rolledBackHistory, scenario } from '../report/fixture';

/**
 * The recorded watch replayed under another policy: the decision core on the
 * same readings, as `simulate` runs it on a scenario; and the series a policy
 * reads that the readings cannot answer for.
 */
const ROOT = resolve(__dirname, '..', '..', '..');
const HISTOGRAM_POLICY = resolve(ROOT, 'policies', 'examples', 'canary.yaml');

function withPolicy(change: (policy: Policy) => void): Policy {
  const copy = structuredClone(loaded.policy);
  change(copy);
  return copy;
}

const replay = (policy: Policy, recorded: RecordedDeployment) =>
  replayUnderPolicy(policy, decisionConfigFromPolicy(policy), recorded);

test('under its own policy the readings lead to the decision the guardian made', async () => {
  const recorded = recordedDeployment((await rolledBackHistory()).history);
  const result = replay(loaded.policy, recorded);
  expect(result).toMatchObject({ decision: 'rollback', decidedAtIndex, signal: 'error-rate' });
  expect(result.intervals).toBe(decidedAtIndex + 1);
});

test('a looser policy has not decided when the readings end: undecided, never a guess', async () => {
  const recorded = recordedDeployment((await rolledBackHistory()).history);
  const looser = withPolicy((p) => {
    for (const s of p.signals) s.tolerance.relative = 50;
  });
  const result = replay(looser, recorded);
  expect(result.decision).toBe('undecided');
  expect(result.decidedAtIndex).toBeNull();
  expect(result.reason).toContain(
    `no decision by interval ${decidedAtIndex}, where the recorded readings end`,
  );
});

test('a whole recorded watch ends as the new policy would end it, as simulate does on the same data', () => {
  const length = Object.values(scenario.series)[0]!.baseline.length;
  const recorded = recordedDeployment({
    workflowId: 'w',
    runs: [
      {
        runId: 'r',
        startedAt: '2026-03-01T12:00:00.000Z',
        input: {
          deployment: {
            deploymentId: 'd',
            service: 'checkout',
            environment: 'production',
            version: '2',
            previousVersion: '1',
            deployedAt: '2026-03-01T12:00:00.000Z',
          },
          policy: loaded.policy,
          policyHash: loaded.hash,
          watchSeconds: length * 30,
        },
        calls: Array.from({ length }, (_, i) => ({
          type: 'evaluateHealth',
          scheduledAt: '2026-03-01T12:00:00.000Z',
          state: 'completed' as const,
          input: { index: i },
          result: observationAt(i),
        })),
      },
    ],
  });
  const looser = withPolicy((p) => {
    for (const s of p.signals) s.tolerance.relative = 50;
  });
  const simulated = simulateScenario(decisionConfigFromPolicy(looser), scenario).result;
  const result = replay(looser, recorded);
  expect(result.decision).toBe(simulated.decision);
  expect(result.decidedAtIndex).toBe(simulated.decidedAtIndex);
  expect(result.intervals).toBe(length);
});

test("the watch is the pipeline's --watch, else the policy's canary holds", () => {
  expect(watchSecondsFor(loaded.policy, 30, 600)).toBe(600);
  // canary-p99-only.yaml: holds of 300 + 600 + 600 + 0 s.
  expect(watchSecondsFor(loaded.policy, 30)).toBe(1500);
});

test('series the readings lack, or read by another query, are named; the same series pass', async () => {
  const recorded = recordedDeployment((await rolledBackHistory()).history);
  expect(uncoveredSeries(loaded.policy, decisionConfigFromPolicy(loaded.policy), recorded)).toEqual([]);

  const histogram = parsePolicyText(readFileSync(HISTOGRAM_POLICY, 'utf8'), { filename: HISTOGRAM_POLICY });
  expect(
    uncoveredSeries(histogram.policy, decisionConfigFromPolicy(histogram.policy), recorded).map((u) => [
      u.series,
      u.why,
    ]),
  ).toEqual([['latency', 'not-read']]);
  expect(
    uncoveredSeries(histogram.policy, decisionConfigFromPolicy(histogram.policy), recorded)[0]?.recorded,
  ).toEqual(['errors', 'latency_p99_ms', 'requests']);

  const otherQuery = withPolicy((p) => {
    p.series.errors!.query =
      'sum(increase(http_requests_total{version="{{version}}",code="500"}[{{interval}}]))';
  });
  expect(uncoveredSeries(otherQuery, decisionConfigFromPolicy(otherQuery), recorded)).toEqual([
    { series: 'errors', why: 'read-differently', recorded: ['errors', 'latency_p99_ms', 'requests'] },
  ]);
});
