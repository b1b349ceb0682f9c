import type { VerdictKind } from '../decision';
import { type PlotItem, type PlotMarker, renderScenario } from '../simulate/plot';
import { SCENARIO_FORMAT, type Scenario } from '../simulate/scenario';
import type { SimulationRun } from '../simulate/simulate';
import { noDecisionText } from './evidence-gap';
import type { DeploymentReport } from './model';

/**
 * The signals chart of a report, drawn by the same code as `ripcord simulate
 * --plot`: the guardian's readings become a scenario, its verdicts the strip,
 * and the onset (when known), the first breach and the decision are marked.
 */

const MARKER_COLORS = { onset: '#555', breach: '#c76b00' } as const;

/** The readings as a scenario: one value per interval and group, null where none arrived. */
export function readingsAsScenario(report: DeploymentReport): Scenario {
  const length = report.readings.reduce((max, r) => Math.max(max, r.index + 1), 0);
  const names = new Set<string>();
  for (const r of report.readings) for (const name of Object.keys(r.observation ?? {})) names.add(name);
  const series: Scenario['series'] = {};
  for (const name of names) {
    series[name] = { baseline: Array(length).fill(null), canary: Array(length).fill(null) };
  }
  // A later reading of the same interval (a post-step check) never overwrites what the watch saw.
  const ordered = [...report.readings].sort((a, b) =>
    a.phase === b.phase ? 0 : a.phase === 'watch' ? 1 : -1,
  );
  for (const reading of ordered) {
    for (const [name, value] of Object.entries(reading.observation ?? {})) {
      const s = series[name];
      if (!s || !value || value.error) continue;
      s.baseline[reading.index] = value.baseline;
      s.canary[reading.index] = value.canary;
    }
  }
  const scenario: Scenario = {
    format: SCENARIO_FORMAT,
    name: `${report.deployment.version} against ${report.deployment.previousVersion}`,
    description:
      'One point per evaluation interval, as the guardian read it; the strip below is the verdict of each ' +
      'interval. Readings after the decision are the checks during and after the rollback.',
    intervalSeconds: report.policy.intervalSeconds,
    series,
  };
  return scenario;
}

function runOf(report: DeploymentReport, length: number): SimulationRun {
  const verdicts: Record<VerdictKind, number> = { healthy: 0, regressed: 0, inconclusive: 0, error: 0 };
  for (const v of report.verdicts) verdicts[v.verdict] += 1;
  const decision = report.decision;
  const decidedAtIndex =
    decision && decision.decidedAtIndex !== null && decision.decidedAtIndex >= 0
      ? decision.decidedAtIndex
      : null;
  return {
    result: {
      scenario: report.deployment.deploymentId,
      decision: decision?.decision ?? 'no-rollback',
      decidedAtIndex,
      reason: decision
        ? `${decision.reason}${decision.source === 'manual' ? ' (manual)' : ''}`
        : report.watchWithoutEvidence === undefined
          ? 'no regression: the signals stayed within the policy'
          : noDecisionText(report),
      evidence: { intervals: length, intervalSeconds: report.policy.intervalSeconds, verdicts, signals: {} },
    },
    timeline: report.verdicts,
  };
}

export function chartItem(report: DeploymentReport): PlotItem {
  const scenario = readingsAsScenario(report);
  const length = Object.values(scenario.series)[0]?.baseline.length ?? 0;
  const markers: PlotMarker[] = [];
  if (report.onset) markers.push({ index: report.onset.index, label: 'onset', color: MARKER_COLORS.onset });
  if (report.firstBreach) {
    // A breach is seen when its interval's reading arrives: at the interval's end.
    markers.push({ index: report.firstBreach.index + 1, label: 'first breach', color: MARKER_COLORS.breach });
  }
  return { scenario, run: runOf(report, length), markers };
}

/** The chart section (heading, decision line, SVG), or a sentence when there is nothing to draw. */
export function renderChart(report: DeploymentReport): string {
  if (report.readings.length === 0) return '<p>No health readings yet.</p>';
  return renderScenario(report.decisionConfig, chartItem(report));
}
