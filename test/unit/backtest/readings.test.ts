import { recordedDeployment } from '../../../src/backtest/readings';
import type { GuardianHistory, GuardianRun } from '../../../src/report/history';
import { decidedAtIndex, input, observationAt, rolledBackHistory, t, WORKFLOW_ID } from '../report/fixture';

/**
 * What a backtest reads from a past guardian's history: the watch readings
 * (the results of its readHealthInterval local activity, by interval), what it
 * decided and how it ended. The history is built by hand as the guardian
 * writes it (test/unit/report/fixture.ts).
 */

const d = decidedAtIndex;
const reading = (index: number, at = t(index + 1)) => ({
  type: 'evaluateHealth',
  scheduledAt: at,
  closedAt: at,
  state: 'completed' as const,
  input: { index },
  result: observationAt(index),
});

function promotedHistory(intervals: number, extra: Partial<GuardianRun> = {}): GuardianHistory {
  return {
    workflowId: WORKFLOW_ID,
    runs: [
      {
        runId: 'run-1',
        startedAt: t(0.2),
        input: { ...input, watchSeconds: intervals * 30 },
        calls: Array.from({ length: intervals }, (_, i) => reading(i)),
        end: {
          kind: 'completed',
          at: t(intervals + 1),
          result: {
            outcome: 'promoted',
            reason: 'the watch ended without a regression',
            evaluations: intervals,
          },
        },
        ...extra,
      },
    ],
  };
}

test('a rolled-back guardian: the readings up to its decision, the decision, the outcome', async () => {
  const { history } = await rolledBackHistory();
  const recorded = recordedDeployment(history);
  expect(recorded.readings).toHaveLength(d + 1);
  recorded.readings.forEach((observation, i) => expect(observation).toEqual(observationAt(i)));
  expect(recorded.readAt[0]).toBe(t(1));
  expect(recorded.gaps).toEqual([]);
  expect(recorded.decision).toEqual({
    decision: 'rollback',
    source: 'automatic',
    decidedAtIndex: d,
    reason: 'error-rate regressed: regression confirmed on data after the breach',
    signal: 'error-rate',
  });
  expect(recorded.outcome).toBe('rolled-back');
  expect(recorded.state).toBe('closed');
  expect(recorded.deployment.deploymentId).toBe('build-481');
  expect(recorded.policy.metadata.service).toBe('checkout');
  expect(recorded.intervalSeconds).toBe(30);
});

test('the recovery check after the rollback is not a watch reading', async () => {
  const { history } = await rolledBackHistory();
  const calls = history.runs[0]!.calls;
  // The fixture's recovery read is interval d + 1, after the plan.
  expect(
    calls.some((c) => c.type === 'evaluateHealth' && (c.input as { index: number }).index === d + 1),
  ).toBe(true);
  expect(recordedDeployment(history).readings).toHaveLength(d + 1);
});

test('the deciding read counts even when it carries the same time as the plan', async () => {
  const { history } = await rolledBackHistory();
  const calls = history.runs[0]!.calls;
  const plan = calls.find((c) => c.type === 'buildRollbackPlan')!;
  const deciding = calls.find(
    (c) => c.type === 'evaluateHealth' && (c.input as { index: number }).index === d,
  )!;
  deciding.scheduledAt = plan.scheduledAt;
  expect(recordedDeployment(history).readings).toHaveLength(d + 1);
});

test('a promoted guardian recorded no decision: the watch ended with the core not rolling back', () => {
  const recorded = recordedDeployment(promotedHistory(12));
  expect(recorded.readings).toHaveLength(12);
  expect(recorded.decision).toMatchObject({
    decision: 'no-rollback',
    decidedAtIndex: null,
    cause: 'healthy',
  });
  expect(recorded.outcome).toBe('promoted');
  expect(recorded.watchSeconds).toBe(360);
});

test('a read that left no result is no data at its interval, and said', () => {
  const history = promotedHistory(6);
  const calls = history.runs[0]!.calls;
  calls[2] = { type: 'evaluateHealth', scheduledAt: t(3), state: 'failed', failure: 'boom' };
  const recorded = recordedDeployment(history);
  expect(recorded.readings).toHaveLength(6);
  expect(recorded.readings[2]).toEqual({});
  expect(recorded.readAt[2]).toBeUndefined();
  expect(recorded.gaps).toEqual([2]);
});

test('readings across continue-as-new runs are one watch', () => {
  const whole = promotedHistory(10);
  const run = whole.runs[0]!;
  const split: GuardianHistory = {
    workflowId: WORKFLOW_ID,
    runs: [
      { ...run, runId: 'run-1', calls: run.calls.slice(0, 4), end: { kind: 'continued-as-new', at: t(5) } },
      { ...run, runId: 'run-2', startedAt: t(5), calls: run.calls.slice(4) },
    ],
  };
  const recorded = recordedDeployment(split);
  expect(recorded.readings).toEqual(recordedDeployment(whole).readings);
  expect(recorded.outcome).toBe('promoted');
  expect(recorded.startedAt).toBe(t(0.2));
});

test('a terminated guardian made no decision; a running one has no outcome yet', () => {
  const terminated = recordedDeployment(
    promotedHistory(5, { end: { kind: 'terminated', at: t(6), message: 'by hand' } }),
  );
  expect(terminated.outcome).toBe('terminated');
  expect(terminated.outcomeReason).toBe('by hand');
  expect(terminated.decision.decision).toBe('none');
  expect(terminated.readings).toHaveLength(5);

  const history = promotedHistory(3);
  delete history.runs[0]!.end;
  const running = recordedDeployment(history);
  expect(running.state).toBe('running');
  expect(running.outcome).toBeUndefined();
});

test('a rehearsal says which scenario it replayed', () => {
  const history = promotedHistory(3);
  history.runs[0]!.input = { ...history.runs[0]!.input, replay: { scenarioFile: '/tmp/s.json' } };
  expect(recordedDeployment(history).replayedScenario).toBe('/tmp/s.json');
});
