import { alphaWithoutEffect, MAX_ALPHA, type DecisionConfig } from '../decision';
import { decisionConfigFromPolicy } from '../policy/decision-config';
import { simulateScenario } from '../simulate/simulate';
import type { Policy } from '../policy/schema/policy';
import type { SignalProfile } from './learn';
import type { Proposal } from './propose';
import { generateCheckScenario, type CheckCase, type ScenarioModel } from './scenarios';
import { median } from './stats';

/**
 * Checks a proposed policy the way `ripcord simulate` would: the decision core
 * runs over scenarios made from the service's own history. Healthy A/A
 * scenarios count false rollbacks; regressions of each signal, at the
 * proposed tolerance and at twice it, count detections and their delay.
 */

export interface CheckRow {
  label: string;
  kind: 'healthy' | 'regression';
  scenarios: number;
  rollbacks: number;
  escalations: number;
  /** Median seconds from onset to the rollback decision, over detected regressions; null when none. */
  medianDelaySeconds: number | null;
  /**
   * Regression rows: whether a wider alpha than the checked policy's could
   * make this signal roll back sooner (see alphaWithoutEffect). Null for the
   * healthy row.
   */
  widerAlphaHelps: boolean | null;
}

export interface CheckOptions {
  policy: Policy;
  profiles: readonly SignalProfile[];
  proposal: Proposal;
  canaryShare: number;
  watchSeconds: number;
  scenariosPerCase: number;
  seed: number;
}

export interface CheckReport {
  /** The checked policy's alpha. */
  alpha: number;
  intervalSeconds: number;
  intervals: number;
  seed: number;
  rows: CheckRow[];
}

/** Effect sizes checked, as multiples of the proposed tolerance. */
const EFFECT_MULTIPLES = [1, 2] as const;

export function checkCases(policy: Policy, proposal: Proposal): CheckCase[] {
  const cases: CheckCase[] = [{ kind: 'healthy' }];
  for (const signal of policy.signals) {
    if (signal.comparison === 'absolute') continue;
    const proposed = proposal.signals.find((s) => s.signal === signal.name)?.tolerance ?? signal.tolerance;
    for (const k of EFFECT_MULTIPLES) {
      const relative = k * proposed.relative;
      const absolute = signal.kind === 'ratio' ? k * proposed.absolute : 0;
      const size = `+${Math.round(relative * 100)}%`;
      cases.push({
        kind: 'regression',
        signal: signal.name,
        relative,
        absolute,
        label: `${signal.name} ${size} (${k === 1 ? 'at the tolerance' : `${k}x the tolerance`})`,
      });
    }
  }
  return cases;
}

function widerAlphaHelps(config: DecisionConfig, signalName: string): boolean {
  if (config.alpha >= MAX_ALPHA) return false;
  const signal = config.signals.find((s) => s.name === signalName);
  const flat = signal === undefined ? null : alphaWithoutEffect(config, signal);
  return flat === null || config.alpha < flat.from || config.alpha >= flat.to;
}

export function checkProposal(options: CheckOptions): CheckReport {
  const { policy } = options;
  const config = decisionConfigFromPolicy(policy);
  const dt = policy.evaluation.intervalSeconds;
  const intervals = Math.min(1200, Math.max(20, Math.round(options.watchSeconds / dt)));
  const model: ScenarioModel = {
    signals: policy.signals,
    profiles: options.profiles,
    intervalSeconds: dt,
    length: intervals,
    canaryShare: options.canaryShare,
  };
  const rows = checkCases(policy, options.proposal).map((check): CheckRow => {
    let rollbacks = 0;
    let escalations = 0;
    const delays: number[] = [];
    for (let i = 0; i < options.scenariosPerCase; i++) {
      const scenario = generateCheckScenario(model, check, options.seed, i);
      const { result } = simulateScenario(config, scenario);
      if (result.decision === 'escalate') escalations += 1;
      if (result.decision !== 'rollback') continue;
      rollbacks += 1;
      const onset = scenario.truth?.onsetIndex;
      if (onset !== undefined && result.decidedAtIndex !== null && result.decidedAtIndex >= onset) {
        delays.push((result.decidedAtIndex - onset + 1) * dt);
      }
    }
    return {
      label: check.kind === 'healthy' ? 'healthy A/A (false rollbacks)' : check.label,
      kind: check.kind,
      scenarios: options.scenariosPerCase,
      rollbacks,
      escalations,
      medianDelaySeconds: delays.length > 0 ? median(delays) : null,
      widerAlphaHelps: check.kind === 'healthy' ? null : widerAlphaHelps(config, check.signal),
    };
  });
  return { alpha: config.alpha, intervalSeconds: dt, intervals, seed: options.seed, rows };
}
