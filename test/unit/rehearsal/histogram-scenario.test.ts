import { join, resolve } from 'node:path';
import { loadPolicyFile, type LoadedPolicy } from '../../../src/policy';
import { prepareRehearsal, rehearsalProblems } from '../../../src/rehearsal/prepare';
import { parseScenarioText } from '../../../src/simulate/scenario-files';

/**
 * A rehearsal (`rehearse`, `guard --replay`) of a policy whose latency series
 * is a histogram: the scenario holds it as its buckets `latency_le_<ms>`.
 */

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const SHARED_HISTOGRAM = join(REPO_ROOT, 'test', 'fixtures', 'scenarios', 'shared-histogram');

let canary: LoadedPolicy;
beforeAll(async () => {
  canary = await loadPolicyFile(join(REPO_ROOT, 'policies', 'examples', 'canary.yaml'));
});

function scenario(seriesNames: string[]) {
  const series = Object.fromEntries(seriesNames.map((n) => [n, { baseline: [1, 1], canary: [1, 1] }]));
  return parseScenarioText(
    JSON.stringify({ format: 'ripcord.scenario/v1', name: 'tiny', intervalSeconds: 30, series }),
    'tiny.json',
  );
}

describe('rehearsal of a histogram policy', () => {
  test('the example canary policy reads its latency as a histogram', () => {
    expect(canary.policy.series.latency?.histogram).toEqual({ leUnit: 'seconds' });
  });

  test('a scenario with the buckets fits; one with only a p99 names the buckets it lacks', () => {
    expect(
      rehearsalProblems(canary.policy, scenario(['requests', 'errors', 'latency_le_100', 'latency_le_500'])),
    ).toEqual([]);
    expect(rehearsalProblems(canary.policy, scenario(['requests', 'errors', 'latency_p99_ms']))).toEqual([
      'the scenario "tiny" has no series "latency_le_<ms>" that the policy reads (it has requests, errors, latency_p99_ms)',
    ]);
  });

  test('a shared histogram scenario prepares as any other, at the policy interval', async () => {
    const loaded: LoadedPolicy = {
      ...canary,
      policy: { ...canary.policy, evaluation: { ...canary.policy.evaluation, intervalSeconds: 15 } },
    };
    const prepared = await prepareRehearsal(loaded, join(SHARED_HISTOGRAM, 'latency-step-00.json'), 30);
    expect(prepared.scenario.series.latency_le_300).toBeDefined();
    expect(prepared.watchSeconds).toBeGreaterThan(0);
  });
});
