import { formatDuration } from '../policy/explain';
import type { Signal } from '../policy/schema/signals';
import type { SignalProfile } from './learn';
import { ceilToTwoDigits, niceCeil, niceFloor, roundUpToStep } from './stats';

/**
 * From what the history says to the numbers a policy holds, each with the
 * sentence that justifies it. Pure: the same profiles give the same proposal.
 */

export interface Explained<T> {
  value: T;
  why: string;
}

export interface SignalProposal {
  signal: string;
  tolerance: { relative: number; absolute: number };
  why: string[];
  /** True when history does not set this tolerance: it stays as the policy writes it. */
  kept?: boolean;
}

export interface Proposal {
  signals: SignalProposal[];
  minRequestsPerGroup: Explained<number>;
  alpha: Explained<number>;
}

export interface ProposeOptions {
  /** Deployments of this service a week: how many chances for a false rollback. */
  deploysPerWeek: number;
  /** The canary's share of traffic (0..1) while it is judged. */
  canaryShare: number;
  /** How long a guardian watches. */
  watchSeconds: number;
}

/** The normal drift plus a quarter, so that an ordinary hour does not sit right at the edge. */
const DRIFT_MARGIN = 1.25;
/** Below these no tolerance is proposed: smaller effects are not worth a rollback (and count tests need room). */
const MIN_RELATIVE = { ratio: 0.2, value: 0.1 } as const;
/** A p99 of fewer requests is just their maximum; an error rate needs a few expected errors to say anything. */
const MIN_REQUESTS = 100;
const EXPECTED_ERRORS = 5;
/** At most one false rollback a quarter (13 weeks), whatever the deploy rate, within the schema's bounds. */
const WEEKS_PER_FALSE_ROLLBACK = 13;
const ALPHA_BOUNDS = { low: 0.001, high: 0.05 } as const;

const percent = (x: number, digits = 0) => `${(100 * x).toFixed(digits)}%`;

function stretchWord(seconds: number): string {
  return seconds === 3600 ? 'hour' : `${formatDuration(seconds)} stretch`;
}

export function proposeTolerance(signal: Signal, profile: SignalProfile): SignalProposal {
  if (signal.comparison === 'absolute') {
    return {
      signal: signal.name,
      tolerance: { ...signal.tolerance },
      why: [
        `${signal.name} is judged against its own threshold (comparison: absolute), which is a promise to users, ` +
          `not something history should move: its tolerance is kept as it is.`,
      ],
      kept: true,
    };
  }
  if (signal.kind === 'histogram' || profile.kind === 'histogram') {
    return {
      signal: signal.name,
      tolerance: { ...signal.tolerance },
      why: [
        `${signal.name} is a histogram signal: it compares the canary's share of requests slower than bounds ` +
          `chosen from the baseline's own data during the deployment with the baseline's share at the same time, ` +
          `so its tolerance is relative and needs no level or threshold learned from history. Its buckets were ` +
          `not read; its tolerance is kept as the policy writes it (the canary's share may be up to ` +
          `${percent(signal.tolerance.relative)} higher than the baseline's before it counts).`,
      ],
      kept: true,
    };
  }
  const floor = profile.kind === 'ratio' ? MIN_RELATIVE.ratio : MIN_RELATIVE.value;
  const stretch = stretchWord(profile.stretchSeconds);
  const drift = profile.relativeDrift;
  const relative = Math.min(100, Math.max(floor, roundUpToStep(drift * DRIFT_MARGIN, 0.05)));
  const what = profile.kind === 'ratio' ? `the error rate (${percent(profile.rate, 2)} on average)` : 'it';
  const why: string[] = [];
  if (profile.stretches < 2) {
    why.push(
      `${signal.name}: the window holds a single ${stretch}, so there is no drift to learn from; ` +
        `relative tolerance ${percent(relative)}, the smallest ripcord proposes for a ${profile.kind === 'ratio' ? 'ratio' : 'value'} signal.`,
    );
  } else {
    const measured =
      `${signal.name}: ${what} varies ±${percent(drift)} from one ${stretch} to the next ` +
      `(95th percentile of the relative change over ${profile.stretches} ${stretch === 'hour' ? 'hours' : `${stretch}es`})`;
    why.push(
      relative > floor
        ? `${measured}, so a relative tolerance of ${percent(relative)} (that drift plus a quarter, rounded up to 5%) ` +
            `keeps ordinary drift from counting as a regression: the canary must be more than ${percent(relative)} ` +
            `worse than the baseline before it counts.`
        : `${measured}; a relative tolerance of ${percent(relative)}, the smallest ripcord proposes, is wider than that ` +
            `drift: the canary must be more than ${percent(relative)} worse than the baseline before it counts.`,
    );
  }
  let absolute = 0;
  if (profile.kind === 'ratio') {
    absolute = niceCeil(profile.absoluteDrift);
    why.push(
      absolute > 0
        ? `The rate moves by up to ${percent(profile.absoluteDrift, 3)} (percentage points, 95th percentile) ` +
            `from one ${stretch} to the next, so an absolute tolerance of ${absolute}: a difference smaller ` +
            `than that is not acted on, however large it is relative to a tiny baseline.`
        : `The rate did not move between ${stretch}s, so no absolute tolerance (0).`,
    );
  } else {
    why.push(
      `One interval's value wobbles by about ±${percent(profile.intervalNoise)} around its ${stretch}'s median ` +
        `(standard deviation on the log scale); the decision counts intervals where the canary is worse than ` +
        `the baseline beyond the tolerance, so that wobble cancels out and no absolute tolerance is added (0).`,
    );
  }
  return { signal: signal.name, tolerance: { relative, absolute }, why };
}

export function proposeMinRequests(
  profiles: readonly SignalProfile[],
  opts: ProposeOptions,
): Explained<number> {
  const ratio = profiles.find((p) => p.kind === 'ratio');
  const rps = [...profiles.map((p) => p.requestsPerSecond)].find(Number.isFinite);
  let value = MIN_REQUESTS;
  let why: string;
  if (ratio !== undefined && ratio.rate > 0) {
    value = Math.min(1_000_000, ceilToTwoDigits(Math.max(MIN_REQUESTS, EXPECTED_ERRORS / ratio.rate)));
    why =
      `At ${percent(ratio.rate, 2)} errors, ${value} requests hold about ${(value * ratio.rate).toFixed(0)} errors ` +
      `(at least ${EXPECTED_ERRORS} are needed before an error rate says anything, and a p99 needs ${MIN_REQUESTS} requests), ` +
      `so each group needs ${value} requests before any verdict.`;
  } else {
    why =
      `${ratio === undefined ? 'No error-rate signal' : 'No errors in the window'}: ${value} requests per group, ` +
      `the fewest over which a p99 is more than the single slowest request.`;
  }
  if (rps !== undefined && rps > 0) {
    const canaryRps = rps * opts.canaryShare;
    const seconds = Math.ceil(value / canaryRps);
    const share = percent(opts.canaryShare);
    why +=
      ` The service serves about ${rps.toFixed(1)} requests/s, so a canary at ${share} reaches that in ` +
      `about ${formatDuration(seconds)}` +
      (seconds > opts.watchSeconds / 4
        ? `: a large part of the ${formatDuration(opts.watchSeconds)} watch, so expect "inconclusive" until then.`
        : '.');
  }
  return { value, why };
}

export function proposeAlpha(opts: ProposeOptions): Explained<number> {
  const raw = 1 / (WEEKS_PER_FALSE_ROLLBACK * opts.deploysPerWeek);
  const value = Math.min(ALPHA_BOUNDS.high, Math.max(ALPHA_BOUNDS.low, niceFloor(raw)));
  const oneIn = Math.round(1 / value);
  const perQuarter = WEEKS_PER_FALSE_ROLLBACK * opts.deploysPerWeek;
  return {
    value,
    why:
      `alpha ${value} bounds the chance of rolling back a healthy deployment to 1 in ${oneIn}. ` +
      `At ${opts.deploysPerWeek} deployments a week (${perQuarter} a quarter) that is ` +
      `${value * perQuarter < 1.05 ? 'at most about one' : `about ${(value * perQuarter).toFixed(1)}`} false rollback a quarter` +
      (value === ALPHA_BOUNDS.low && raw < ALPHA_BOUNDS.low
        ? ` (the smallest alpha ripcord proposes: smaller ones make real regressions slow to confirm).`
        : value === ALPHA_BOUNDS.high && raw > ALPHA_BOUNDS.high
          ? ` or fewer (the largest alpha ripcord proposes).`
          : '; a smaller alpha would make real regressions slower to confirm.'),
  };
}

export function propose(
  signals: readonly Signal[],
  profiles: readonly SignalProfile[],
  opts: ProposeOptions,
): Proposal {
  return {
    signals: signals.map((signal, i) => proposeTolerance(signal, profiles[i]!)),
    minRequestsPerGroup: proposeMinRequests(profiles, opts),
    alpha: proposeAlpha(opts),
  };
}
