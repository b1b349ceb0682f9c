/**
 * The decision core's own configuration. It mirrors the policy's `signals` and
 * `evaluation` sections with every default already applied, but is a plain
 * type: the core never imports the policy module (docs/architecture.md §2), so a policy is
 * mapped onto this shape outside the core (src/policy/decision-config.ts).
 */

export type Direction = 'higher-is-worse' | 'lower-is-worse';
export type Comparison = 'vs-baseline' | 'absolute' | 'before-after';

export interface Tolerance {
  /** Smallest relative effect worth acting on, e.g. 0.2 = the canary must be 20% worse. */
  relative: number;
  /** Smallest absolute effect worth acting on, in the signal's unit (a rate, ms, a value). */
  absolute: number;
}

interface SignalCommon {
  name: string;
  direction: Direction;
  comparison: Comparison;
  /** Required when comparison is `absolute`. */
  threshold?: number;
  tolerance: Tolerance;
  /** A confirmed regression of a critical signal rolls back; of any other signal it escalates. */
  critical: boolean;
}

/** A proportion of events, e.g. errors / requests, read from two count series. */
export interface RatioSignalConfig extends SignalCommon {
  kind: 'ratio';
  numerator: string;
  denominator: string;
}

/** One value per interval and group (a p99 in ms, a saturation level, a probe result). */
export interface ValueSignalConfig extends SignalCommon {
  kind: 'latency' | 'gauge' | 'probe';
  series: string;
  /** Optional series counting the events behind each value (requests behind a p99). */
  weight?: string;
}

/**
 * Latency judged on a histogram's counts (decision/histogram.ts): for every
 * bound B the series `<buckets>_le_<B>` holds the requests of the interval that
 * took at most B (cumulative), and `total` holds all requests.
 */
export interface HistogramSignalConfig extends SignalCommon {
  kind: 'histogram';
  buckets: string;
  total: string;
}

export type SignalConfig = RatioSignalConfig | ValueSignalConfig | HistogramSignalConfig;

/** Signals whose evidence is event counts among requests (errors, or requests slower than a bound). */
export function countsEvents(signal: SignalConfig): signal is RatioSignalConfig | HistogramSignalConfig {
  return signal.kind === 'ratio' || signal.kind === 'histogram';
}

export interface DecisionConfig {
  intervalSeconds: number;
  warmupSeconds: number;
  /** Bound on the probability of a false rollback per deployment, split evenly across signals. */
  alpha: number;
  confirmationWindowSeconds: number;
  minRequestsPerGroup: number;
  maxInconclusiveSeconds: number;
  missingData: {
    maxGapSeconds: number;
    /**
     * What a long gap does. `escalate`: any group silent for longer than
     * maxGapSeconds escalates. `hold`: a metrics outage (both groups silent, or
     * the baseline alone) holds the decision and counts as inconclusive time;
     * a canary that alone goes silent while the baseline reports still
     * escalates, because holding there would quietly ignore a canary that may
     * be down.
     */
    onLongGap: 'escalate' | 'hold';
  };
  signals: SignalConfig[];
  /**
   * The rule before a watch needed evidence of health to promote: true lets a
   * watch that ends without a decision promote whatever it saw. Absent means
   * false, and the guardian never sets it; the report runs the core both ways
   * to say why a promoted watch was inconclusive (report/evidence-gap.ts).
   */
  promoteWithoutEvidence?: boolean;
}

/** Every series name the signals read, in a stable order. */
export function seriesUsedBy(signal: SignalConfig): string[] {
  if (signal.kind === 'ratio') return [signal.numerator, signal.denominator];
  if (signal.kind === 'histogram') return [signal.buckets, signal.total];
  return signal.weight === undefined ? [signal.series] : [signal.series, signal.weight];
}

/**
 * Problems that make a configuration unusable. The policy schema already
 * rejects these; the core checks again because it is also called directly
 * (tests, the benchmark) and must never guess.
 */
/** The largest alpha a policy may set: past it a "bound" on false rollbacks stops meaning much. */
export const MAX_ALPHA = 0.2;

export function configProblems(config: DecisionConfig): string[] {
  const problems: string[] = [];
  const positive = (value: number, field: string) => {
    if (!(Number.isFinite(value) && value > 0)) problems.push(`${field} must be a positive number`);
  };
  const nonNegative = (value: number, field: string) => {
    if (!(Number.isFinite(value) && value >= 0)) problems.push(`${field} must be zero or more`);
  };
  positive(config.intervalSeconds, 'intervalSeconds');
  nonNegative(config.warmupSeconds, 'warmupSeconds');
  if (!(config.alpha > 0 && config.alpha <= MAX_ALPHA)) problems.push(`alpha must be in (0, ${MAX_ALPHA}]`);
  nonNegative(config.confirmationWindowSeconds, 'confirmationWindowSeconds');
  positive(config.minRequestsPerGroup, 'minRequestsPerGroup');
  positive(config.maxInconclusiveSeconds, 'maxInconclusiveSeconds');
  positive(config.missingData.maxGapSeconds, 'missingData.maxGapSeconds');
  if (config.signals.length === 0) problems.push('at least one signal is needed');
  const names = new Set<string>();
  config.signals.forEach((signal, i) => {
    if (names.has(signal.name)) problems.push(`signals.${i}.name "${signal.name}" is used twice`);
    names.add(signal.name);
    if (signal.comparison === 'absolute' && !Number.isFinite(signal.threshold)) {
      problems.push(`signals.${i}.threshold is required when comparison is absolute`);
    }
    if (signal.kind === 'ratio' && signal.comparison === 'absolute') {
      const t = signal.threshold ?? NaN;
      if (!(t > 0 && t < 1)) problems.push(`signals.${i}.threshold must be a rate in (0, 1) for a ratio`);
    }
    if (signal.kind === 'histogram' && signal.comparison === 'absolute') {
      problems.push(`signals.${i}.comparison: a histogram signal compares the canary with a reference group`);
    }
    nonNegative(signal.tolerance.relative, `signals.${i}.tolerance.relative`);
    nonNegative(signal.tolerance.absolute, `signals.${i}.tolerance.absolute`);
  });
  return problems;
}
