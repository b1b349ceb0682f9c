/**
 * The pure decision core (docs/architecture.md §3): no I/O, no imports from the rest of
 * ripcord. The guardian workflow, `ripcord simulate` and the benchmark all
 * call these functions.
 */
export type {
  Comparison,
  DecisionConfig,
  Direction,
  HistogramSignalConfig,
  RatioSignalConfig,
  SignalConfig,
  Tolerance,
  ValueSignalConfig,
} from './config';
export { configProblems, countsEvents, MAX_ALPHA, seriesUsedBy } from './config';
export { bucketBound, bucketBounds, bucketSeries, TAIL_SHARES } from './histogram';
export { histogramQuantile, observedQuantile, type CumulativeBucket } from './quantile';
export type { Observation, SeriesReading } from './observation';
export type {
  DecisionCause,
  DecisionKind,
  DecisionOutcome,
  IntervalVerdict,
  SignalEvidence,
  SignalVerdict,
  VerdictKind,
} from './verdict';
export {
  evaluateInterval,
  finishWatch,
  watchEvidence,
  type SignalWatchEvidence,
  initialDecisionState,
  InvalidDecisionConfig,
  alphaWithoutEffect,
  type DecisionState,
  type StepResult,
} from './engine';
export { CONFIRM_ALPHA, DISMISS_LEVEL, confirmationPlan } from './confirmation';
