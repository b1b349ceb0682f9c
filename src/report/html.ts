import { evidenceWords, type EvidenceLike } from '../model/evidence-words';
import { escapeHtml } from '../text/html';
import { PLOT_CSS, plotLegend } from '../simulate/plot';
import { policyVersionLabel } from '../policy/version-label';
import { renderChart } from './chart';
import {
  between,
  formatNumber,
  headline,
  keyMoments,
  moment,
  offset,
  outcomeLine,
  shortHash,
} from './format';
import { noDecisionText } from './evidence-gap';
import { type DeploymentReport, dismissedBreachText } from './model';

/**
 * The postmortem page: one self-contained HTML file (inline CSS and SVG, no
 * script, nothing fetched), so it can be attached to an incident ticket or a
 * pipeline run and still open years later.
 */

const OUTCOME_COLORS: Record<string, string> = {
  promoted: '#2e7d32',
  'rolled-back': '#b00020',
  aborted: '#8a5a00',
  escalated: '#8a5a00',
  expired: '#8a5a00',
};

const e = escapeHtml;
/** Evidence in words; the raw e-value and its breach level stay one hover away for the statistician. */
const evidenceCell = (s: EvidenceLike) =>
  `<span title="e-value ${e(formatNumber(s.eValue))}, breach at ${e(formatNumber(s.threshold))}">` +
  `${e(evidenceWords(s))}</span>`;
/** A time that never wraps inside a table cell. */
const when = (iso: string | undefined) => `<span class="n">${e(moment(iso))}</span>`;

function table(headers: string[], rows: string[][], className = ''): string {
  const head = headers.map((h) => `<th>${e(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table${className ? ` class="${className}"` : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function summary(report: DeploymentReport, link: string): string {
  const d = report.deployment;
  const color = OUTCOME_COLORS[report.outcome ?? ''] ?? '#555';
  const rows: Array<[string, string]> = [
    ['outcome', `<b style="color:${color}">${e(outcomeLine(report))}</b>`],
    ['versions', `${e(d.version)} (new) replacing ${e(d.previousVersion)}`],
    ['deployed', `${when(d.deployedAt)}${d.deployer ? ` by ${e(d.deployer)}` : ''}`],
    [
      'policy',
      `${e(report.policy.service)}/${e(report.policy.environment)} ${e(policyVersionLabel(report.policy.version))}, mode ${e(report.policy.mode)}, ` +
        `${e(report.policy.pattern)}, every ${report.policy.intervalSeconds}s <code>${e(report.policy.hash)}</code>`,
    ],
    [
      'guardian',
      `<a href="${e(link)}">${e(report.workflowId)}</a>${report.runs > 1 ? ` (${report.runs} runs)` : ''}`,
    ],
    ...(report.traceId ? [['trace', `<code>${e(report.traceId)}</code>`] as [string, string]] : []),
  ];
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${e(k)}</th><td>${v}</td></tr>`).join('')}</table>`;
}

function timeline(report: DeploymentReport): string {
  const rows = report.timeline.map((entry) => [
    when(entry.at),
    `<span class="n">${e(offset(entry.sinceDeploySeconds))}</span>`,
    `<span class="k k-${e(entry.kind)}">${e(entry.kind.replace('-', ' '))}</span>`,
    e(entry.text),
  ]);
  return table(['at', 'since deploy', 'what', 'event'], rows, 'timeline');
}

function evidence(report: DeploymentReport): string {
  const parts: string[] = [];
  const decision = report.decision;
  if (decision) {
    const at = decision.decidedAtIndex;
    parts.push(
      `<p><b>${e(decision.decision)}</b> (${e(decision.source)})${at !== null && at >= 0 ? ` after interval ${at}` : ''}` +
        `${decision.at ? ` at ${when(decision.at)}` : ''}: ${e(decision.reason)}</p>`,
    );
    if (decision.evidence.length > 0) {
      parts.push('<p>Each signal as the guardian recorded it at the decision:</p>');
      parts.push(
        table(
          ['signal', 'verdict', 'phase', 'evidence', 'why'],
          decision.evidence.map((s) => [e(s.signal), e(s.verdict), e(s.phase), evidenceCell(s), e(s.reason)]),
        ),
      );
    }
  } else {
    const none = noDecisionText(report);
    parts.push(`<p>${e(none.charAt(0).toUpperCase() + none.slice(1))}.</p>`);
  }
  if (report.dismissedBreaches.length > 0) {
    parts.push(
      `<ul class="dismissed">${report.dismissedBreaches
        .map(
          (d) =>
            `<li>interval ${d.index}${d.at ? ` (${when(d.at)})` : ''}: ${e(dismissedBreachText(d))}</li>`,
        )
        .join('')}</ul>`,
    );
  }
  if (!report.recomputed.agrees) {
    parts.push(
      `<p class="warn">Recomputed now, the decision core reaches ${e(report.recomputed.decision)}` +
        `${report.recomputed.decidedAtIndex !== null ? ` after interval ${report.recomputed.decidedAtIndex}` : ''}; ` +
        'the recorded decision above is what happened.</p>',
    );
  }
  const rows = report.verdicts.map((v) => {
    const reading = report.readings.find((r) => r.phase === 'watch' && r.index === v.index);
    return [
      String(v.index),
      when(reading?.at),
      `<span class="v v-${e(v.verdict)}">${e(v.verdict)}</span>`,
      v.signals
        .map(
          (s) =>
            `${e(s.signal)}: ${e(s.verdict)}${s.phase !== 'watching' ? ` (${e(s.phase)})` : ''}, ` +
            `${evidenceCell(s.evidence)}` +
            `${s.evidence.estimate !== undefined ? `, estimate ${e(formatNumber(s.evidence.estimate))}` : ''}` +
            `${s.evidence.bound !== undefined ? ` vs ${e(formatNumber(s.evidence.bound))}` : ''} — ${e(s.reason)}`,
        )
        .join('<br>'),
    ];
  });
  if (rows.length > 0) {
    const notHealthy = report.verdicts.filter((v) => v.verdict !== 'healthy').length;
    parts.push(
      `<details${notHealthy > 0 ? ' open' : ''}><summary>The verdict of every interval (${rows.length}; ` +
        `${notHealthy} not healthy), recomputed from the readings by the same decision core</summary>` +
        table(
          [
            'interval',
            'read at',
            'verdict',
            'each signal: verdict, e-value / breach level, estimate vs bound',
          ],
          rows,
          'verdicts',
        ) +
        '</details>',
    );
  }
  return parts.join('\n');
}

function plan(report: DeploymentReport): string {
  const p = report.plan;
  if (!p) return '<p>No rollback plan was built.</p>';
  const head =
    `<p>Plan <code>${e(p.planHash)}</code>, built ${when(p.createdAt)} (${e(p.trigger)}), risk <b>${e(p.risk)}</b>` +
    `${p.riskReasons.length ? `: ${e(p.riskReasons.join('; '))}` : ''}</p>` +
    (p.changes.length ? `<ul>${p.changes.map((c) => `<li>${e(c)}</li>`).join('')}</ul>` : '');
  const rows = p.steps.map((s) => [
    String(s.index),
    e(s.name),
    e(s.type),
    `<span class="s s-${e(s.state.replace(' ', '-'))}">${e(s.state)}</span>`,
    when(s.startedAt),
    when(s.finishedAt),
    e(between(s.startedAt, s.finishedAt)),
    s.attempts !== undefined ? String(s.attempts) : '-',
    e(s.detail ?? ''),
  ]);
  return (
    head + table(['#', 'step', 'type', 'state', 'started', 'finished', 'took', 'attempts', 'read back'], rows)
  );
}

function approvals(report: DeploymentReport): string {
  if (report.approvals.length === 0) {
    return `<p>${report.plan?.risk === 'high' ? 'No approval was recorded.' : 'None needed: the plan was not high-risk.'}</p>`;
  }
  return table(
    ['who', 'role', 'at', 'judgement', 'reason'],
    report.approvals.map((a) => [e(a.subject), e(a.role), when(a.at), e(a.verdict), e(a.reason ?? '')]),
  );
}

function audit(report: DeploymentReport): string {
  const trail = report.audit.trail;
  const head = trail
    ? trail.verified
      ? `<p class="ok">Audit trail ${e(trail.where)}: all ${trail.count} records verified` +
        `${trail.head ? `; head seq ${trail.head.seq} <code>${e(trail.head.hash)}</code>` : ''}.</p>`
      : `<p class="warn">Audit trail ${e(trail.where)} DOES NOT VERIFY: ${e(trail.problem ?? '')}</p>`
    : "<p>No audit trail was read; the records below come from the guardian's history.</p>";
  const rows = report.audit.records.map((r) => [
    r.seq === undefined ? '-' : String(r.seq),
    r.hash ? `<code title="${e(r.hash)}">${e(shortHash(r.hash))}</code>` : '-',
    when(r.at),
    e(r.kind),
    e(r.actor),
    e(r.summary),
  ]);
  return head + table(['seq', 'hash', 'at', 'kind', 'actor', 'summary'], rows, 'audit');
}

const REPORT_CSS = `${PLOT_CSS}
h1{font-size:22px;margin:0 0 8px}
h2.s{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border:1px solid #e0e0e0;padding:3px 7px;text-align:left;vertical-align:top}
.n{white-space:nowrap}
thead th{background:#f3f3f3}
table.kv th{background:#f7f7f7;width:110px}
code{font-size:12px}
.note{background:#fff8e1;border-left:4px solid #f4a259;padding:6px 10px;margin:6px 0}
.blameless{color:#555;font-style:italic}
.warn{color:#b00020}
.ok{color:#2e7d32}
.k{font-size:11px;padding:1px 5px;border-radius:3px;background:#eee;white-space:nowrap}
.k-decision,.k-first-breach{background:#f4a259}
.k-breach-dismissed{background:#cfe3f7}
.k-onset{background:#ccc}
.k-outcome{background:#c5e1a5}
.v-regressed{color:#b00020;font-weight:bold}
.v-error{color:#bc4b51}
.s-done,.s-compensated{color:#2e7d32}
.s-failed,.s-frozen{color:#b00020}
@media print{details{display:block}}`;

export function renderHtml(report: DeploymentReport, link: string, generatedAt: Date): string {
  const title = `Deployment report: ${headline(report)}`;
  const moments = table(
    ['moment', 'at', 'since deploy'],
    keyMoments(report).map((m) => [e(m.label), when(m.at), e(m.since ?? '-')]),
  );
  const notes = report.notes.map((n) => `<p class="note">${e(n)}</p>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
${REPORT_CSS}
</style></head><body>
<h1>${e(title)}</h1>
<p class="blameless">This report describes what the systems observed and what ripcord decided and did, for a blameless review: it records facts and decisions, not fault.</p>
${summary(report, link)}
${notes}
<h2 class="s" id="moments">Key moments</h2>
${moments}
<h2 class="s" id="timeline-heading">Timeline</h2>
<div id="timeline">
${timeline(report)}
</div>
<h2 class="s" id="signals-heading">Signals</h2>
<div id="signals">
${plotLegend()}
${renderChart(report)}
</div>
<h2 class="s" id="evidence">Decision and evidence</h2>
${evidence(report)}
<h2 class="s" id="plan">Rollback plan and steps</h2>
${plan(report)}
<h2 class="s" id="approvals">Approvals</h2>
${approvals(report)}
<h2 class="s" id="audit">Audit trail</h2>
${audit(report)}
<p class="blameless">Generated ${when(generatedAt.toISOString())} by <code>ripcord report</code> from the guardian's workflow history${report.audit.trail ? ' and its audit trail' : ''}.</p>
</body></html>
`;
}
