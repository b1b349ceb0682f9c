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
  /**
   * Signals the check leaves out, with why: a histogram signal, whose buckets
   * were not learned, so the scenarios cannot carry them. The other signals
   * are checked at their own share of alpha, as in the full policy.
   */
  unchecked: Array<{ signal: string; why: string }>;
}

/** Effect sizes checked, as multiples of the proposed tolerance. */
const EFFECT_MULTIPLES = [1, 2] as const;

export function checkCases(policy: Policy, proposal: Proposal): CheckCase[] {
  const cases: CheckCase[] = [{ kind: 'healthy' }];
  for (const signal of policy.signals) {
    if (signal.comparison === 'absolute' || signal.kind === 'histogram') continue;
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

/**
 * The policy's decision configuration without the signals the scenarios cannot
 * carry (histograms). Alpha is split evenly across signals (Bonferroni), so the
 * rest keep exactly the share of alpha they have in the full policy.
 */
function checkedConfig(policy: Policy): {
  config: DecisionConfig | null;
  unchecked: CheckReport['unchecked'];
} {
  const full = decisionConfigFromPolicy(policy);
  const signals = full.signals.filter((s) => s.kind !== 'histogram');
  const unchecked = full.signals
    .filter((s) => s.kind === 'histogram')
    .map((s) => ({
      signal: s.name,
      why:
        `${s.name} is a histogram signal and its buckets were not read from history, so the scenarios have none: ` +
        `the check runs without it (the other signals at their share of alpha in the full policy). ` +
        `Its share of alpha still bounds its false rollbacks; how fast it catches a slowdown is not checked here.`,
    }));
  if (unchecked.length === 0) return { config: full, unchecked };
  // Nothing left that the scenarios could exercise: no check rather than a table of missing data.
  if (signals.length === 0) return { config: null, unchecked };
  return {
    config: { ...full, signals, alpha: (full.alpha * signals.length) / full.signals.length },
    unchecked,
  };
}

export function checkProposal(options: CheckOptions): CheckReport {
  const { policy } = options;
  const { config, unchecked } = checkedConfig(policy);
  const dt = policy.evaluation.intervalSeconds;
  const intervals = Math.min(1200, Math.max(20, Math.round(options.watchSeconds / dt)));
  const report = {
    alpha: policy.evaluation.alpha,
    intervalSeconds: dt,
    intervals,
    seed: options.seed,
    unchecked,
  };
  if (config === null) return { ...report, rows: [] };
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
  return { ...report, rows };
}
