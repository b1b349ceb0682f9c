import { LOG_ZERO, clampLog, logAddExp, logSumExp } from './log-space';

/**
 * Anytime-valid evidence against "no regression", built from per-interval
 * likelihood ratios.
 *
 * Each test supplies, for every interval, the log likelihood ratio of a small
 * grid of alternatives against the least favourable point of the null. Under
 * the null each ratio has conditional expectation at most 1, so its running
 * product is a nonnegative supermartingale; a mixture of such products with
 * weights summing to at most 1 is one too, and by Ville's inequality it ever
 * reaches 1/alpha with probability at most alpha. That is what lets the
 * guardian look after every interval without inflating false alarms
 * (Ramdas, Grünwald, Vovk, Shafer, "Game-theoretic statistics and safe
 * anytime-valid inference", Statistical Science 2023; Lindon & Malek,
 * "Anytime-valid inference for multinomial count data", NeurIPS 2022, which
 * mixes likelihood ratios over alternatives the same way, with a conjugate
 * prior where we use a discrete grid because the null changes with each
 * interval's traffic).
 *
 * Late onsets. A product started at the deploy is dragged down by every healthy
 * interval before a regression begins, so a regression late in a long watch
 * would need to undo all of that first. We therefore also mix over the start
 * time s of the product:
 *
 *     E_t = sum_k pi_k sum_{s<=t} w_s prod_{i=s..t} LR_k(i)
 *
 * updated in O(grid) per interval as R_k <- (R_k + w_t) * LR_k(t). E_t is
 * dominated by the process that also counts future starts at their weight,
 * sum_s w_s M_t^(s) with each M^(s) a test supermartingale (equal to 1 before
 * s); that process starts at sum_s w_s <= 1, so Ville still applies (the same
 * construction as the e-detectors of Shin, Ramdas & Rinaldo, "E-detectors: a
 * nonparametric framework for sequential change detection", 2023, but with
 * summable weights so that the bound holds for the whole deployment rather
 * than per unit of time). Weights may depend on anything seen before the
 * interval they apply to, which we use below.
 *
 * Start weights. A quarter of the budget goes to every informative interval
 * in turn (w = 1/(4(j+1)(j+2)) for the j-th), so a regression present from the
 * first interval pays little. Three quarters go only to intervals armed by the
 * data before them (w = 3/(4(j+1)(j+2)) for the j-th armed interval): the data
 * since the last arming, taken together, favour a regression (a CUSUM, see
 * stepEProcess). Under a healthy canary armings are rare, so their weights
 * stay large and a late regression pays a small price for its start instead of
 * ~2 log t; the price is the evidence that armed the start. Whether an
 * interval is armed is known before its data is seen, so the weights are
 * predictable, as the supermartingale needs.
 */
export interface EProcessState {
  /** log R_k per alternative: mass of all started products. */
  logR: number[];
  /** Informative intervals seen (index of the next "every interval" start). */
  starts: number;
  /** Armed intervals seen (index of the next armed start). */
  armedStarts: number;
  /** Whether the next informative interval starts an armed product. */
  armed: boolean;
  /** log of the CUSUM of the mixture likelihood ratio since the last arming (see stepEProcess). */
  suspicion: number;
}

export function emptyEProcess(alternatives: number): EProcessState {
  return {
    logR: new Array<number>(alternatives).fill(LOG_ZERO),
    starts: 0,
    armedStarts: 0,
    armed: false,
    suspicion: 0,
  };
}

/** Share of the start-weight budget that goes to armed intervals (most regressions start after the deploy's first interval). */
const ARMED_SHARE = 0.75;

function logStartWeight(j: number, share: number): number {
  return Math.log(share) - Math.log((j + 1) * (j + 2));
}

/**
 * Adds one informative interval. `logLR[k]` is the interval's log likelihood
 * ratio for alternative k. `armAt` is the log level at which the data since
 * the last arming, taken together, arm a start for the next interval: a
 * CUSUM (Page 1954) of the mixture log likelihood ratio, max(0, S + l_t), that
 * arms and restarts at 0 once it reaches `armAt`. One interval that leans
 * strongly arms at once (high traffic); at low traffic, where a single
 * interval holds one or two events, a few leaning intervals in a row do.
 * Under "no regression" S drifts down and rarely reaches `armAt`, so armed
 * starts stay few and keep large weights. The rule only looks at data before
 * the interval it arms, so the weights stay predictable.
 */
export function stepEProcess(state: EProcessState, logLR: readonly number[], armAt: number): EProcessState {
  let logW = logStartWeight(state.starts, 1 - ARMED_SHARE);
  if (state.armed) logW = logAddExp(logW, logStartWeight(state.armedStarts, ARMED_SHARE));
  const logR = state.logR.map((r, k) => clampLog(logAddExp(r, logW) + (logLR[k] ?? 0)));
  const cusum = Math.max(0, state.suspicion + logMixture(logLR));
  const armed = cusum >= armAt;
  return {
    logR,
    starts: state.starts + 1,
    armedStarts: state.armed ? state.armedStarts + 1 : state.armedStarts,
    armed,
    suspicion: armed ? 0 : cusum,
  };
}

/** log of the uniform mixture of the alternatives' likelihood ratios. */
function logMixture(logLR: readonly number[]): number {
  return logSumExp(logLR) - Math.log(Math.max(1, logLR.length));
}

/** log E_t with uniform weights over the alternatives. */
export function logEValue(state: EProcessState): number {
  const logPrior = -Math.log(state.logR.length);
  return logSumExp(state.logR.map((r) => r + logPrior));
}

/** Forgets all started products but keeps the weight counters, so the weights keep summing to at most 1. */
export function resetEProcess(state: EProcessState): EProcessState {
  return { ...state, logR: state.logR.map(() => LOG_ZERO), armed: false, suspicion: 0 };
}

/**
 * A plain mixture of products started at one fixed time (no start-time
 * mixing): the "fresh evidence" used to confirm a breach on data that arrived
 * after it. Its weights over the alternatives are fixed when it starts and may
 * be anything chosen from the data seen until then (they are predictable), so
 * we put half of them on what the breach itself found (the main test's
 * posterior over alternatives) and half uniformly: the confirmation then bets
 * mostly on the effect size that caused the breach, which makes a real
 * regression confirm sooner and a spike's healthy aftermath dismiss sooner.
 */
export interface FreshEvidence {
  logPrior: number[];
  /** log of the product of likelihood ratios since the start, per alternative. */
  logM: number[];
}

export function startFreshEvidence(main: EProcessState): FreshEvidence {
  const k = main.logR.length;
  const total = logSumExp(main.logR);
  // With no mass yet (never the case at a breach) the posterior is undefined: use uniform weights.
  const logPrior = main.logR.map((r) =>
    total <= LOG_ZERO ? -Math.log(k) : logAddExp(Math.log(0.5) + r - total, Math.log(0.5 / k)),
  );
  return { logPrior, logM: new Array<number>(k).fill(0) };
}

export function stepFreshEvidence(evidence: FreshEvidence, logLR: readonly number[]): FreshEvidence {
  return { ...evidence, logM: evidence.logM.map((m, k) => clampLog(m + (logLR[k] ?? 0))) };
}

export function logFreshValue(evidence: FreshEvidence): number {
  return logSumExp(evidence.logM.map((m, k) => m + (evidence.logPrior[k] ?? LOG_ZERO)));
}

/**
 * Moves what is left of a dismissed confirmation back into the main test, at
 * most an e-value of `logCap` in total. The confirmation's wealth is E times
 * F, split over the alternatives as E * prior_k * M_k; the main test's e-value
 * is the uniform average of its R_k, so alternative k gets K times its share.
 * Moving wealth between the parts of the gambler's wealth (and throwing part
 * of it away) keeps the whole a supermartingale, so the false-rollback bound
 * is unchanged; the allocation is fixed by data already seen.
 */
export function refundToMain(
  main: EProcessState,
  logCarried: number,
  fresh: FreshEvidence,
  logCap: number,
): EProcessState {
  const k = main.logR.length;
  const shares = fresh.logM.map((m, i) => logCarried + m + (fresh.logPrior[i] ?? LOG_ZERO));
  const logTotal = logSumExp(shares);
  const logScale = Math.min(0, logCap - logTotal);
  return {
    ...main,
    logR: main.logR.map((r, i) => clampLog(logAddExp(r, Math.log(k) + (shares[i] ?? LOG_ZERO) + logScale))),
  };
}
