import { bucketBound, bucketSeries, type DecisionConfig, type IntervalVerdict } from '../decision';
import type { Scenario } from './scenario';
import type { SimulationRun } from './simulate';
import { clock } from './timeline';
import { escapeHtml } from '../text/html';

/**
 * `ripcord simulate --plot out.html`: one self-contained page (inline SVG and
 * CSS, no scripts, nothing fetched) with, per scenario, a chart for each
 * signal's data by group, the onset when the file records one, the decision,
 * and the verdict of every interval as a coloured strip.
 */
export interface PlotItem {
  scenario: Scenario;
  run: SimulationRun;
  /** More moments to mark on every panel (the report marks the first breach and the rollback's end). */
  markers?: PlotMarker[];
}

export interface PlotMarker {
  /** Position in intervals from the start (the line is drawn at the start of this interval). */
  index: number;
  label: string;
  color: string;
}

const WIDTH = 900;
const PANEL_HEIGHT = 120;
const LEFT = 70;
const RIGHT = 20;
const COLORS = { baseline: '#4a6fa5', canary: '#d1495b' } as const;
const VERDICT_COLORS: Record<IntervalVerdict['verdict'], string> = {
  healthy: '#8cc084',
  inconclusive: '#c9c9c9',
  regressed: '#f4a259',
  error: '#bc4b51',
};

interface Panel {
  title: string;
  unit: string;
  baseline: (number | null)[];
  canary: (number | null)[];
}

function ratioSeries(
  scenario: Scenario,
  numerator: string,
  denominator: string,
  group: 'baseline' | 'canary',
) {
  const num = scenario.series[numerator]?.[group] ?? [];
  const den = scenario.series[denominator]?.[group] ?? [];
  return num.map((n, i) => {
    const d = den[i];
    return n === null || d === null || d === undefined || d === 0 ? null : n / d;
  });
}

function panelsFor(config: DecisionConfig, scenario: Scenario): Panel[] {
  const panels: Panel[] = [];
  const traffic = new Set<string>();
  for (const signal of config.signals) {
    if (signal.kind === 'ratio') {
      panels.push({
        title: `${signal.name}: ${signal.numerator} / ${signal.denominator}`,
        unit: '',
        baseline: ratioSeries(scenario, signal.numerator, signal.denominator, 'baseline'),
        canary: ratioSeries(scenario, signal.numerator, signal.denominator, 'canary'),
      });
      traffic.add(signal.denominator);
    } else if (signal.kind === 'histogram') {
      const bound = shoulderBound(scenario, signal.buckets, signal.total);
      if (bound !== undefined) {
        const slower = (group: 'baseline' | 'canary') => {
          const total = scenario.series[signal.total]?.[group] ?? [];
          const atMost = scenario.series[bucketSeries(signal.buckets, bound)]?.[group] ?? [];
          return total.map((n, i) => {
            const le = atMost[i];
            return n === null || le === null || le === undefined || n === 0 ? null : Math.max(0, n - le) / n;
          });
        };
        panels.push({
          title: `${signal.name}: share of requests slower than ${bound} (${signal.buckets})`,
          unit: '',
          baseline: slower('baseline'),
          canary: slower('canary'),
        });
      }
      traffic.add(signal.total);
    } else {
      const s = scenario.series[signal.series];
      panels.push({
        title: `${signal.name}: ${signal.series}`,
        unit: signal.kind === 'latency' ? 'ms' : '',
        baseline: s?.baseline ?? [],
        canary: s?.canary ?? [],
      });
      if (signal.weight !== undefined) traffic.add(signal.weight);
    }
  }
  for (const name of traffic) {
    const s = scenario.series[name];
    if (s !== undefined) panels.push({ title: `${name} per interval`, unit: '', ...s });
  }
  return panels;
}

/** The bucket bound the baseline exceeds closest to one request in ten: the panel a person reads first. */
function shoulderBound(scenario: Scenario, buckets: string, total: string): number | undefined {
  const requests = (scenario.series[total]?.baseline ?? []).reduce<number>((sum, n) => sum + (n ?? 0), 0);
  if (requests === 0) return undefined;
  let best: number | undefined;
  let distance = Infinity;
  for (const [name, series] of Object.entries(scenario.series)) {
    const bound = bucketBound(buckets, name);
    if (bound === undefined) continue;
    const atMost = series.baseline.reduce<number>((sum, n) => sum + (n ?? 0), 0);
    const share = Math.max(0, requests - atMost) / requests;
    if (share > 0 && Math.abs(Math.log(share / 0.1)) < distance) {
      distance = Math.abs(Math.log(share / 0.1));
      best = bound;
    }
  }
  return best;
}

function formatValue(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) < 0.01) return value.toExponential(1);
  if (Math.abs(value) < 1) return value.toFixed(3);
  if (Math.abs(value) < 100) return value.toFixed(1);
  return Math.round(value).toString();
}

function polylines(values: (number | null)[], x: (i: number) => number, y: (v: number) => number): string[] {
  const runs: string[] = [];
  let current: string[] = [];
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      if (current.length > 0) runs.push(current.join(' '));
      current = [];
      return;
    }
    current.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  });
  if (current.length > 0) runs.push(current.join(' '));
  return runs;
}

function renderPanel(panel: Panel, length: number, top: number, markers: string): string {
  const all = [...panel.baseline, ...panel.canary].filter(
    (v): v is number => v !== null && Number.isFinite(v),
  );
  const max = all.length > 0 ? Math.max(...all) : 1;
  const hi = max > 0 ? max * 1.05 : 1;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (i: number) => LEFT + (plotWidth * (i + 0.5)) / Math.max(1, length);
  const y = (v: number) => top + PANEL_HEIGHT - (PANEL_HEIGHT * v) / hi;
  const parts: string[] = [];
  parts.push(
    `<rect x="${LEFT}" y="${top}" width="${plotWidth}" height="${PANEL_HEIGHT}" fill="#fafafa" stroke="#ddd"/>`,
  );
  parts.push(
    `<text x="${LEFT}" y="${top - 4}" class="t">${escapeHtml(panel.title)}${panel.unit ? ` (${panel.unit})` : ''}</text>`,
  );
  parts.push(`<text x="${LEFT - 6}" y="${top + 10}" class="a" text-anchor="end">${formatValue(hi)}</text>`);
  parts.push(`<text x="${LEFT - 6}" y="${top + PANEL_HEIGHT}" class="a" text-anchor="end">0</text>`);
  parts.push(markers);
  for (const group of ['baseline', 'canary'] as const) {
    for (const points of polylines(panel[group], x, y)) {
      parts.push(`<polyline points="${points}" fill="none" stroke="${COLORS[group]}" stroke-width="1.3"/>`);
    }
  }
  return parts.join('');
}

/** One scenario's section: heading, decision line and the SVG (panels, markers, verdict strip). */
export function renderScenario(config: DecisionConfig, item: PlotItem): string {
  const { scenario, run } = item;
  const { result } = run;
  const length = result.evidence.intervals;
  const dt = scenario.intervalSeconds;
  const panels = panelsFor(config, scenario);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (i: number) => LEFT + (plotWidth * i) / Math.max(1, length);
  const gap = 30;
  const stripTop = 20 + panels.length * (PANEL_HEIGHT + gap);
  const height = stripTop + 60;

  const markerLine = (i: number, color: string, label: string, top: number, bottom: number) =>
    `<line x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="${top}" y2="${bottom}" stroke="${color}" stroke-width="1.5" stroke-dasharray="4 3"/>` +
    `<text x="${(x(i) + 3).toFixed(1)}" y="${top + 10}" class="a" fill="${color}">${escapeHtml(label)}</text>`;
  const onset = scenario.truth?.onsetIndex;
  const decided = result.decidedAtIndex;
  const decisionColor =
    result.decision === 'rollback' ? '#b00020' : result.decision === 'escalate' ? '#8a5a00' : '#2e7d32';

  const svg: string[] = [];
  panels.forEach((panel, p) => {
    const top = 20 + p * (PANEL_HEIGHT + gap);
    let markers = '';
    if (onset !== undefined) markers += markerLine(onset, '#555', 'onset', top, top + PANEL_HEIGHT);
    if (decided !== null)
      markers += markerLine(decided + 1, decisionColor, result.decision, top, top + PANEL_HEIGHT);
    for (const extra of item.markers ?? [])
      markers += markerLine(extra.index, extra.color, extra.label, top, top + PANEL_HEIGHT);
    svg.push(renderPanel(panel, length, top, markers));
  });
  const cell = plotWidth / Math.max(1, length);
  svg.push(`<text x="${LEFT}" y="${stripTop - 4}" class="t">verdict per interval</text>`);
  run.timeline.forEach((v) => {
    const fill = v.reason === 'warm-up' ? '#eeeeee' : VERDICT_COLORS[v.verdict];
    svg.push(
      `<rect x="${x(v.index).toFixed(1)}" y="${stripTop}" width="${Math.max(cell, 0.5).toFixed(2)}" height="14" fill="${fill}"><title>${v.index} ${clock(v.index, dt)} ${escapeHtml(v.verdict)}: ${escapeHtml(v.reason)}</title></rect>`,
    );
  });
  for (const t of [0, Math.floor(length / 2), length]) {
    svg.push(
      `<text x="${x(t).toFixed(1)}" y="${stripTop + 30}" class="a" text-anchor="middle">${clock(t, dt)}</text>`,
    );
  }
  const truth = scenario.truth;
  const truthText =
    truth === undefined
      ? ''
      : `<p class="truth">truth: ${truth.regression ? `regression${truth.kind ? ` (${escapeHtml(truth.kind)})` : ''}${onset !== undefined ? ` from interval ${onset}` : ''}` : 'no regression'}</p>`;
  return `<section>
<h2>${escapeHtml(scenario.name)}</h2>
${scenario.description ? `<p>${escapeHtml(scenario.description)}</p>` : ''}
<p class="decision" style="color:${decisionColor}"><b>${escapeHtml(result.decision)}</b> ${
    decided === null ? 'at the end of the watch' : `at interval ${decided} (${clock(decided + 1, dt)})`
  } — ${escapeHtml(result.reason)}</p>
${truthText}
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeHtml(scenario.name)}">${svg.join('')}</svg>
</section>`;
}

/** The colour key of every chart: groups and verdicts. */
export function plotLegend(): string {
  return `<p class="legend"><span style="color:${COLORS.baseline}">━ baseline</span> <span style="color:${COLORS.canary}">━ canary</span> · verdicts: ${Object.entries(
    VERDICT_COLORS,
  )
    .map(([k, c]) => `<span style="background:${c}">&nbsp;${k}&nbsp;</span>`)
    .join(' ')}</p>`;
}

/** The CSS the charts need (class names used inside the SVG). */
export const PLOT_CSS = `body{font-family:system-ui,sans-serif;margin:24px;color:#222}
section{margin-bottom:40px}
h2{margin:0 0 4px;font-size:18px}
p{margin:2px 0}
.t{font-size:12px;fill:#333}
.a{font-size:10px;fill:#666}
.legend span{margin-right:8px}`;

export function renderPlot(config: DecisionConfig, items: PlotItem[], title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
${PLOT_CSS}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
${plotLegend()}
${items.map((item) => renderScenario(config, item)).join('\n')}
</body></html>
`;
}
