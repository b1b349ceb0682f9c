import { formatDuration } from '../policy/explain';
import type { SuggestResult } from '.';

/** How a suggestion reads for a person: what was read, each proposal and why, and the check. */

const pct = (part: number, whole: number) => (whole === 0 ? '-' : `${Math.round((100 * part) / whole)}%`);

function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

export function formatCheckTable(check: SuggestResult['check']): string[] {
  return table(
    ['scenario', 'rollbacks', 'escalations', 'median delay'],
    check.rows.map((row) => [
      row.label,
      `${row.rollbacks}/${row.scenarios} (${pct(row.rollbacks, row.scenarios)})`,
      `${row.escalations}/${row.scenarios}`,
      row.medianDelaySeconds === null ? '-' : formatDuration(Math.round(row.medianDelaySeconds)),
    ]),
  );
}

export function formatSuggestion(result: SuggestResult): string {
  const lines: string[] = [];
  const samples = Object.entries(result.samples)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  lines.push(
    `Learned from ${formatDuration(result.windowSeconds)} of ${result.service} ` +
      `(one point every ${formatDuration(result.stepSeconds)}: ${samples}).`,
    '',
  );
  for (const signal of result.proposal.signals) {
    const t = signal.tolerance;
    lines.push(`${signal.signal}: tolerance relative ${t.relative}, absolute ${t.absolute}`);
    for (const why of signal.why) lines.push(`  ${why}`);
  }
  lines.push(`minRequestsPerGroup: ${result.proposal.minRequestsPerGroup.value}`);
  lines.push(`  ${result.proposal.minRequestsPerGroup.why}`);
  lines.push(`alpha: ${result.proposal.alpha.value}`);
  lines.push(`  ${result.proposal.alpha.why}`);
  lines.push('');
  const { check } = result;
  lines.push(
    `Check with the decision core (as \`ripcord simulate\`): scenarios replay random stretches of this history ` +
      `for a baseline and a canary at ${Math.round(result.canaryShare * 100)}% of traffic, ` +
      `${check.intervals} intervals of ${formatDuration(check.intervalSeconds)} each (seed ${check.seed}). ` +
      `A regression exactly at the tolerance is the edge of "no regression", so it is rarely confirmed; ` +
      `twice the tolerance is what the policy is meant to catch. Delay is from onset to the rollback decision.`,
  );
  lines.push(...formatCheckTable(check).map((line) => `  ${line}`));
  for (const left of check.unchecked) lines.push(`  Not in this check: ${left.why}`);
  const healthy = check.rows.find((r) => r.kind === 'healthy');
  if (healthy && healthy.rollbacks / healthy.scenarios > 2 * result.proposal.alpha.value + 0.02) {
    lines.push(
      `  Warning: ${healthy.rollbacks} false rollbacks in ${healthy.scenarios} healthy scenarios is more than alpha ` +
        `promises; widen the tolerances or look at the history for a change that is not noise.`,
    );
  }
  for (const row of check.rows) {
    if (row.kind !== 'regression' || !row.label.includes('2x') || row.rollbacks / row.scenarios >= 0.8)
      continue;
    lines.push(
      `  Note: ${row.label} is confirmed in only ${pct(row.rollbacks, row.scenarios)} of the scenarios within ` +
        `the ${formatDuration(result.watchSeconds)} watch` +
        (row.escalations > 0
          ? ` (${pct(row.escalations, row.scenarios)} escalated to a person instead: see maxInconclusiveSeconds). `
          : ': the canary sees too little traffic to tell sooner. ') +
        widerAlphaAdvice(row.widerAlphaHelps),
    );
  }
  lines.push('', `Policy (validates, ${result.policyHash}).`);
  return `${lines.join('\n')}\n`;
}

/**
 * Whether to suggest a wider alpha: where the confirmation, not alpha, sets
 * the pace (alphaWithoutEffect), a wider alpha changes nothing, and saying
 * otherwise would send a person to trade false-rollback risk for no gain.
 */
export function widerAlphaAdvice(helps: boolean | null): string {
  return helps === false
    ? 'A longer hold or a larger canary share would help; a wider alpha would not ' +
        '(at this alpha the fresh evidence after the confirmation window sets the pace).'
    : 'A longer hold, a larger canary share or a wider alpha would help.';
}

/** `--json`: everything but the per-point timelines, which are the input, not the result. */
export function suggestionJson(result: SuggestResult): unknown {
  return {
    ...result,
    profiles: result.profiles.map(({ timeline: _timeline, ...profile }) => profile),
  };
}
