import { configProblems, countsEvents, seriesUsedBy, type DecisionConfig, type SignalConfig } from './config';
import { CONFIRM_ALPHA, confirmationPlan } from './confirmation';
import type { Group, Observation } from './observation';
import { alternativesOf, armingLevel, breachEValue, readSignal } from './readings';
import {
  enoughTraffic,
  initialSignalState,
  pendingLeansRegressed,
  pendingSince,
  stepSignal,
  type SignalMonitorParams,
  type SignalMonitorState,
} from './signal-monitor';
import type { DecisionOutcome, IntervalVerdict, SignalVerdict, VerdictKind } from './verdict';

/**
 * The decision core as a pure step function: one call per evaluation interval,
 * state in, state out. The state is plain JSON of a size fixed by the number
 * of signals, so the guardian keeps it in workflow history and carries it
 * across continue-as-new; `ripcord simulate` and the benchmark call the same
 * functions.
 */
export interface DecisionState {
  version: 1;
  /** Index of the next interval to evaluate. */
  nextIndex: number;
  signals: SignalMonitorState[];
  /** First interval of the current silence of each group, or null while it reports. */
  silentSince: { canary: number | null; baseline: number | null };
  /** First interval of the current run of inconclusive verdicts. */
  inconclusiveSince: number | null;
  outcome: DecisionOutcome | null;
}

export interface StepResult {
  state: DecisionState;
  verdict: IntervalVerdict;
  /** Present once the core has decided (rollback or escalate); the guardian acts on it. */
  decision?: DecisionOutcome;
}

export class InvalidDecisionConfig extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid decision configuration: ${problems.join('; ')}`);
    this.name = 'InvalidDecisionConfig';
  }
}

export function initialDecisionState(config: DecisionConfig): DecisionState {
  const problems = configProblems(config);
  if (problems.length > 0) throw new InvalidDecisionConfig(problems);
  return {
    version: 1,
    nextIndex: 0,
    signals: config.signals.map((s) => initialSignalState(alternativesOf(s))),
    silentSince: { canary: null, baseline: null },
    inconclusiveSince: null,
    outcome: null,
  };
}

function monitorParams(config: DecisionConfig): SignalMonitorParams[] {
  // Bonferroni: each signal gets alpha / (number of signals) of the
  // false-rollback budget, so the chance that any of them falsely rolls back
  // stays below alpha. How a signal spends its share: see the comment below.
  const logRollback = -Math.log(config.alpha / config.signals.length);
  const plan = confirmationPlan(config.confirmationWindowSeconds, config.intervalSeconds);
  return config.signals.map((signal) => ({
    signal,
    alternatives: alternativesOf(signal),
    logThreshold: Math.min(Math.log(breachEValue(signal)), logRollback),
    logRollback,
    armAt: armingLevel(signal),
    plan,
    minTrafficPerGroup: config.minRequestsPerGroup,
  }));
}

/*
 * How a signal spends its share `budget` of the false-rollback probability.
 *
 * Think of the test as a gambler's wealth that starts at 1 (Shafer & Vovk,
 * "Game-Theoretic Foundations for Probability and Finance", 2019; Ramdas,
 * Grünwald, Vovk & Shafer, Statistical Science 2023). Under "no regression"
 * every bet is fair or worse, so the wealth is a nonnegative supermartingale
 * and, by Ville's inequality, ever reaches 1/budget with probability at most
 * budget. The wealth has three parts: start weights not yet spent (cash), the
 * products of the main test, and at most one confirmation.
 *
 *  - A breach (the main test at its breach level, see breachEValue) opens a
 *    grace period, through which the main test keeps betting as before.
 *  - At the end of the grace, the main test's whole value E is moved into the
 *    confirmation and the main test restarts from its cash. From there on the
 *    confirmation bets E on data after the grace: its value is E times F, a
 *    mixture of likelihood-ratio products started then, weighted by what the
 *    main test found (known when it starts, so predictable).
 *  - A rollback needs E * F >= 1/budget. A confirmation dropped in its grace
 *    is thrown away; a dismissed one returns at most half the breach level
 *    to the main test and throws the rest away. Moving or dropping wealth
 *    keeps it a supermartingale.
 *
 * So P(false rollback) <= P(wealth ever reaches 1/budget) <= budget, for any
 * breach level and however many breaches come and go: the breach level only
 * says when the grace clock starts. On top of that a rollback needs the
 * persistence evidence (since the breach, grace capped at 1, see
 * signal-monitor.ts) to reach 1/CONFIRM_ALPHA, which only ever removes
 * rollbacks: that is the protection against transients.
 *
 * Compared with spending the budget twice (a breach at level budget/(c+budget)
 * and then fresh evidence of 1/c, as before), evidence gathered during the
 * grace and the overshoot of the breach are no longer thrown away.
 */

/**
 * The range of alpha over which a wider alpha does not make this signal roll
 * back sooner, or null when there is none (no confirmation window: alpha then
 * always sets the rollback level). A rollback needs the persistence evidence
 * to reach 1/CONFIRM_ALPHA and the carried evidence (at least the breach
 * level) times the fresh evidence to reach 1/(alpha share). From the alpha at
 * which the breach level divided by CONFIRM_ALPHA reaches 1/(alpha share), the
 * second condition holds almost whenever the first does, so the confirmation,
 * not alpha, sets the pace (`npm run bench:tradeoffs`: canary.yaml at alpha
 * 0.01 and 0.02 decides identically). That lasts until 1/(alpha share) falls
 * below the breach level itself, which then drops and breaches sooner (on
 * noise too). `to` may lie above the largest alpha a policy allows.
 */
export function alphaWithoutEffect(
  config: DecisionConfig,
  signal: SignalConfig,
): { from: number; to: number } | null {
  if (confirmationPlan(config.confirmationWindowSeconds, config.intervalSeconds).windowIntervals === 0) {
    return null;
  }
  const k = config.signals.length;
  return { from: (k * CONFIRM_ALPHA) / breachEValue(signal), to: k / breachEValue(signal) };
}

export function evaluateInterval(
  config: DecisionConfig,
  state: DecisionState,
  observation: Observation,
): StepResult {
  const index = state.nextIndex;
  if (state.outcome !== null) {
    const verdict: IntervalVerdict = {
      index,
      verdict: 'inconclusive',
      reason: 'already decided',
      signals: [],
    };
    return { state: { ...state, nextIndex: index + 1 }, verdict, decision: state.outcome };
  }
  const dt = config.intervalSeconds;
  if ((index + 1) * dt <= config.warmupSeconds) {
    const verdict: IntervalVerdict = { index, verdict: 'inconclusive', reason: 'warm-up', signals: [] };
    return { state: { ...state, nextIndex: index + 1 }, verdict };
  }

  const params = monitorParams(config);
  const signalStates: SignalMonitorState[] = [];
  const signalVerdicts: SignalVerdict[] = [];
  params.forEach((p, i) => {
    const previous = state.signals[i] ?? initialSignalState(p.alternatives);
    const { state: next, verdict } = stepSignal(
      p,
      previous,
      readSignal(p.signal, observation, previous.baselineTail),
      index,
    );
    signalStates.push(next);
    signalVerdicts.push(verdict);
  });

  const silentSince = {
    canary: reports(config, observation, 'canary') ? null : (state.silentSince.canary ?? index),
    baseline:
      comparesWithBaseline(config) && !reports(config, observation, 'baseline')
        ? (state.silentSince.baseline ?? index)
        : null,
  };
  const overall = combine(signalVerdicts);
  const inconclusiveSince =
    overall.verdict === 'inconclusive' || overall.verdict === 'error'
      ? (state.inconclusiveSince ?? index)
      : null;

  const next: DecisionState = {
    version: 1,
    nextIndex: index + 1,
    signals: signalStates,
    silentSince,
    inconclusiveSince,
    outcome: null,
  };
  const verdict: IntervalVerdict = { index, ...overall, signals: signalVerdicts };
  const decision = decide(config, next, signalVerdicts, index);
  if (decision === null) return { state: next, verdict };
  return { state: { ...next, outcome: decision }, verdict, decision };
}

/**
 * The decision once the watch ends without one. A breach still waiting for
 * confirmation while the data after it leans towards the regression, or a
 * canary that has gone silent while the baseline reports, cannot be promoted
 * quietly: both escalate. So does a watch that ends without evidence of
 * health (see watchEvidence): missing data is never healthy, so a signal that
 * never had enough data to be judged cannot let the deployment through.
 * Otherwise: no rollback.
 */
export function finishWatch(config: DecisionConfig, state: DecisionState): DecisionOutcome {
  if (state.outcome !== null) return state.outcome;
  const last = state.nextIndex - 1;
  const pending = config.signals.findIndex((_, i) => {
    const s = state.signals[i];
    return s !== undefined && pendingLeansRegressed(s);
  });
  if (pending >= 0) {
    const name = config.signals[pending]?.name ?? '';
    return {
      decision: 'escalate',
      decidedAtIndex: last,
      reason: `watch ended while a breach of ${name} was still being confirmed`,
      cause: 'breach-pending-at-end',
      signal: name,
    };
  }
  if (state.silentSince.canary !== null && state.silentSince.baseline === null) {
    return {
      decision: 'escalate',
      decidedAtIndex: last,
      reason: `watch ended while the canary was silent (since interval ${state.silentSince.canary})`,
      cause: 'canary-silent',
    };
  }
  const lacking = watchEvidence(config, state).filter((e) => !e.enough);
  if (lacking.length > 0 && config.promoteWithoutEvidence !== true) {
    return {
      decision: 'escalate',
      decidedAtIndex: last,
      reason: `the watch ended without evidence of health: ${lacking.map(describeLack).join('; ')}`,
      cause: 'no-evidence',
      ...(lacking.length === 1 ? { signal: lacking[0]!.signal } : {}),
    };
  }
  return {
    decision: 'no-rollback',
    decidedAtIndex: null,
    reason: 'no confirmed regression during the watch',
    cause: 'healthy',
  };
}

/** What one signal saw during the watch, as far as promoting is concerned. */
export interface SignalWatchEvidence {
  signal: string;
  /**
   * Whether the signal had enough data to be judged at all: at least one
   * interval in which every group it compares reported a usable reading, and,
   * for signals that count traffic (ratios, weighted values), the policy's
   * minRequestsPerGroup in each group over the watch. The same condition
   * turns its verdicts from inconclusive into healthy or regressed.
   */
  enough: boolean;
  /** Intervals judged after the warm-up. */
  evaluated: number;
  /** Of those, intervals with a usable reading from every group compared. */
  usable: number;
  /** Of those, intervals whose reading failed; undefined for states carried from before it was counted. */
  errors?: number;
  traffic: { canary: number; reference: number };
  /** Whether traffic counts for this signal, and how much each group needs. */
  minTraffic: number | null;
  comparesBaseline: boolean;
}

/**
 * Each signal's evidence at the end of the watch. The rule: the watch
 * promotes only if every signal had enough data to be judged (`enough`). A
 * long run of inconclusive data inside the watch is the policy's
 * maxInconclusiveSeconds's to escalate; this covers what that limit cannot
 * see: a watch shorter than the limit, or one that ends during the warm-up.
 */
export function watchEvidence(config: DecisionConfig, state: DecisionState): SignalWatchEvidence[] {
  const params = monitorParams(config);
  const dt = config.intervalSeconds;
  const warmupIntervals = Math.min(state.nextIndex, Math.floor(config.warmupSeconds / dt + 1e-9));
  const evaluated = Math.max(0, state.nextIndex - warmupIntervals);
  return params.map((p, i) => {
    const s = state.signals[i] ?? initialSignalState(p.alternatives);
    const countsTraffic = countsEvents(p.signal) || ('weight' in p.signal && p.signal.weight !== undefined);
    return {
      signal: p.signal.name,
      enough: enoughTraffic(p, s),
      evaluated,
      usable: s.alignedIntervals,
      ...(s.errorIntervals === undefined ? {} : { errors: s.errorIntervals }),
      traffic: s.traffic,
      minTraffic: countsTraffic ? config.minRequestsPerGroup : null,
      comparesBaseline: p.signal.comparison !== 'absolute',
    };
  });
}

function describeLack(e: SignalWatchEvidence): string {
  if (e.evaluated === 0) return `no usable health data for ${e.signal} (the watch ended within the warm-up)`;
  if (e.usable === 0) {
    const errors = e.errors;
    const detail =
      errors === undefined
        ? `none of ${e.evaluated} interval(s) had usable data`
        : [
            errors > 0 ? `${errors} of ${e.evaluated} interval(s) failed to read` : '',
            e.evaluated - errors > 0 ? `${e.evaluated - errors} of ${e.evaluated} had no data` : '',
          ]
            .filter((part) => part !== '')
            .join(', ');
    return `no usable health data for ${e.signal} (${detail})`;
  }
  const seen = e.comparesBaseline
    ? `canary ${e.traffic.canary}, baseline ${e.traffic.reference}`
    : `canary ${e.traffic.canary}`;
  return (
    `too little traffic for ${e.signal} (${seen} over ${e.usable} usable of ${e.evaluated} interval(s); ` +
    `${e.minTraffic ?? 0} per group needed)`
  );
}

function comparesWithBaseline(config: DecisionConfig): boolean {
  return config.signals.some((s) => s.comparison !== 'absolute');
}

/** A group reports when any series the policy reads has a value for it. */
function reports(config: DecisionConfig, observation: Observation, group: Group): boolean {
  return config.signals.some((signal) =>
    seriesUsedBy(signal).some((name) => {
      const reading = observation[name];
      return reading !== undefined && reading.error === undefined && reading[group] !== null;
    }),
  );
}

function combine(signals: SignalVerdict[]): { verdict: VerdictKind; reason: string } {
  const pick = (kind: VerdictKind) => signals.filter((s) => s.verdict === kind);
  for (const kind of ['regressed', 'error', 'inconclusive'] as const) {
    const matching = pick(kind);
    if (matching.length > 0) {
      return { verdict: kind, reason: matching.map((s) => `${s.signal}: ${s.reason}`).join('; ') };
    }
  }
  return { verdict: 'healthy', reason: 'every signal healthy' };
}

function seconds(intervals: number, dt: number): number {
  return intervals * dt;
}

function decide(
  config: DecisionConfig,
  state: DecisionState,
  verdicts: SignalVerdict[],
  index: number,
): DecisionOutcome | null {
  const dt = config.intervalSeconds;
  const confirmed = config.signals
    .map((signal, i) => ({ signal, verdict: verdicts[i] }))
    .filter(({ verdict }) => verdict?.phase === 'confirmed');
  const critical = confirmed.find(({ signal }) => signal.critical);
  if (critical !== undefined) {
    return {
      decision: 'rollback',
      decidedAtIndex: index,
      reason: `${critical.signal.name} regressed: ${critical.verdict?.reason ?? ''}`,
      cause: 'regression',
      signal: critical.signal.name,
    };
  }
  const advisory = confirmed[0];
  if (advisory !== undefined) {
    return {
      decision: 'escalate',
      decidedAtIndex: index,
      reason: `non-critical signal ${advisory.signal.name} regressed`,
      cause: 'advisory-regression',
      signal: advisory.signal.name,
    };
  }

  const { maxGapSeconds, onLongGap } = config.missingData;
  const canarySilence =
    state.silentSince.canary === null ? 0 : seconds(index - state.silentSince.canary + 1, dt);
  const baselineSilence =
    state.silentSince.baseline === null ? 0 : seconds(index - state.silentSince.baseline + 1, dt);
  if (canarySilence > maxGapSeconds && baselineSilence === 0) {
    return {
      decision: 'escalate',
      decidedAtIndex: index,
      reason: `the canary has reported nothing for ${canarySilence}s while the baseline reports`,
      cause: 'canary-silent',
    };
  }
  if (Math.max(canarySilence, baselineSilence) > maxGapSeconds && onLongGap === 'escalate') {
    return {
      decision: 'escalate',
      decidedAtIndex: index,
      reason: `no data for ${Math.max(canarySilence, baselineSilence)}s (limit ${maxGapSeconds}s)`,
      cause: 'no-data',
    };
  }
  if (state.inconclusiveSince !== null) {
    const inconclusive = seconds(index - state.inconclusiveSince + 1, dt);
    if (inconclusive > config.maxInconclusiveSeconds) {
      return {
        decision: 'escalate',
        decidedAtIndex: index,
        reason: `inconclusive for ${inconclusive}s (limit ${config.maxInconclusiveSeconds}s)`,
        cause: 'inconclusive',
      };
    }
  }
  for (const [i, s] of state.signals.entries()) {
    const decideFrom = pendingSince(s);
    if (decideFrom !== null && seconds(index - decideFrom, dt) > config.maxInconclusiveSeconds) {
      const name = config.signals[i]?.name ?? '';
      return {
        decision: 'escalate',
        decidedAtIndex: index,
        reason: `a breach of ${name} could be neither confirmed nor dismissed within ${config.maxInconclusiveSeconds}s`,
        cause: 'breach-unresolved',
        signal: name,
      };
    }
  }
  return null;
}
