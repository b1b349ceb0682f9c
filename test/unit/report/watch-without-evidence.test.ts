import type { Observation } from '../../../src/decision';
import { renderHtml, renderText } from '../../../src/report';
import type { GuardianHistory } from '../../../src/report/history';
import { buildReport } from '../../../src/report/model';
import type { GuardianResult } from '../../../src/model/guardian';
import { input, t, WORKFLOW_ID } from './fixture';

/**
 * The repro of issue 17: PROMETHEUS_TOKEN unset, every read an error, one
 * interval watched. The report must not say "the signals stayed within the
 * policy": it says why the watch was inconclusive.
 */
const unreadable: Observation = Object.fromEntries(
  ['requests', 'errors', 'latency_p99_ms'].map((name) => [
    name,
    { baseline: null, canary: null, error: 'prometheus-main: HTTP 401 Unauthorized' },
  ]),
);

const WHY =
  'the watch ended without evidence of health: ' +
  'no usable health data for error-rate (1 of 1 interval(s) failed to read); ' +
  'no usable health data for latency-p99 (1 of 1 interval(s) failed to read)';

function historyEndingWith(result: GuardianResult): GuardianHistory {
  return {
    workflowId: WORKFLOW_ID,
    runs: [
      {
        runId: 'run-1',
        startedAt: t(0.2),
        input: { ...input, watchSeconds: 5 },
        calls: [
          {
            type: 'evaluateHealth',
            scheduledAt: t(30),
            closedAt: t(30.1),
            state: 'completed',
            input: { index: 0 },
            result: unreadable,
          },
        ],
        end: { kind: 'completed', at: t(31), result },
      },
    ],
  };
}

test('a guardian that promoted without evidence (before the rule) is reported as inconclusive, with why', () => {
  const report = buildReport({
    history: historyEndingWith({
      outcome: 'promoted',
      reason: 'the watch ended without a regression',
      evaluations: 1,
    }),
  });
  expect(report.watchWithoutEvidence).toBe(WHY);
  const text = renderText(report, 'http://ui');
  expect(text).not.toContain('the signals stayed within the policy');
  expect(text).toContain(`  no rollback decision, but the watch was inconclusive: ${WHY}`);
  const html = renderHtml(report, 'http://ui', new Date(t(60)));
  expect(html).not.toContain('the signals stayed within the policy');
  expect(html).toContain(
    'No rollback decision, but the watch was inconclusive: the watch ended without evidence',
  );
});

test('a guardian that escalated for want of evidence shows the decision and its reason, and the core agrees', () => {
  const report = buildReport({
    history: historyEndingWith({
      outcome: 'escalated',
      reason: WHY,
      evaluations: 1,
      decision: { decision: 'escalate', decidedAtIndex: 0, reason: WHY, source: 'automatic' },
    }),
  });
  expect(report.recomputed).toEqual({ decision: 'escalate', decidedAtIndex: 0, agrees: true });
  expect(report.watchWithoutEvidence).toBeUndefined();
  const text = renderText(report, 'http://ui');
  expect(text).toContain(`escalate (automatic) after interval 0: ${WHY}`);
  expect(text).not.toContain('the signals stayed within the policy');
});
