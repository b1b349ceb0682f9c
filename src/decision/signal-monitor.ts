import { countsEvents, type SignalConfig } from './config';
import type { BaselineTail } from './histogram';
import { checkFreshEvidence, type ConfirmationPlan } from './confirmation';
import {
  ZERO_COUNTS,
  absoluteNullRate,
  addCounts,
  type IntervalCounts,
  type SignalReading,
} from './readings';
import {
  emptyEProcess,
  logEValue,
  logFreshValue,
  refundToMain,
  resetEProcess,
  startFreshEvidence,
  stepEProcess,
  stepFreshEvidence,
  type EProcessState,
  type FreshEvidence,
} from './stats/e-process';
import type { SignalEvidence, SignalVerdict } from './verdict';

/**
 * One signal's sequential test and confirmation, one interval at a time.
 * Everything here is plain data of constant size, so it can live in workflow
 * history and cross continue-as-new.
 */
export interface SignalMonitorState {
  evidence: EProcessState;
  /** Counts since the test was last reset (shown as evidence). */
  sinceReset: IntervalCounts;
  /** Events per group since the watch started (minimum-traffic rule). */
  traffic: { canary: number; reference: number };
  alignedIntervals: number;
  /**
   * Intervals whose reading failed (a source error), for the watch's end.
   * Absent in states carried from guardians started before it was counted.
   */
  errorIntervals?: number;
  confirming: Confirming | null;
  confirmedAtIndex: number | null;
  dismissals: number;
  /** Histogram signals: what the baseline has shown so far (which bounds to watch next). */
  baselineTail?: BaselineTail;
}

interface Confirming {
  breachIndex: number;
  /** Last interval of the grace period. */
  graceUntil: number;
  /** First interval at which the fresh evidence may decide (the first after the grace). */
  decideFrom: number;
  /**
   * log of the main test's e-value at the end of the grace, moved into this
   * confirmation (the main test restarts from its unspent start weights).
   * Null during the grace.
   */
  logCarried: number | null;
  /** The bet of the carried evidence on data after the grace (null during the grace). */
  fresh: FreshEvidence | null;
  /**
   * Evidence that the regression persists, since the breach: capped at 1 per
   * interval during the grace (a spike's tail never counts for it, healthy
   * data count against it), full after it.
   */
  persist: FreshEvidence;
  freshCounts: IntervalCounts;
}

export interface SignalMonitorParams {
  signal: SignalConfig;
  alternatives: number;
  /** log of the e-value at which the test breaches and a confirmation opens. */
  logThreshold: number;
  /** log(1 / the signal's share of alpha): carried times fresh evidence must reach it to roll back. */
  logRollback: number;
  /** CUSUM level that arms a start (see stepEProcess). */
  armAt: number;
  plan: ConfirmationPlan;
  minTrafficPerGroup: number;
}

export function initialSignalState(alternatives: number): SignalMonitorState {
  return {
    evidence: emptyEProcess(alternatives),
    sinceReset: ZERO_COUNTS,
    traffic: { canary: 0, reference: 0 },
    alignedIntervals: 0,
    errorIntervals: 0,
    confirming: null,
    confirmedAtIndex: null,
    dismissals: 0,
  };
}

export function stepSignal(
  params: SignalMonitorParams,
  state: SignalMonitorState,
  reading: SignalReading,
  index: number,
): { state: SignalMonitorState; verdict: SignalVerdict } {
  if (state.confirmedAtIndex !== null) {
    return { state, verdict: verdictOf(params, state, 'regressed', 'regression confirmed') };
  }
  let next = state;
  if (reading.traffic !== null) {
    next = {
      ...next,
      traffic: {
        canary: next.traffic.canary + reading.traffic.canary,
        reference: next.traffic.reference + reading.traffic.reference,
      },
    };
  }
  if (reading.status === 'error' && next.errorIntervals !== undefined) {
    next = { ...next, errorIntervals: next.errorIntervals + 1 };
  }
  if (reading.status === 'aligned') {
    next = {
      ...next,
      alignedIntervals: next.alignedIntervals + 1,
      sinceReset: addCounts(next.sinceReset, reading.counts),
      ...(reading.baselineTail ? { baselineTail: reading.baselineTail } : {}),
      evidence: reading.logLR ? stepEProcess(next.evidence, reading.logLR, params.armAt) : next.evidence,
    };
  }

  if (next.confirming !== null) return continueConfirming(params, next, reading, index);

  if (reading.status !== 'aligned') {
    const verdict = reading.status === 'error' ? 'error' : 'inconclusive';
    return { state: next, verdict: verdictOf(params, next, verdict, reading.detail) };
  }
  if (!enoughTraffic(params, next)) {
    return { state: next, verdict: verdictOf(params, next, 'inconclusive', lowTrafficReason(params, next)) };
  }
  if (params.plan.windowIntervals === 0) {
    if (logEValue(next.evidence) < params.logRollback) {
      return { state: next, verdict: verdictOf(params, next, 'healthy', 'no evidence of a regression') };
    }
    if (effectLargeEnough(params.signal, next.sinceReset)) {
      next = { ...next, confirmedAtIndex: index };
      return {
        state: next,
        verdict: verdictOf(params, next, 'regressed', 'breach (no confirmation window)'),
      };
    }
    next = { ...dismiss(next), evidence: resetEProcess(next.evidence), sinceReset: ZERO_COUNTS };
    return {
      state: next,
      verdict: verdictOf(params, next, 'healthy', 'breach below the absolute tolerance, ignored'),
    };
  }
  if (logEValue(next.evidence) < params.logThreshold) {
    return { state: next, verdict: verdictOf(params, next, 'healthy', 'no evidence of a regression') };
  }
  // Breach: the grace period starts; the main test keeps collecting through it.
  const graceUntil = index + params.plan.graceIntervals;
  next = {
    ...next,
    confirming: {
      breachIndex: index,
      graceUntil,
      decideFrom: graceUntil + 1,
      logCarried: null,
      fresh: null,
      persist: startFreshEvidence(next.evidence),
      freshCounts: ZERO_COUNTS,
    },
  };

  return { state: next, verdict: verdictOf(params, next, 'regressed', 'breach: confirming on fresh data') };
}

function continueConfirming(
  params: SignalMonitorParams,
  state: SignalMonitorState,
  reading: SignalReading,
  index: number,
): { state: SignalMonitorState; verdict: SignalVerdict } {
  let confirming = state.confirming as Confirming;
  const inGrace = index <= confirming.graceUntil;
  if (reading.status === 'aligned' && reading.logLR !== null) {
    const logLR = inGrace ? reading.logLR.map((v) => Math.min(v, 0)) : reading.logLR;
    confirming = { ...confirming, persist: stepFreshEvidence(confirming.persist, logLR) };
    if (!inGrace && confirming.fresh !== null) {
      confirming = { ...confirming, fresh: stepFreshEvidence(confirming.fresh, reading.logLR) };
    }
  }
  if (inGrace) {
    let updated: SignalMonitorState = { ...state, confirming };
    if (logEValue(state.evidence) < params.logThreshold) {
      // The evidence that opened the grace has fallen below the breach level
      // again (a lucky run of noise): the breach is dropped, nothing is moved
      // and the main test goes on. A spike that starts later breaches anew,
      // so its grace is counted from its own breach.
      updated = dismiss(updated);
      return {
        state: updated,
        verdict: verdictOf(params, updated, 'healthy', 'breach faded during the grace period'),
      };
    }
    if (index === confirming.graceUntil) {
      // End of the grace: the main test's evidence (the breach and whatever
      // the grace added or took away) is carried into the confirmation, and
      // the fresh evidence starts on the next interval. The main test
      // restarts, so nothing from before here can breach again.
      updated = {
        ...updated,
        evidence: resetEProcess(state.evidence),
        sinceReset: ZERO_COUNTS,
        confirming: {
          ...confirming,
          logCarried: logEValue(state.evidence),
          fresh: startFreshEvidence(state.evidence),
        },
      };
    }
    return {
      state: updated,
      verdict: verdictOf(params, updated, 'regressed', 'breach: grace period of the confirmation'),
    };
  }
  let next: Confirming = confirming;
  if (reading.status === 'aligned') {
    next = { ...next, freshCounts: addCounts(next.freshCounts, reading.counts) };
  }
  let updated: SignalMonitorState = { ...state, confirming: next };
  const logFresh = next.fresh === null ? 0 : logFreshValue(next.fresh);
  const check = checkFreshEvidence(
    logFreshValue(next.persist),
    (next.logCarried ?? 0) + logFresh,
    params.logRollback,
  );
  if (check === 'confirm') {
    if (effectLargeEnough(params.signal, next.freshCounts)) {
      updated = { ...updated, confirmedAtIndex: index };
      return {
        state: updated,
        verdict: verdictOf(params, updated, 'regressed', 'regression confirmed on data after the breach'),
      };
    }
    updated = dismiss(updated);
    return {
      state: updated,
      verdict: verdictOf(
        params,
        updated,
        'healthy',
        'confirmed effect is below the absolute tolerance, dismissed',
      ),
    };
  }
  if (check === 'dismiss') {
    updated = dismiss(refundConfirmation(params, updated, next));
    return {
      state: updated,
      verdict: verdictOf(
        params,
        updated,
        'healthy',
        'breach not seen again after it: dismissed as transient',
      ),
    };
  }
  return {
    state: updated,
    verdict: verdictOf(params, updated, 'regressed', 'breach: fresh data not yet decisive'),
  };
}

/**
 * Ends a confirmation without a rollback. The main test already restarted at
 * the end of the grace, so the spike's own evidence cannot breach again; what
 * it collected since then (data after the grace) stays, and a dismissal after
 * the grace adds a capped refund to it (refundConfirmation).
 */
function dismiss(state: SignalMonitorState): SignalMonitorState {
  return { ...state, confirming: null, dismissals: state.dismissals + 1 };
}

/**
 * A dismissed confirmation still holds wealth (carried times fresh evidence).
 * Throwing it away, as a dismissal did before, left the restarted main test
 * with only its late, small start weights, so a regression whose data after
 * the breach happened to look quiet for a while needed orders of magnitude of
 * new evidence to breach again. Returning at most REFUND_SHARE of the breach
 * level keeps the refund below the breach (a transient's aftermath does not
 * breach again by itself) while a regression that goes on breaches again soon.
 */
const REFUND_SHARE = 0.5;

function refundConfirmation(
  params: SignalMonitorParams,
  state: SignalMonitorState,
  confirming: Confirming,
): SignalMonitorState {
  if (confirming.logCarried === null || confirming.fresh === null) return state;
  const logCap = params.logThreshold + Math.log(REFUND_SHARE);
  return {
    ...state,
    evidence: refundToMain(state.evidence, confirming.logCarried, confirming.fresh, logCap),
  };
}

/**
 * Whether the signal has seen enough to judge: aligned data, and the policy's
 * minimum traffic per group where it counts traffic. Before that its verdicts
 * are inconclusive; a watch that ends before it cannot promote (engine.ts).
 */
export function enoughTraffic(params: SignalMonitorParams, state: SignalMonitorState): boolean {
  if (state.alignedIntervals === 0) return false;
  const countsTraffic =
    countsEvents(params.signal) || ('weight' in params.signal && params.signal.weight !== undefined);
  if (!countsTraffic) return true;
  const min = params.minTrafficPerGroup;
  if (params.signal.comparison === 'absolute') return state.traffic.canary >= min;
  return state.traffic.canary >= min && state.traffic.reference >= min;
}

function lowTrafficReason(params: SignalMonitorParams, state: SignalMonitorState): string {
  if (state.alignedIntervals === 0) return 'no aligned data yet';
  return `too little traffic so far (canary ${state.traffic.canary}, baseline ${state.traffic.reference}, need ${params.minTrafficPerGroup} each)`;
}

/**
 * The absolute tolerance of a two-group ratio: a relative effect that is tiny
 * in absolute terms (0.01% to 0.02%) is not worth a rollback. It only ever
 * blocks a rollback, so it cannot add false ones.
 */
function effectLargeEnough(signal: SignalConfig, counts: IntervalCounts): boolean {
  if (signal.kind !== 'ratio' || signal.comparison === 'absolute') return true;
  if (counts.canaryTrials === 0 || counts.referenceTrials === 0) return true;
  const difference =
    counts.canaryEvents / counts.canaryTrials - counts.referenceEvents / counts.referenceTrials;
  return difference >= signal.tolerance.absolute;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** An e-value for people: exp of the log, kept finite for JSON. */
function eValue(logE: number): number {
  return Number(Math.exp(Math.min(logE, 690)).toPrecision(3));
}

function evidenceOf(params: SignalMonitorParams, state: SignalMonitorState): SignalEvidence {
  const { signal } = params;
  const c = state.sinceReset;
  const confirmingLog =
    state.confirming?.logCarried === null || state.confirming === null
      ? null
      : state.confirming.logCarried +
        (state.confirming.fresh === null ? 0 : logFreshValue(state.confirming.fresh));
  const evidence: SignalEvidence = {
    // While a confirmation holds the carried evidence, that is the test's e-value.
    eValue: eValue(confirmingLog ?? logEValue(state.evidence)),
    threshold: eValue(params.plan.windowIntervals === 0 ? params.logRollback : params.logThreshold),
  };
  if (signal.kind === 'histogram') {
    // Requests slower than the watched shoulder bound (about the baseline's p90), canary against baseline.
    evidence.counts = {
      canary: [c.canaryEvents, c.canaryTrials],
      reference: [c.referenceEvents, c.referenceTrials],
    };
    evidence.bound = round(1 + signal.tolerance.relative, 4);
    if (c.canaryTrials > 0 && c.referenceTrials > 0 && c.referenceEvents > 0) {
      evidence.estimate = round(c.canaryEvents / c.canaryTrials / (c.referenceEvents / c.referenceTrials), 3);
    }
  } else if (signal.kind === 'ratio') {
    evidence.counts = {
      canary: [c.canaryEvents, c.canaryTrials],
      ...(signal.comparison === 'absolute' ? {} : { reference: [c.referenceEvents, c.referenceTrials] }),
    };
    if (signal.comparison === 'absolute') {
      evidence.bound = round(absoluteNullRate(signal), 6);
      if (c.canaryTrials > 0) evidence.estimate = round(c.canaryEvents / c.canaryTrials, 6);
    } else {
      evidence.bound = round(1 + signal.tolerance.relative, 4);
      if (c.canaryTrials > 0 && c.referenceTrials > 0 && c.referenceEvents > 0) {
        evidence.estimate = round(
          c.canaryEvents / c.canaryTrials / (c.referenceEvents / c.referenceTrials),
          3,
        );
      }
    }
  } else {
    evidence.badIntervals = [c.bad, c.intervals];
    evidence.bound = 0.5;
    if (c.intervals > 0) evidence.estimate = round(c.bad / c.intervals, 3);
  }
  const confirming = state.confirming;
  if (confirming !== null) {
    evidence.confirmation = {
      breachIndex: confirming.breachIndex,
      decideFrom: confirming.decideFrom,
      freshEValue: eValue(logFreshValue(confirming.persist)),
    };
  }
  if (state.dismissals > 0) evidence.dismissedBreaches = state.dismissals;
  return evidence;
}

function verdictOf(
  params: SignalMonitorParams,
  state: SignalMonitorState,
  verdict: SignalVerdict['verdict'],
  reason: string,
): SignalVerdict {
  const phase =
    state.confirmedAtIndex !== null ? 'confirmed' : state.confirming !== null ? 'confirming' : 'watching';
  return { signal: params.signal.name, verdict, phase, reason, evidence: evidenceOf(params, state) };
}

/** First interval at which a pending breach of this signal could have been decided, or null if none is pending. */
export function pendingSince(state: SignalMonitorState): number | null {
  return state.confirming?.decideFrom ?? null;
}

/** Whether the data since a pending breach leans towards the regression (fresh e-value of at least 1). */
export function pendingLeansRegressed(state: SignalMonitorState): boolean {
  return state.confirming !== null && logFreshValue(state.confirming.persist) >= 0;
}
