import {
  CONFIRM_ALPHA,
  evaluateInterval,
  finishWatch,
  initialDecisionState,
  type DecisionConfig,
  type DecisionKind,
  type DecisionOutcome,
  type DecisionState,
  type RatioSignalConfig,
  type SignalConfig,
  type SignalVerdict,
} from '../decision';
import { absoluteNullRate } from '../decision/readings';
import { COUNT_ALTERNATIVES, oneSampleCountLogLR } from '../decision/stats/count-tests';
import { logSumExp } from '../decision/stats/log-space';
import { observationAt, type Scenario } from '../simulate/scenario';
import { excessBounds, rateUpperBound, type Counts } from './bounds';
import { dependencyClosure, dependencyOrder, type DependencyGraph } from './graph';
import {
  memberScenario,
  releaseMembers,
  releaseScenarioLength,
  type ReleaseKind,
  type ReleaseScenario,
} from './scenario';
import { driftEValue, eventsOf, initialDrift, stepDrift, type DriftState } from './systemic';

/**
 * The release judge: several deployments that ship together, judged across
 * members (docs/architecture.md §4, releases). Pure: no clock, no I/O; it
 * replays a release scenario one interval at a time, as a release workflow
 * would see it, and never reads `truth` or `params`.
 *
 * Every interval:
 *
 * 1. Each member's own canary is judged against its own baseline by the
 *    decision core, exactly as its own guardian would (src/decision).
 * 2. Systemic: every member's baseline, and every service outside the release
 *    that calls no member, is tested against its own earlier intervals
 *    (systemic.ts). A release cannot make those fail more, so a degradation
 *    there is outside the release: no automatic rollback, `escalate`, with the
 *    evidence. Services outside the release that call a member (directly or
 *    through others) are not tested: a member's failing canary reaches them.
 * 3. A member whose own core confirms a regression is attributed:
 *    - its regression counts errors: a dependency (any member it reaches,
 *      directly or through services outside the release) explains it only if
 *      the dependency's canary fails more by at least as much, since a caller
 *      sends a dependency at most all of its requests and so inherits at most
 *      its excess. The excesses since the caller's onset are compared with
 *      time-uniform bounds (bounds.ts). Explained by regressed dependencies:
 *      a cascade, it stays. Not explainable by any dependency: it regressed on
 *      its own, and it is rolled back once its extra failures persist after
 *      its confirmation window against its baseline's whole watch (see
 *      `persistence`: a spike its core confirms because the baseline of the
 *      intervals after it happened to be quiet is not rolled back; the
 *      release escalates if the watch ends first). Explainable only by a
 *      dependency that has not confirmed a regression yet: wait for it, at
 *      most the policy's maxInconclusiveSeconds, then escalate.
 *    - its regression is latency: a dependency whose same signal regressed
 *      explains it (latency adds up along a call), one still confirming a
 *      breach of it is waited for, otherwise it regressed on its own.
 *    The culprits (deepest first) are rolled back in dependency order.
 *
 * After a rollback the other members are still watched, until the end of the
 * scenario, as a release goes on watching what it kept. A real release would
 * re-judge a dependent on data after the rollback and its settle time. A
 * scenario has no such data (nothing was rolled back when it was recorded),
 * so the simulation models it: a dependent is rolled back later only if its
 * own regression exceeds what its rolled-back dependencies explain, by the
 * rule above. A systemic degradation or a member's escalation after a
 * rollback stops the automatic rollbacks there.
 *
 * Mode `together` (a contract change): the first rollback rolls back every
 * member, dependents first (reverse dependency order), so that no new caller
 * is left on an old callee.
 */
export type RollbackMode = 'independent' | 'together';

export interface JudgeOptions {
  /** The policy every member is judged under, and that tests the services outside the release. */
  config: DecisionConfig;
  /** A member's own policy, where it has one. */
  memberConfigs?: Readonly<Record<string, DecisionConfig>>;
  mode?: RollbackMode;
  /**
   * Whether the scenario is the whole watch (default). A live release judges
   * what it has read so far: its watch goes on, so an undecided member is
   * not concluded (no end-of-watch verdict, no "ended before attribution").
   */
  watchEnded?: boolean;
}

/** How the release judged one member. */
export type MemberVerdict =
  | 'healthy'
  /** Its own regression: rolled back. */
  | 'rolled-back'
  /** Rolled back because the release rolls back together. */
  | 'rolled-back-with-release'
  /** Its regression is its dependencies' (a cascade): kept. */
  | 'explained'
  /** Regressed, and no one could tell whether a dependency causes it. */
  | 'unresolved'
  /** Its own core escalated (no data, too little traffic, a breach left open). */
  | 'escalated'
  /** The release stopped watching before its core decided. */
  | 'not-decided';

export interface MemberJudgement {
  /** What its own guardian, alone, would have decided. */
  own: {
    decision: DecisionKind | null;
    decidedAtIndex: number | null;
    reason: string;
    signal?: string;
    /** Where the regression's evidence began: the breach that was confirmed. */
    onsetIndex?: number;
  };
  verdict: MemberVerdict;
  rolledBackAtIndex: number | null;
  explainedBy?: string[];
  /** Error signals: the canary's extra failure rate since the onset (bounds at the attribution). */
  excess?: { estimate: number | null; lower: number; upper: number };
  /**
   * Error signals, a member regressed on its own: whether its extra failures persist after its confirmation
   * window, from `fromIndex`, against its baseline's whole watch (e-value at the attribution; shown at 1/CONFIRM_ALPHA).
   */
  persistence?: { fromIndex: number; eValue: number; shown: boolean };
}

export interface BaselineDriftEvidence {
  service: string;
  inRelease: boolean;
  signal: string;
  degradedAtIndex: number | null;
  eValue: number;
  /** At the degradation: the past's average rate and the interval's rate. */
  pastRate: number | null;
  rate: number | null;
}

export interface ReleaseJudgement {
  scenario: string;
  decision: DecisionKind;
  /** Members rolled back, in the order rolled back. */
  rollback: string[];
  decidedAtIndex: number | null;
  reason: string;
  /** What the release judge made of it. */
  kind: ReleaseKind | 'undecided';
  mode: RollbackMode;
  intervals: number;
  intervalSeconds: number;
  members: Record<string, MemberJudgement>;
  systemic: {
    tested: BaselineDriftEvidence[];
    notTested: { service: string; why: string }[];
  };
}

/** One line of `ripcord simulate --release-scenario --json`: the fixed contract, nothing more. */
export interface ReleaseResultLine {
  scenario: string;
  decision: DecisionKind;
  rollback: string[];
  decidedAtIndex: number | null;
  reason: string;
}

export function resultLine(judgement: ReleaseJudgement): ReleaseResultLine {
  return {
    scenario: judgement.scenario,
    decision: judgement.decision,
    rollback: judgement.rollback,
    decidedAtIndex: judgement.decidedAtIndex,
    reason: judgement.reason,
  };
}

interface Core {
  service: string;
  config: DecisionConfig;
  scenario: Scenario;
  state: DecisionState;
  outcome: DecisionOutcome | null;
  /** The signals' verdicts at the last interval the core judged (at its decision, once decided). */
  signals: SignalVerdict[];
  onset: number | null;
  /** The first interval after the confirmed breach's confirmation window: the data its persistence is judged on. */
  freshFrom: number | null;
  verdict: MemberVerdict;
  rolledBackAtIndex: number | null;
  explainedBy?: string[];
  excess?: MemberJudgement['excess'];
  persistence?: MemberJudgement['persistence'];
  /** Set while the member waits for a dependency to be judged, or for its regression to be shown to persist. */
  waitingSince: number | null;
}

interface Monitor {
  service: string;
  inRelease: boolean;
  signal: RatioSignalConfig;
  state: DriftState;
}

type Attribution =
  | { kind: 'own'; excess?: MemberJudgement['excess'] }
  /** Its own regression, not yet shown to persist after its confirmation window: wait. */
  | { kind: 'unproven'; excess?: MemberJudgement['excess'] }
  | { kind: 'explained'; by: string[]; excess?: MemberJudgement['excess'] }
  | { kind: 'wait'; on: string[]; excess?: MemberJudgement['excess'] };

function isRatio(signal: SignalConfig | undefined): signal is RatioSignalConfig {
  return signal?.kind === 'ratio';
}

function percent(rate: number | null): string {
  if (rate === null) return '–';
  const p = rate * 100;
  return `${p >= 10 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p.toFixed(2)}%`;
}

function list(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

export function judgeRelease(scenario: ReleaseScenario, options: JudgeOptions): ReleaseJudgement {
  const mode = options.mode ?? 'independent';
  const length = releaseScenarioLength(scenario);
  const dt = scenario.intervalSeconds;
  const members = releaseMembers(scenario);
  const services = Object.keys(scenario.members).sort();
  const graph: DependencyGraph = Object.fromEntries(
    services.map((s) => [s, scenario.members[s]?.dependsOn ?? []]),
  );
  const configOf = (service: string): DecisionConfig => ({
    ...(options.memberConfigs?.[service] ?? options.config),
    intervalSeconds: dt,
  });

  const cores = new Map<string, Core>();
  for (const service of members) {
    const config = configOf(service);
    cores.set(service, {
      service,
      config,
      scenario: memberScenario(scenario, service),
      state: initialDecisionState(config),
      outcome: null,
      signals: [],
      onset: null,
      freshFrom: null,
      verdict: 'not-decided',
      rolledBackAtIndex: null,
      waitingSince: null,
    });
  }
  const memberDeps = new Map(
    members.map((m) => [m, [...dependencyClosure(graph, m)].filter((d) => cores.has(d)).sort()]),
  );

  // Systemic: which stable versions can tell a platform problem from the release's.
  const monitors: Monitor[] = [];
  const notTested: { service: string; why: string }[] = [];
  for (const service of services) {
    const entry = scenario.members[service];
    if (entry === undefined) continue;
    const reachesMember = [...dependencyClosure(graph, service)].filter((d) => cores.has(d));
    if (!entry.inRelease && reachesMember.length > 0) {
      notTested.push({
        service,
        why: `calls release member${reachesMember.length > 1 ? 's' : ''} ${list(reachesMember.sort())}: their canaries reach it`,
      });
      continue;
    }
    const signals = configOf(service)
      .signals.filter(isRatio)
      .filter((s) => s.comparison !== 'absolute')
      .filter((s) => entry.series[s.numerator] !== undefined && entry.series[s.denominator] !== undefined);
    if (signals.length === 0) {
      notTested.push({ service, why: 'has no counted series (errors and requests) the policy reads' });
      continue;
    }
    for (const signal of signals) {
      monitors.push({ service, inRelease: entry.inRelease, signal, state: initialDrift() });
    }
  }
  const driftShare = options.config.alpha / Math.max(1, 2 * monitors.length);

  // Running sums of events and trials per service, series and group, extended as far as asked once: every
  // attribution asks for sums since interval 0 (the baseline) or since an onset, at every interval.
  const running = new Map<string, { events: number[]; trials: number[] }>();
  const sumsThrough = (
    service: string,
    signal: RatioSignalConfig,
    group: 'baseline' | 'canary',
    to: number,
  ): Counts => {
    if (to < 0) return { events: 0, trials: 0 };
    const key = [service, signal.numerator, signal.denominator, signal.direction, group].join('\u0000');
    let sums = running.get(key);
    if (sums === undefined) {
      sums = { events: [], trials: [] };
      running.set(key, sums);
    }
    const series = scenario.members[service]?.series;
    const numerator = series?.[signal.numerator]?.[group];
    const denominator = series?.[signal.denominator]?.[group];
    for (let i = sums.events.length; i <= to; i++) {
      const c = eventsOf(signal, numerator?.[i], denominator?.[i]);
      sums.events.push((sums.events[i - 1] ?? 0) + (c?.events ?? 0));
      sums.trials.push((sums.trials[i - 1] ?? 0) + (c?.trials ?? 0));
    }
    return { events: sums.events[to] ?? 0, trials: sums.trials[to] ?? 0 };
  };
  const counts = (
    service: string,
    signal: RatioSignalConfig,
    group: 'baseline' | 'canary',
    from: number,
    to: number,
  ): Counts => {
    const through = sumsThrough(service, signal, group, to);
    const before = sumsThrough(service, signal, group, Math.max(0, from) - 1);
    return { events: through.events - before.events, trials: through.trials - before.trials };
  };

  // The canary since the onset against the baseline over the whole watch so far: a release never reaches a
  // stable version (baseline-path requests stay on stable versions), so all of its data say what "no excess" is.
  const excessOf = (service: string, signal: RatioSignalConfig, from: number, to: number, delta: number) =>
    excessBounds(
      counts(service, signal, 'canary', from, to),
      counts(service, signal, 'baseline', 0, to),
      delta,
    );

  /**
   * Whether a member's extra failures persist after its confirmation window: its canary from the first
   * interval after the window, tested against its baseline's whole watch, not only the baseline of the same
   * intervals. The core's confirmation asks the canary to fail more than the baseline of those intervals, at
   * an e-value of 1/CONFIRM_ALPHA; when that baseline happens to be quiet, a canary that has recovered from a
   * spike still looks worse. Here each interval's canary count is tested (the one-sample count test of
   * systemic.ts) against the policy's tolerance line above a time-uniform upper bound of the baseline's rate
   * over every earlier interval of the watch (fixed before the interval is read, so the product is a test
   * supermartingale while the bound holds: probability at least 1 - alpha/4). Persistence is shown at the
   * core's own level, 1/CONFIRM_ALPHA. The baseline is steady over the watch unless the systemic test says
   * otherwise, and then nothing is rolled back anyway.
   */
  const persistence = (core: Core, signal: RatioSignalConfig, index: number) => {
    const from = Math.min(core.freshFrom ?? index, index);
    const delta = core.config.alpha / 4;
    const { relative, absolute } = signal.tolerance;
    let logM = COUNT_ALTERNATIVES.map(() => 0);
    for (let i = from; i <= index; i++) {
      let line: number;
      if (signal.comparison === 'absolute') {
        line = absoluteNullRate(signal);
      } else {
        const past = counts(core.service, signal, 'baseline', 0, i - 1);
        const upper = rateUpperBound(past.events, past.trials, delta);
        line = Math.max((1 + relative) * upper, upper + absolute);
      }
      if (line >= 1) continue;
      const canary = counts(core.service, signal, 'canary', i, i);
      const logLR = oneSampleCountLogLR(canary.events, canary.trials, line);
      if (logLR === null) continue;
      logM = logM.map((m, k) => m + (logLR[k] ?? 0));
    }
    const logE = logSumExp(logM) - Math.log(COUNT_ALTERNATIVES.length);
    return {
      fromIndex: from,
      eValue: Number(Math.exp(Math.min(logE, 690)).toPrecision(3)),
      shown: logE >= Math.log(1 / CONFIRM_ALPHA),
    };
  };

  const attribute = (core: Core, index: number): Attribution => {
    const signalName = core.outcome?.signal;
    const signal = core.config.signals.find((s) => s.name === signalName);
    const deps = memberDeps.get(core.service) ?? [];
    const regressed = (d: string) => cores.get(d)?.outcome?.decision === 'rollback';
    if (isRatio(signal)) {
      const from = core.onset ?? index;
      const delta = core.config.alpha / 4;
      const own = excessOf(core.service, signal, from, index, delta);
      const excess = { estimate: own.estimate, lower: own.lower, upper: own.upper };
      // Its own regression: rolled back only once its extra failures persist after the confirmation window.
      const alone = (): Attribution => {
        core.persistence = persistence(core, signal, index);
        return { kind: core.persistence.shown ? 'own' : 'unproven', excess };
      };
      if (deps.length === 0) return alone();
      // What each dependency's canary could pass on: at most its own excess (a caller sends it at most all its requests).
      const capacity = (d: string) => {
        const depSignal = cores.get(d)?.config.signals.find((s) => s.name === signal.name);
        const used = isRatio(depSignal) ? depSignal : signal;
        return Math.max(0, excessOf(d, used, from, index, delta).upper);
      };
      const confirmed = deps.filter(regressed);
      const open = deps.filter((d) => !regressed(d));
      const confirmedCapacity = confirmed.reduce((sum, d) => sum + capacity(d), 0);
      if (confirmed.length > 0 && confirmedCapacity >= own.lower) {
        return { kind: 'explained', by: confirmed, excess };
      }
      const possible = open.filter((d) => capacity(d) > 0);
      const openCapacity = possible.reduce((sum, d) => sum + capacity(d), 0);
      if (possible.length > 0 && confirmedCapacity + openCapacity >= own.lower) {
        return { kind: 'wait', on: possible, excess };
      }
      return alone();
    }
    // Latency (or any signal that is not a count of failures): a dependency's same signal.
    const phaseOf = (d: string): SignalVerdict['phase'] | null => {
      const dep = cores.get(d);
      if (dep === undefined) return null;
      if (dep.outcome?.decision === 'rollback' && dep.outcome.signal === signalName) return 'confirmed';
      return dep.signals.find((s) => s.signal === signalName)?.phase ?? null;
    };
    const confirmed = deps.filter((d) => phaseOf(d) === 'confirmed');
    if (confirmed.length > 0) return { kind: 'explained', by: confirmed };
    const confirming = deps.filter((d) => phaseOf(d) === 'confirming');
    if (confirming.length > 0) return { kind: 'wait', on: confirming };
    return { kind: 'own' };
  };

  let decision: {
    decision: DecisionKind;
    index: number;
    reason: string;
    kind: ReleaseJudgement['kind'];
  } | null = null;
  const rollback: string[] = [];
  const afterwards: string[] = [];
  /** Whether the release watched every interval (it stops at a systemic degradation, an escalation or a rollback together). */
  let watchedToTheEnd = options.watchEnded !== false;

  for (let t = 0; t < length; t++) {
    // 1. Every member's own core, as its guardian would judge it.
    for (const core of cores.values()) {
      if (core.outcome !== null) continue;
      const step = evaluateInterval(core.config, core.state, observationAt(core.scenario, t));
      core.state = step.state;
      core.signals = step.verdict.signals;
      if (step.decision !== undefined) {
        core.outcome = step.decision;
        const breach = core.signals.find((s) => s.signal === step.decision?.signal)?.evidence.confirmation;
        core.onset = breach?.breachIndex ?? t;
        core.freshFrom = breach?.decideFrom ?? t;
      }
    }
    // 2. The stable versions against their own past.
    for (const monitor of monitors) {
      const series = scenario.members[monitor.service]?.series;
      const interval = eventsOf(
        monitor.signal,
        series?.[monitor.signal.numerator]?.baseline[t],
        series?.[monitor.signal.denominator]?.baseline[t],
      );
      monitor.state = stepDrift(
        { signal: monitor.signal, alpha: driftShare, delta: driftShare },
        monitor.state,
        interval,
        t,
      );
    }
    const degraded = monitors.filter((m) => m.state.degradedAt !== null);
    if (degraded.length > 0) {
      const reason = systemicReason(degraded);
      if (decision === null) {
        decision = { decision: 'escalate', index: t, reason, kind: 'systemic' };
      } else {
        afterwards.push(`then at interval ${t} ${reason}: further rollbacks held`);
      }
      watchedToTheEnd = false;
      break;
    }
    const escalated = [...cores.values()].filter(
      (c) => c.outcome?.decision === 'escalate' && c.verdict === 'not-decided',
    );
    if (escalated.length > 0) {
      for (const core of escalated) core.verdict = 'escalated';
      const reason = escalated.map((c) => `${c.service}: ${c.outcome?.reason ?? ''}`).join('; ');
      if (decision === null) {
        decision = {
          decision: 'escalate',
          index: t,
          reason: `a member escalated (${reason})`,
          kind: 'undecided',
        };
      } else {
        afterwards.push(`then at interval ${t} ${reason}: a person takes over`);
      }
      watchedToTheEnd = false;
      break;
    }

    // 3. Attribute every confirmed regression not yet handled.
    const pending = [...cores.values()].filter(
      (c) =>
        c.outcome?.decision === 'rollback' && (c.verdict === 'not-decided' || c.verdict === 'unresolved'),
    );
    if (pending.length === 0) continue;
    const own: Core[] = [];
    const waiting: Core[] = [];
    for (const core of pending) {
      const result = attribute(core, t);
      if (result.excess !== undefined) core.excess = result.excess;
      if (result.kind === 'wait' || result.kind === 'unproven') {
        core.waitingSince ??= t;
        core.verdict = 'unresolved';
        if (result.kind === 'wait') core.explainedBy = result.on;
        else delete core.explainedBy;
        waiting.push(core);
        continue;
      }
      core.waitingSince = null;
      if (result.kind === 'explained') {
        core.verdict = 'explained';
        core.explainedBy = result.by;
        if (decision !== null) {
          afterwards.push(
            `then at interval ${t} ${core.service} regressed, explained by ${list(result.by)}: kept`,
          );
        }
      } else {
        delete core.explainedBy;
        own.push(core);
      }
    }
    const overdue = waiting.filter(
      (c) => (t - (c.waitingSince ?? t) + 1) * dt > c.config.maxInconclusiveSeconds,
    );
    if (overdue.length > 0 && own.length === 0) {
      const reason = overdue
        .map((c) => `${unresolvedWhy(c)}${c.explainedBy ? ' and has not been judged' : ''}`)
        .join('; ');
      if (decision === null) {
        decision = {
          decision: 'escalate',
          index: t,
          reason: `attribution unresolved: ${reason}`,
          kind: 'undecided',
        };
      } else {
        afterwards.push(`then at interval ${t} attribution unresolved: ${reason}`);
      }
      watchedToTheEnd = false;
      break;
    }
    if (own.length === 0) continue;

    if (mode === 'together') {
      const everyone = dependencyOrder(
        graph,
        members.filter((m) => cores.get(m)?.rolledBackAtIndex === null),
      ).reverse();
      for (const service of everyone) {
        const core = cores.get(service) as Core;
        core.rolledBackAtIndex = t;
        if (!own.includes(core)) core.verdict = 'rolled-back-with-release';
      }
      for (const core of own) core.verdict = 'rolled-back';
      rollback.push(...everyone);
      decision = {
        decision: 'rollback',
        index: t,
        reason: `${culpritReason(own, cores)}; the release rolls back together, dependents first: ${everyone.join(', ')}`,
        kind: kindOf(cores),
      };
      watchedToTheEnd = false;
      break;
    }
    const ordered = dependencyOrder(
      graph,
      own.map((c) => c.service),
    );
    for (const service of ordered) {
      const core = cores.get(service) as Core;
      core.verdict = 'rolled-back';
      core.rolledBackAtIndex = t;
    }
    rollback.push(...ordered);
    if (decision === null) {
      decision = { decision: 'rollback', index: t, reason: culpritReason(own, cores), kind: 'isolated' };
    } else {
      afterwards.push(`then at interval ${t} ${culpritReason(own, cores)}`);
    }
  }

  // The watch ended: conclude every member that has not decided.
  for (const core of cores.values()) {
    if (core.outcome === null && watchedToTheEnd) {
      core.outcome = finishWatch(core.config, core.state);
    }
    if (core.verdict === 'not-decided') {
      if (core.outcome === null) continue;
      if (core.outcome.decision === 'no-rollback') core.verdict = 'healthy';
      else if (core.outcome.decision === 'escalate') core.verdict = 'escalated';
    }
  }
  if (decision === null && options.watchEnded !== false) {
    const unresolved = [...cores.values()].filter((c) => c.verdict === 'unresolved');
    const escalated = [...cores.values()].filter((c) => c.verdict === 'escalated');
    if (unresolved.length > 0) {
      decision = {
        decision: 'escalate',
        index: length - 1,
        reason: `the watch ended before attribution: ${unresolved.map(unresolvedWhy).join('; ')}`,
        kind: 'undecided',
      };
    } else if (escalated.length > 0) {
      decision = {
        decision: 'escalate',
        index: length - 1,
        reason: `a member escalated (${escalated.map((c) => `${c.service}: ${c.outcome?.reason ?? ''}`).join('; ')})`,
        kind: 'undecided',
      };
    }
  }
  const kind =
    decision === null ? 'healthy' : decision.decision === 'rollback' ? kindOf(cores) : decision.kind;
  const reason =
    decision === null
      ? 'no member regressed and no stable version degraded during the watch'
      : [`${kind}: ${decision.reason}`, ...afterwards].join('; ');

  const memberResults: Record<string, MemberJudgement> = {};
  for (const core of cores.values()) {
    memberResults[core.service] = {
      own: {
        decision: core.outcome?.decision ?? null,
        decidedAtIndex: core.outcome?.decidedAtIndex ?? null,
        reason: core.outcome?.reason ?? 'not decided when the release stopped watching',
        ...(core.outcome?.signal === undefined ? {} : { signal: core.outcome.signal }),
        ...(core.onset === null ? {} : { onsetIndex: core.onset }),
      },
      verdict: core.verdict,
      rolledBackAtIndex: core.rolledBackAtIndex,
      ...(core.explainedBy === undefined ? {} : { explainedBy: core.explainedBy }),
      ...(core.excess === undefined ? {} : { excess: core.excess }),
      ...(core.persistence === undefined ? {} : { persistence: core.persistence }),
    };
  }
  return {
    scenario: scenario.name,
    decision: decision?.decision ?? 'no-rollback',
    rollback,
    decidedAtIndex: decision?.index ?? null,
    reason,
    kind,
    mode,
    intervals: length,
    intervalSeconds: dt,
    members: memberResults,
    systemic: {
      tested: monitors.map((m) => ({
        service: m.service,
        inRelease: m.inRelease,
        signal: m.signal.name,
        degradedAtIndex: m.state.degradedAt,
        eValue: driftEValue(m.state),
        pastRate: m.state.shown.pastRate,
        rate: m.state.shown.rate,
      })),
      notTested,
    },
  };
}

/** Why a member that regressed is neither rolled back nor kept yet. */
function unresolvedWhy(core: Core): string {
  if (core.explainedBy !== undefined) {
    return `${core.service} regressed but ${list(core.explainedBy)} may cause it`;
  }
  return `${core.service} regressed but its extra failures since interval ${core.persistence?.fromIndex ?? '?'} are not shown to persist against its baseline's watch (e-value ${core.persistence?.eValue ?? '?'}, needs ${1 / CONFIRM_ALPHA})`;
}

function kindOf(cores: Map<string, Core>): ReleaseKind {
  return [...cores.values()].some((c) => c.verdict === 'explained') ? 'cascade' : 'isolated';
}

function systemicReason(degraded: Monitor[]): string {
  const described = degraded.map((m) => {
    const where = m.inRelease ? `${m.service}'s baseline` : `${m.service} (outside the release)`;
    return `${where} ${m.signal.name} ${percent(m.state.shown.pastRate)} → ${percent(m.state.shown.rate)}`;
  });
  return `stable versions degraded against their own past (${described.join(', ')}), so the release is not to blame; no automatic rollback, a person decides`;
}

function culpritReason(own: Core[], cores: Map<string, Core>): string {
  const parts = own.map((c) => {
    const explained = [...cores.values()].filter(
      (d) => d.verdict === 'explained' && d.explainedBy?.includes(c.service),
    );
    const dependents =
      explained.length > 0
        ? `; ${list(explained.map((d) => d.service))} only inherit${explained.length === 1 ? 's' : ''} it`
        : '';
    return `${c.service} regressed on its own (${c.outcome?.reason ?? ''})${dependents}`;
  });
  return `${parts.join('; ')}; rolling back ${list(own.map((c) => c.service))}`;
}
