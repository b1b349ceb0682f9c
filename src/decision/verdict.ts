/** What the core says about one interval, and what it finally decides. Small enough for workflow history. */

export type VerdictKind = 'healthy' | 'regressed' | 'inconclusive' | 'error';
export type DecisionKind = 'rollback' | 'escalate' | 'no-rollback';

export interface SignalEvidence {
  /** The anytime-valid e-value against "no regression" (a breach when it reaches `threshold`). */
  eValue: number;
  /** The e-value at which the test breaches (1 / breach level, see breachLevel in engine.ts). */
  threshold: number;
  /**
   * The edge of "no regression": the rate ratio 1 + tolerance (vs-baseline and
   * before-after ratios), the worst acceptable rate (absolute ratios), or the
   * largest null probability of a bad interval (value signals, 0.5).
   */
  bound?: number;
  /** Point estimate matching `bound`: rate ratio, canary rate, or share of bad intervals. */
  estimate?: number;
  /** [events, trials] since the test last restarted. */
  counts?: { canary: [number, number]; reference?: [number, number] };
  /** [bad, aligned] intervals since the test last restarted. */
  badIntervals?: [number, number];
  confirmation?: { breachIndex: number; decideFrom: number; freshEValue: number };
  /** Breaches dismissed as transients so far. */
  dismissedBreaches?: number;
}

export interface SignalVerdict {
  signal: string;
  verdict: VerdictKind;
  phase: 'watching' | 'confirming' | 'confirmed';
  reason: string;
  evidence: SignalEvidence;
}

export interface IntervalVerdict {
  index: number;
  verdict: VerdictKind;
  reason: string;
  signals: SignalVerdict[];
}

/**
 * Why the core decided, as a code for programs (metrics, reports, audit
 * details); `reason` says the same for people and is never parsed.
 * - regression: a critical signal's regression was confirmed (rollback);
 * - advisory-regression: a non-critical signal's regression was confirmed;
 * - canary-silent: the canary reports nothing while the baseline does;
 * - no-data: no data for longer than the policy allows;
 * - inconclusive: inconclusive for longer than the policy allows;
 * - breach-unresolved: a breach could be neither confirmed nor dismissed in time;
 * - breach-pending-at-end: the watch ended while a breach was still being confirmed;
 * - no-evidence: the watch ended without evidence of health (missing data, too little traffic);
 * - healthy: the watch ended without a confirmed regression (no-rollback).
 */
export type DecisionCause =
  | 'regression'
  | 'advisory-regression'
  | 'canary-silent'
  | 'no-data'
  | 'inconclusive'
  | 'breach-unresolved'
  | 'breach-pending-at-end'
  | 'no-evidence'
  | 'healthy';

export interface DecisionOutcome {
  decision: DecisionKind;
  /** Interval at which the guardian would act (every wait included), or null when the watch simply ended. */
  decidedAtIndex: number | null;
  reason: string;
  /** Why, as a code. The core always sets it; absent in outcomes recorded before it did. */
  cause?: DecisionCause;
  /** The signal that caused it, when one did. */
  signal?: string;
}
