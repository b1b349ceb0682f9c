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
  comparisonFitsPattern,
  someSignalIsCritical,
  uniqueSignalNames,
  evaluationTimesConsistent,
  inconclusiveLimitWithinWatch,
];
