import type { DecisionKind } from '../../src/decision';
import type { Scenario } from '../../src/simulate/scenario';
import { learnThresholds, minuteReadings } from './minutes';

/**
 * Emulations of the threshold rules people use today, written from their
 * documented behaviour (no code copied).
 *
 * Flagger (interval 1m, threshold 5): every minute it checks the canary's
 * request success rate and request duration (p99) against fixed limits. Any
 * failing check, and any check with no data ("no values found"), adds one to
 * a failed-checks counter that is never reset during the analysis. At the next
 * tick after the counter reaches the threshold it rolls back (it looks at the
 * counter before running the tick's checks), so the earliest rollback is six
 * minutes after a regression starts.
 *
 * Argo Rollouts (interval 1m, failureLimit 3, consecutiveErrorLimit 4): each
 * metric takes one measurement per minute. A value beyond the limit is a
 * failed measurement, counted cumulatively; no data or a provider error is an
 * error measurement, counted while consecutive. The analysis fails, and the
 * rollout aborts at once, when a metric has more failures than failureLimit or
 * more consecutive errors than consecutiveErrorLimit.
 */
export interface MethodOutcome {
  decision: DecisionKind;
  decidedAtIndex: number | null;
}

export function flagger(scenario: Scenario, threshold = 5): MethodOutcome {
  const limits = learnThresholds(scenario);
  let failedChecks = 0;
  for (const minute of minuteReadings(scenario, 'canary')) {
    if (failedChecks >= threshold) return { decision: 'rollback', decidedAtIndex: minute.endIndex };
    const errorOk = minute.errorRate !== null && minute.errorRate <= limits.maxErrorRate;
    const latencyOk = minute.p99 !== null && minute.p99 <= limits.maxP99;
    if (!errorOk || !latencyOk) failedChecks += 1;
  }
  return { decision: 'no-rollback', decidedAtIndex: null };
}

export function argoRollouts(scenario: Scenario, failureLimit = 3, consecutiveErrorLimit = 4): MethodOutcome {
  const limits = learnThresholds(scenario);
  const metrics = [
    { read: (m: { errorRate: number | null }) => m.errorRate, limit: limits.maxErrorRate },
    { read: (m: { p99: number | null }) => m.p99, limit: limits.maxP99 },
  ].map((m) => ({ ...m, failed: 0, consecutiveErrors: 0 }));
  for (const minute of minuteReadings(scenario, 'canary')) {
    for (const metric of metrics) {
      const value = metric.read(minute);
      if (value === null) {
        metric.consecutiveErrors += 1;
      } else {
        metric.consecutiveErrors = 0;
        if (value > metric.limit) metric.failed += 1;
      }
      if (metric.failed > failureLimit || metric.consecutiveErrors > consecutiveErrorLimit) {
        return { decision: 'rollback', decidedAtIndex: minute.endIndex };
      }
    }
  }
  return { decision: 'no-rollback', decidedAtIndex: null };
}
