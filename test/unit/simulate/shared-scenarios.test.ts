import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DecisionConfig } from '../../../src/decision';
import { loadPolicyFile } from '../../../src/policy';
import { decisionConfigFromPolicy } from '../../../src/policy/decision-config';
import { parseScenarioText } from '../../../src/simulate/scenario-files';
import { simulateScenario } from '../../../src/simulate/simulate';
import { P99_POLICY, SHARED_DIR } from './support';

// The "what a good decision is" column of test/fixtures/scenarios/shared/README.md
// (a copy of ../shared/scenarios), for each kind.
const ACCEPTABLE: Record<string, { decisions: string[]; afterOnset: boolean; withinIntervals?: number }> = {
  healthy: { decisions: ['no-rollback'], afterOnset: false },
  transient: { decisions: ['no-rollback'], afterOnset: false },
  'shared-outage': { decisions: ['no-rollback', 'escalate'], afterOnset: false },
  'metrics-outage': { decisions: ['no-rollback'], afterOnset: false },
  'low-traffic-healthy': { decisions: ['no-rollback'], afterOnset: false },
  'error-step': { decisions: ['rollback'], afterOnset: true, withinIntervals: 15 },
  'latency-step': { decisions: ['rollback'], afterOnset: true },
  'slow-leak': { decisions: ['rollback'], afterOnset: true },
  crash: { decisions: ['rollback'], afterOnset: true, withinIntervals: 8 },
  'canary-blackout': { decisions: ['rollback', 'escalate'], afterOnset: true },
};

const files = readdirSync(SHARED_DIR).filter((f) => f.endsWith('.json'));

// These files carry a p99 per interval and no latency histogram, so they are judged with the p99 policy;
// canary.yaml and the histogram set: shared-histogram-scenarios.test.ts.
describe('the shared example scenarios with policies/examples/canary-p99-only.yaml', () => {
  let config: DecisionConfig;
  beforeAll(async () => {
    config = decisionConfigFromPolicy((await loadPolicyFile(P99_POLICY)).policy);
  });

  it('covers all twenty examples', () => {
    expect(files).toHaveLength(20);
  });

  it.each(files)('%s gets a decision its README row accepts', (file) => {
    const scenario = parseScenarioText(readFileSync(path.join(SHARED_DIR, file), 'utf8'), file);
    const kind = file.replace(/-\d+\.json$/, '');
    const expected = ACCEPTABLE[kind];
    if (expected === undefined) throw new Error(`no README row for ${kind}`);
    const { result } = simulateScenario(config, scenario);
    expect(expected.decisions).toContain(result.decision);
    if (expected.afterOnset) {
      const onset = scenario.truth?.onsetIndex ?? 0;
      expect(result.decidedAtIndex).not.toBeNull();
      expect(result.decidedAtIndex ?? -1).toBeGreaterThanOrEqual(onset);
      if (expected.withinIntervals !== undefined) {
        expect((result.decidedAtIndex ?? Infinity) - onset).toBeLessThanOrEqual(expected.withinIntervals);
      }
    }
  });

  it('never reads truth or params: stripping them changes nothing', () => {
    for (const file of files) {
      const scenario = parseScenarioText(readFileSync(path.join(SHARED_DIR, file), 'utf8'), file);
      const { truth: _truth, params: _params, ...bare } = scenario;
      expect(simulateScenario(config, bare as typeof scenario).result).toEqual(
        simulateScenario(config, scenario).result,
      );
    }
  });
});
