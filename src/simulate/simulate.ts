import {
  bucketBound,
  evaluateInterval,
  finishWatch,
  initialDecisionState,
  seriesUsedBy,
  type DecisionConfig,
  type DecisionKind,
  type IntervalVerdict,
  type SignalEvidence,
  type VerdictKind,
} from '../decision';
import { observationAt, scenarioLength, type Scenario } from './scenario';

/** One line of `ripcord simulate --json` (docs/architecture.md §4). */
export interface SimulationResult {
  scenario: string;
  decision: DecisionKind;
  decidedAtIndex: number | null;
  reason: string;
  evidence: {
    intervals: number;
    intervalSeconds: number;
    /** How many intervals got each verdict, up to the decision. */
    verdicts: Record<VerdictKind, number>;
    signal?: string;
    /** Each signal's evidence at the decision (or at the end of the scenario). */
    signals: Record<string, SignalEvidence>;
  };
}

export interface SimulationRun {
  result: SimulationResult;
  timeline: IntervalVerdict[];
}

/** Series the configuration reads that the scenario does not have (a histogram is there when its buckets are). */
export function missingSeries(config: DecisionConfig, scenario: Scenario): string[] {
  const needed = new Set(config.signals.flatMap(seriesUsedBy));
  const names = Object.keys(scenario.series);
  return [...needed]
    .filter(
      (name) =>
        scenario.series[name] === undefined && !names.some((key) => bucketBound(name, key) !== undefined),
    )
    .sort();
}

/**
 * Replays a scenario through the decision core exactly as the guardian would
 * see it, one interval at a time. The scenario's own interval length is the
 * evaluation interval (that is how its data was recorded); every duration in
 * the configuration is in seconds and converts accordingly. `truth` and
 * `params` are never read.
 */
export function simulateScenario(config: DecisionConfig, scenario: Scenario): SimulationRun {
  const effective: DecisionConfig = { ...config, intervalSeconds: scenario.intervalSeconds };
  let state = initialDecisionState(effective);
  const timeline: IntervalVerdict[] = [];
  const length = scenarioLength(scenario);
  let outcome = null;
  for (let i = 0; i < length && outcome === null; i++) {
    const step = evaluateInterval(effective, state, observationAt(scenario, i));
    state = step.state;
    timeline.push(step.verdict);
    outcome = step.decision ?? null;
  }
  const final = outcome ?? finishWatch(effective, state);
  const verdicts: Record<VerdictKind, number> = { healthy: 0, regressed: 0, inconclusive: 0, error: 0 };
  for (const v of timeline) verdicts[v.verdict] += 1;
  const last = timeline[timeline.length - 1];
  const signals: Record<string, SignalEvidence> = {};
  for (const s of last?.signals ?? []) signals[s.signal] = s.evidence;
  return {
    result: {
      scenario: scenario.name,
      decision: final.decision,
      decidedAtIndex: final.decidedAtIndex,
      reason: final.reason,
      evidence: {
        intervals: length,
        intervalSeconds: scenario.intervalSeconds,
        verdicts,
        ...(final.signal === undefined ? {} : { signal: final.signal }),
        signals,
      },
    },
    timeline,
  };
}
