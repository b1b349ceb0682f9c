import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Observation } from '../../../src/decision';
import { renderHtml, renderText } from '../../../src/report';
import type { ActivityCall, GuardianHistory } from '../../../src/report/history';
import { buildReport } from '../../../src/report/model';
import { parseScenarioText } from '../../../src/simulate/scenario-files';
import { input, t, WORKFLOW_ID } from './fixture';

/**
 * A transient burst of errors breaches error-rate; fresh data does not confirm
 * it, and the canary is promoted. The report says so, in the timeline and
 * next to the decision, instead of only "the signals stayed within the policy"
 * (issue 17: the transient story reports the dismissed error-rate breach).
 */
const FILE = resolve(__dirname, '..', 'cli', 'fixtures', 'healthy-00.json');
const healthy = parseScenarioText(readFileSync(FILE, 'utf8'), FILE);
const SPIKE = [12, 13];

function observationAt(index: number): Observation {
  const out: Record<string, { baseline: number | null; canary: number | null }> = {};
  for (const [name, s] of Object.entries(healthy.series)) {
    const canary = s.canary[index] ?? null;
    const spiked = name === 'errors' && SPIKE.includes(index) && canary !== null ? canary * 12 + 20 : canary;
    out[name] = { baseline: s.baseline[index] ?? null, canary: spiked };
  }
  return out;
}

function transientHistory(): GuardianHistory {
  const n = healthy.series.requests!.canary.length;
  const calls: ActivityCall[] = [];
  for (let i = 0; i < n; i++) {
    calls.push({
      type: 'evaluateHealth',
      scheduledAt: t(i + 1),
      closedAt: t(i + 1.1),
      state: 'completed',
      input: { index: i },
      result: observationAt(i),
    });
  }
  return {
    workflowId: WORKFLOW_ID,
    runs: [
      {
        runId: 'run-1',
        startedAt: t(0.2),
        input,
        calls,
        end: {
          kind: 'completed',
          at: t(n + 1),
          result: { outcome: 'promoted', reason: 'the watch ended without a regression', evaluations: n },
        },
      },
    ],
  };
}

test('a breach that fresh data did not confirm is listed, with its interval, in the timeline and the evidence', async () => {
  const report = buildReport({ history: transientHistory() });
  expect(report.outcome).toBe('promoted');
  expect(report.firstBreach?.signals).toEqual(['error-rate']);
  expect(report.dismissedBreaches).toEqual([
    expect.objectContaining({ signal: 'error-rate', reason: expect.stringMatching(/dismissed|faded/) }),
  ]);
  const dismissed = report.dismissedBreaches[0]!;
  expect(dismissed.index).toBeGreaterThan(SPIKE[0]!);
  expect(report.timeline).toContainEqual(
    expect.objectContaining({
      kind: 'breach-dismissed',
      text: expect.stringContaining('breach on error-rate dismissed: fresh data did not confirm it'),
    }),
  );

  const text = renderText(report, 'http://ui');
  expect(text).toMatch(
    new RegExp(
      `^ {2}interval ${dismissed.index}: breach on error-rate dismissed: fresh data did not confirm it`,
      'm',
    ),
  );
  const html = renderHtml(report, 'http://ui', new Date(t(60)));
  expect(html).toContain('breach on error-rate dismissed: fresh data did not confirm it');
});

test('a rollback report lists no dismissal where none happened', async () => {
  const { rolledBackHistory } = await import('./fixture');
  const { history } = await rolledBackHistory();
  expect(buildReport({ history }).dismissedBreaches).toEqual([]);
});
