import type { IntervalVerdict, SignalVerdict } from '../decision';
import type { Scenario } from './scenario';
import type { SimulationRun } from './simulate';

/**
 * The human view of one simulation: what was decided and when, a strip with
 * one character per interval, and the moments that mattered (breaches,
 * dismissed transients, confirmation, silences). `truth` is shown, never used.
 */
const SYMBOL: Record<IntervalVerdict['verdict'], string> = {
  healthy: '.',
  inconclusive: '?',
  regressed: '!',
  error: 'x',
};

const STRIP_WIDTH = 60;

export function clock(index: number, intervalSeconds: number): string {
  const total = Math.round(index * intervalSeconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

function symbolFor(verdict: IntervalVerdict): string {
  return verdict.reason === 'warm-up' ? '-' : SYMBOL[verdict.verdict];
}

function strip(run: SimulationRun, scenario: Scenario, length: number): string[] {
  const chars: string[] = [];
  for (let i = 0; i < length; i++) {
    const verdict = run.timeline[i];
    chars.push(verdict === undefined ? ' ' : symbolFor(verdict));
  }
  const decided = run.result.decidedAtIndex;
  if (decided !== null && decided < length) chars[decided] = run.result.decision === 'rollback' ? 'R' : 'E';
  const onset = scenario.truth?.onsetIndex;
  const lines: string[] = [];
  for (let start = 0; start < length; start += STRIP_WIDTH) {
    const end = Math.min(length, start + STRIP_WIDTH);
    lines.push(`  ${String(start).padStart(5)} ${chars.slice(start, end).join('')}`);
    if (onset !== undefined && onset >= start && onset < end) {
      lines.push(`  ${' '.repeat(6 + onset - start)}^ onset (truth)`);
    }
  }
  return lines;
}

function eventsOf(run: SimulationRun, dt: number): string[] {
  const events: string[] = [];
  let previous: SignalVerdict[] = [];
  for (const verdict of run.timeline) {
    const at = `  ${String(verdict.index).padStart(5)} ${clock(verdict.index, dt).padStart(8)}  `;
    for (const signal of verdict.signals) {
      const before = previous.find((p) => p.signal === signal.signal);
      const wasPhase = before?.phase ?? 'watching';
      const e = signal.evidence;
      if (signal.phase === 'confirming' && wasPhase === 'watching') {
        const c = e.confirmation;
        events.push(
          `${at}${signal.signal}: breach (e-value ${e.eValue} ≥ ${e.threshold}); confirming on data from interval ${c ? c.decideFrom : '?'}`,
        );
      } else if (signal.phase === 'confirmed' && wasPhase !== 'confirmed') {
        events.push(`${at}${signal.signal}: confirmed on data after the breach`);
      } else if (signal.phase === 'watching' && wasPhase === 'confirming') {
        events.push(`${at}${signal.signal}: ${signal.reason}`);
      }
    }
    if (verdict.signals.length > 0) previous = verdict.signals;
  }
  return events;
}

function silences(scenario: Scenario, length: number): string[] {
  const lines: string[] = [];
  for (const group of ['canary', 'baseline'] as const) {
    let start: number | null = null;
    for (let i = 0; i <= length; i++) {
      const silent =
        i < length &&
        Object.values(scenario.series).every((s) => s[group][i] === null || s[group][i] === undefined);
      if (silent && start === null) start = i;
      if (!silent && start !== null) {
        lines.push(
          `  ${group} silent in intervals ${start}–${i - 1} (${(i - start) * scenario.intervalSeconds}s)`,
        );
        start = null;
      }
    }
  }
  return lines;
}

export function formatTimeline(
  run: SimulationRun,
  scenario: Scenario,
  policyIntervalSeconds?: number,
): string {
  const { result } = run;
  const dt = scenario.intervalSeconds;
  const length = result.evidence.intervals;
  const lines: string[] = [];
  const title = scenario.description ? `${scenario.name} — ${scenario.description}` : scenario.name;
  lines.push(title);
  lines.push(`  ${length} intervals of ${dt}s (${clock(length, dt)})`);
  if (policyIntervalSeconds !== undefined && policyIntervalSeconds !== dt) {
    lines.push(
      `  note: the policy evaluates every ${policyIntervalSeconds}s; the scenario's ${dt}s intervals are used`,
    );
  }
  const when =
    result.decidedAtIndex === null
      ? 'at the end of the watch'
      : `at interval ${result.decidedAtIndex} (${clock(result.decidedAtIndex + 1, dt)})`;
  lines.push(`  decision: ${result.decision.toUpperCase()} ${when} — ${result.reason}`);
  const truth = scenario.truth;
  if (truth !== undefined) {
    const onset = truth.onsetIndex === undefined ? '' : `, onset at interval ${truth.onsetIndex}`;
    lines.push(
      `  truth: ${truth.regression ? `regression (${truth.kind ?? 'unspecified'}${onset})` : 'no regression'}`,
    );
  }
  lines.push(
    '  timeline: . healthy  ? inconclusive  ! regressed  x error  - warm-up  R rollback  E escalate',
  );
  lines.push(...strip(run, scenario, length));
  const events = eventsOf(run, dt);
  const gaps = silences(scenario, length);
  if (events.length + gaps.length > 0) {
    lines.push('  events:');
    lines.push(...events.map((e) => `  ${e}`), ...gaps.map((g) => `  ${g}`));
  }
  lines.push('  evidence at the end:');
  for (const [name, e] of Object.entries(result.evidence.signals)) {
    const parts = [`e-value ${e.eValue} (breach at ${e.threshold})`];
    if (e.counts) {
      const [ce, ct] = e.counts.canary;
      parts.push(`canary ${ce}/${ct}`);
      if (e.counts.reference) parts.push(`baseline ${e.counts.reference[0]}/${e.counts.reference[1]}`);
    }
    if (e.badIntervals) parts.push(`bad intervals ${e.badIntervals[0]}/${e.badIntervals[1]}`);
    if (e.estimate !== undefined) parts.push(`estimate ${e.estimate} vs bound ${e.bound ?? '?'}`);
    if (e.dismissedBreaches) parts.push(`${e.dismissedBreaches} breach(es) dismissed as transient`);
    lines.push(`    ${name}: ${parts.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
