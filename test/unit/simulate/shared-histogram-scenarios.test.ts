import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DecisionConfig } from '../../../src/decision';
import { loadPolicyFile } from '../../../src/policy';
import { decisionConfigFromPolicy } from '../../../src/policy/decision-config';
import { parseScenarioText } from '../../../src/simulate/scenario-files';
import { simulateScenario } from '../../../src/simulate/simulate';
import { CANARY_POLICY, SHARED_HISTOGRAM_DIR } from './support';

// test/fixtures/scenarios/shared-histogram: the twenty shared kinds with a latency histogram per interval
// (a copy of the shared scenarios-histogram set). canary.yaml judges latency on those buckets.
const files = readdirSync(SHARED_HISTOGRAM_DIR).filter((f) => f.endsWith('.json'));

function load(file: string) {
  return parseScenarioText(readFileSync(path.join(SHARED_HISTOGRAM_DIR, file), 'utf8'), file);
}

describe('the shared histogram scenarios with policies/examples/canary.yaml', () => {
  let config: DecisionConfig;
  beforeAll(async () => {
    config = decisionConfigFromPolicy((await loadPolicyFile(CANARY_POLICY)).policy);
  });

  it('covers all twenty examples, each with its truth', () => {
    expect(files).toHaveLength(20);
    for (const file of files) expect(load(file).truth).toBeDefined();
  });

  it.each(files)('%s gets the decision its truth asks for', (file) => {
    const scenario = load(file);
    const truth = scenario.truth!;
    const { result } = simulateScenario(config, scenario);
    if (!truth.regression) {
      // No regression: no rollback, and no escalation either (these files all promote).
      expect(result.decision).toBe('no-rollback');
      return;
    }
    // A regression: a rollback, or an escalation where the truth accepts one (the canary going silent).
    expect(truth.acceptEscalate ? ['rollback', 'escalate'] : ['rollback']).toContain(result.decision);
    expect(result.decidedAtIndex).not.toBeNull();
    expect(result.decidedAtIndex ?? -1).toBeGreaterThanOrEqual(truth.onsetIndex ?? 0);
    // A latency step is caught by the histogram signal itself, not by a side effect on the error rate.
    if (truth.kind === 'latency') expect(result.evidence.signal).toBe('latency');
  });

  it('never reads truth or params: stripping them changes nothing', () => {
    for (const file of files) {
      const scenario = load(file);
      const { truth: _truth, params: _params, ...bare } = scenario;
      expect(simulateScenario(config, bare as typeof scenario).result).toEqual(
        simulateScenario(config, scenario).result,
      );
    }
  });
});
