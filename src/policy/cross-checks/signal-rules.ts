import { QUERY_PLACEHOLDERS } from '../schema/sources';
import type { Signal } from '../schema/signals';
import { duplicateNames, type CrossIssue, type CrossRule } from './issue';
import type { PolicyView } from './view';

const knownPlaceholders: ReadonlySet<string> = new Set(QUERY_PLACEHOLDERS);
const placeholderPattern = /\{\{\s*([^}]*?)\s*\}\}/g;

const queryPlaceholdersKnown: CrossRule = ({ series }) =>
  series.flatMap(([name, s]) =>
    [...s.query.matchAll(placeholderPattern)]
      .map((match) => match[1] ?? '')
      .filter((placeholder) => !knownPlaceholders.has(placeholder))
      .map((placeholder) => ({
        path: ['series', name, 'query'],
        message: `uses the unknown placeholder {{${placeholder}}}`,
        expected: `placeholders among ${QUERY_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
        found: `{{${placeholder}}}`,
      })),
  );

const ratioOfDistinctSeries: CrossRule = ({ signals }) =>
  signals
    .filter(({ value }) => value.kind === 'ratio' && value.numerator === value.denominator)
    .map(({ index }) => ({
      path: ['signals', index, 'denominator'],
      message: 'is the same series as the numerator, so the ratio is always 1',
      expected: 'a series different from the numerator',
    }));

function thresholdIssue(signal: Signal, index: number): CrossIssue | undefined {
  const path = ['signals', index, 'threshold'];
  // A histogram signal never has a threshold of its own; comparison: absolute is refused by histogramSignalsFit.
  if (signal.kind === 'histogram') {
    if (signal.comparison === 'absolute' || signal.threshold === undefined) return undefined;
    return {
      path,
      message:
        'is not used by a histogram signal: it compares the canary with the other group by its tolerance; ' +
        "a recovery target's threshold (the p99 in ms estimated from the buckets) belongs under recovery.targets",
      expected: 'no threshold',
    };
  }
  if (signal.comparison === 'absolute' && signal.threshold === undefined) {
    return { path, message: 'is required when comparison is "absolute"', expected: thresholdMeaning(signal) };
  }
  if (signal.comparison !== 'absolute' && signal.threshold !== undefined) {
    return {
      path,
      message: `is used only with comparison "absolute"; a "${signal.comparison}" signal is judged against the other group with its tolerance`,
      expected: 'no threshold (or comparison: absolute)',
    };
  }
  if (signal.threshold === undefined) return undefined;
  if (signal.kind === 'ratio' && (signal.threshold < 0 || signal.threshold > 1)) {
    return { path, message: 'is a rate, so it lies between 0 and 1', expected: thresholdMeaning(signal) };
  }
  if (signal.kind === 'latency' && signal.threshold <= 0) {
    return { path, message: 'is a latency, so it is greater than 0', expected: thresholdMeaning(signal) };
  }
  return undefined;
}

function thresholdMeaning(signal: Signal): string {
  switch (signal.kind) {
    case 'ratio':
      return 'a rate between 0 and 1 (0.02 means 2%)';
    case 'latency':
      return 'a latency in milliseconds, greater than 0';
    default:
      return 'a number in the unit of the series';
  }
}

const thresholdMatchesComparison: CrossRule = ({ signals }) =>
  signals.flatMap(({ index, value }) => {
    const issue = thresholdIssue(value, index);
    return issue === undefined ? [] : [issue];
  });

const HISTOGRAM_OPTION = 'histogram: { leUnit: seconds | milliseconds }';

/**
 * A histogram signal counts requests slower than bounds the baseline rarely
 * exceeds, canary against the other group (src/decision/histogram.ts). So more
 * slow requests is always worse, there is no absolute threshold to hold it to,
 * and its tolerance is relative only.
 */
const histogramSignalsFit: CrossRule = ({ signals }) =>
  signals.flatMap(({ index, value }): CrossIssue[] => {
    if (value.kind !== 'histogram') return [];
    const issues: CrossIssue[] = [];
    if (value.comparison === 'absolute') {
      issues.push({
        path: ['signals', index, 'comparison'],
        message:
          'cannot be "absolute" for a histogram signal: it compares the canary\'s share of slow requests with the ' +
          "other group's and has no threshold; to hold latency to a fixed limit, use a signal of kind: latency " +
          'with comparison: absolute and a threshold in milliseconds',
        expected: '"vs-baseline" (or "before-after" in a blue-green deployment)',
      });
    }
    if (value.direction !== 'higher-is-worse') {
      issues.push({
        path: ['signals', index, 'direction'],
        message:
          'must be "higher-is-worse" for a histogram signal: it counts slow requests, and more of them is worse',
        expected: 'higher-is-worse',
      });
    }
    if (value.tolerance.absolute > 0) {
      issues.push({
        path: ['signals', index, 'tolerance', 'absolute'],
        message:
          "is not used by a histogram signal: its tolerance is relative to the baseline's share of slow requests",
        expected: '0, or no absolute tolerance',
      });
    }
    return issues;
  });

/**
 * A histogram series holds one count per bucket (its query returns a vector by
 * `le`), not one number: only a histogram signal's `buckets` may read it, and
 * that field may read nothing else.
 */
const histogramSeriesReadAsBuckets: CrossRule = ({ series, signals }) => {
  const histograms = new Set(series.filter(([, s]) => s.histogram !== undefined).map(([name]) => name));
  const plain = new Set(series.filter(([, s]) => s.histogram === undefined).map(([name]) => name));
  const histogramList = [...histograms];
  return signals.flatMap(({ index, value }): CrossIssue[] => {
    const issues: CrossIssue[] = [];
    if (value.kind === 'histogram') {
      if (plain.has(value.buckets)) {
        issues.push({
          path: ['signals', index, 'buckets'],
          message: `names the series "${value.buckets}", which has no histogram option, so it has no buckets to read`,
          expected:
            histogramList.length === 0
              ? `a series with ${HISTOGRAM_OPTION} (none is defined)`
              : `a series with ${HISTOGRAM_OPTION}: ${histogramList.join(', ')}`,
        });
      }
      if (histograms.has(value.total)) {
        issues.push({
          path: ['signals', index, 'total'],
          message: `names the histogram series "${value.total}", which holds one count per bucket, not all requests`,
          expected: 'a series without histogram that counts every request of the interval',
        });
      }
      return issues;
    }
    const fields: Array<[string, string | undefined]> =
      value.kind === 'ratio'
        ? [
            ['numerator', value.numerator],
            ['denominator', value.denominator],
          ]
        : [
            ['series', value.series],
            ['weight', value.weight],
          ];
    for (const [field, name] of fields) {
      if (name === undefined || !histograms.has(name)) continue;
      issues.push({
        path: ['signals', index, field],
        message:
          `names the histogram series "${name}", whose query returns one count per bucket, not one value; ` +
          `only a signal of kind: histogram reads it, as its buckets`,
        expected: 'a series without histogram (or a signal of kind: histogram)',
      });
    }
    return issues;
  });
};

// Blue-green never runs both versions at once, so there is no concurrent baseline to compare with;
// the other patterns always have one, so comparing with the past would ignore a shared outage.
const comparisonFitsPattern: CrossRule = ({ signals, deployment }) => {
  if (deployment === undefined) return [];
  const blueGreen = deployment.pattern === 'blue-green';
  return signals.flatMap(({ index, value }) => {
    if (blueGreen && value.comparison === 'vs-baseline') {
      return [
        {
          path: ['signals', index, 'comparison'],
          message:
            'cannot be "vs-baseline" in a blue-green deployment: only one colour serves traffic at a time',
          expected: '"before-after" or "absolute"',
        },
      ];
    }
    if (!blueGreen && value.comparison === 'before-after') {
      return [
        {
          path: ['signals', index, 'comparison'],
          message: `"before-after" is for blue-green deployments; a ${deployment.pattern} deployment has a concurrent baseline`,
          expected: '"vs-baseline" or "absolute"',
        },
      ];
    }
    return [];
  });
};

const someSignalIsCritical: CrossRule = ({ signals, signalsComplete }) => {
  if (!signalsComplete || signals.length === 0 || signals.some(({ value }) => value.critical)) return [];
  return [
    {
      path: ['signals'],
      message: 'has no critical signal, so nothing could ever trigger a rollback',
      expected: 'at least one signal with critical: true',
      found: `${signals.length} signal(s), none critical`,
    },
  ];
};

const uniqueSignalNames: CrossRule = ({ signals }) =>
  duplicateNames(
    signals,
    (s) => s.name,
    (i) => ['signals', i, 'name'],
    'signal',
  );

const evaluationTimesConsistent: CrossRule = ({ evaluation }) => {
  if (evaluation === undefined) return [];
  const issues: CrossIssue[] = [];
  const { intervalSeconds } = evaluation;
  if (evaluation.missingData.maxGapSeconds < intervalSeconds) {
    issues.push({
      path: ['evaluation', 'missingData', 'maxGapSeconds'],
      message: 'is shorter than one evaluation interval, so every evaluation would count as a gap',
      expected: `at least intervalSeconds (${intervalSeconds})`,
    });
  }
  if (evaluation.maxInconclusiveSeconds < intervalSeconds) {
    issues.push({
      path: ['evaluation', 'maxInconclusiveSeconds'],
      message: 'is shorter than one evaluation interval, so the first inconclusive verdict would escalate',
      expected: `at least intervalSeconds (${intervalSeconds})`,
    });
  }
  return issues;
};

/**
 * How long a guardian watches when the pipeline does not say (--watch): the
 * canary's holds, or the automatic rollback window (as src/workflows/phases/watch.ts).
 */
function policyWatch(view: PolicyView): { seconds: number; from: string } | undefined {
  const { deployment, evaluation, rollbackWindow } = view;
  if (deployment === undefined || evaluation === undefined) return undefined;
  if (deployment.pattern === 'canary') {
    const holds = deployment.steps.reduce((sum, step) => sum + step.holdSeconds, 0);
    return {
      seconds: Math.max(holds, evaluation.intervalSeconds),
      from: `deployment.steps[*].holdSeconds add up to ${holds} s`,
    };
  }
  if (rollbackWindow === undefined) return undefined;
  return {
    seconds: rollbackWindow.automaticSeconds,
    from: `rollbackWindow.automaticSeconds is ${rollbackWindow.automaticSeconds} s`,
  };
}

// A limit longer than the watch never fires: inconclusive data would run to the end of the watch
// unnoticed, and only the end-of-watch rule (no promotion without evidence) would catch it.
const inconclusiveLimitWithinWatch: CrossRule = (view) => {
  const watch = policyWatch(view);
  const evaluation = view.evaluation;
  if (watch === undefined || evaluation === undefined) return [];
  const judged = watch.seconds - evaluation.warmupSeconds;
  if (evaluation.maxInconclusiveSeconds <= judged) return [];
  const warmup =
    evaluation.warmupSeconds > 0 ? ` after evaluation.warmupSeconds (${evaluation.warmupSeconds} s)` : '';
  return [
    {
      path: ['evaluation', 'maxInconclusiveSeconds'],
      message:
        `is longer than the whole watch${warmup} (${watch.from}), so inconclusive data could never ` +
        'reach the limit and escalate before the watch ends',
      expected: `at most ${Math.max(judged, 0)} s, or a longer watch`,
    },
  ];
};

export const signalRules: CrossRule[] = [
  queryPlaceholdersKnown,
  ratioOfDistinctSeries,
  thresholdMatchesComparison,
  histogramSignalsFit,
  histogramSeriesReadAsBuckets,
  comparisonFitsPattern,
  someSignalIsCritical,
  uniqueSignalNames,
  evaluationTimesConsistent,
  inconclusiveLimitWithinWatch,
];
