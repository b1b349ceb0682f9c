import { formatTable } from '../text/table';
import { policyVersionLabel } from '../policy/version-label';
import {
  between,
  evidenceLine,
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
 * The report for a terminal or a pipeline log: the same sections as the HTML
 * page without the charts, short enough to read top to bottom.
 */
export function renderText(report: DeploymentReport, link: string): string {
  const lines: string[] = [];
  const say = (line = '') => lines.push(line);
  const d = report.deployment;

  say(`Deployment report: ${headline(report)}`);
  say(`outcome      ${outcomeLine(report)}`);
  say(`guardian     ${report.workflowId}${report.runs > 1 ? ` (${report.runs} runs)` : ''}`);
  say(`Web UI       ${link}`);
  if (report.traceId) say(`trace        ${report.traceId}`);
  say(
    `policy       ${report.policy.service}/${report.policy.environment} ${policyVersionLabel(report.policy.version)} ` +
      `(${report.policy.hash}), mode ${report.policy.mode}, ${report.policy.pattern}, every ${report.policy.intervalSeconds}s`,
  );
  say(`versions     ${d.version} (new), ${d.previousVersion} (previous)`);
  for (const note of report.notes) say(`note         ${note}`);

  say();
  say('Key moments');
  for (const line of formatTable(
    ['WHAT', 'AT', 'SINCE DEPLOY'],
    keyMoments(report).map((m) => [m.label, moment(m.at), m.since ?? '-']),
  ))
    say(`  ${line}`);

  say();
  say('Timeline');
  for (const line of formatTable(
    ['AT', 'SINCE', 'EVENT'],
    report.timeline.map((e) => [moment(e.at), offset(e.sinceDeploySeconds), e.text]),
  ))
    say(`  ${line}`);

  say();
  say('Signals');
  const watch = report.readings.filter((r) => r.phase === 'watch').length;
  const after = report.readings.length - watch;
  say(
    `  ${watch} interval(s) watched` +
      (after > 0 ? `, ${after} reading(s) after the decision (step and recovery checks)` : ''),
  );
  if (report.onset) say(`  onset: interval ${report.onset.index} (${report.onset.source})`);
  if (report.firstBreach)
    say(`  first breach: interval ${report.firstBreach.index}: ${report.firstBreach.reason}`);
  const flagged = report.verdicts.filter((v) => v.verdict !== 'healthy' && v.reason !== 'warm-up');
  if (flagged.length > 0) {
    say('  intervals that were not healthy:');
    for (const v of flagged) say(`    ${v.index}  ${v.verdict}: ${v.reason}`);
  }

  say();
  say('Decision and evidence');
  if (report.decision) {
    const at = report.decision.decidedAtIndex;
    say(
      `  ${report.decision.decision} (${report.decision.source})` +
        `${at !== null && at >= 0 ? ` after interval ${at}` : ''}` +
        `${report.decision.at ? ` at ${moment(report.decision.at)}` : ''}: ${report.decision.reason}`,
    );
    for (const signal of report.decision.evidence) say(`    ${evidenceLine(signal)}`);
  } else {
    say(`  ${noDecisionText(report)}`);
  }
  for (const d of report.dismissedBreaches) say(`  interval ${d.index}: ${dismissedBreachText(d)}`);

  say();
  say('Plan');
  if (report.plan) {
    const p = report.plan;
    say(
      `  ${p.planHash}, risk ${p.risk}${p.riskReasons.length ? ` (${p.riskReasons.join('; ')})` : ''}, ${p.trigger}`,
    );
    for (const change of p.changes) say(`  change: ${change}`);
    for (const line of formatTable(
      ['STEP', 'TYPE', 'STATE', 'STARTED', 'TOOK', 'DETAIL'],
      p.steps.map((s) => [
        `${s.index} ${s.name}`,
        s.type,
        s.state,
        moment(s.startedAt),
        between(s.startedAt, s.finishedAt),
        s.detail ?? '',
      ]),
    ))
      say(`  ${line}`);
  } else {
    say('  no rollback plan was built');
  }

  say();
  say('Approvals');
  if (report.approvals.length === 0) say('  none');
  for (const a of report.approvals)
    say(`  ${a.verdict} by ${a.subject} (${a.role}) at ${moment(a.at)}${a.reason ? `: ${a.reason}` : ''}`);

  say();
  say('Audit trail');
  const trail = report.audit.trail;
  if (trail) {
    say(
      trail.verified
        ? `  ${trail.where}: all ${trail.count} records verified${trail.head ? `; head seq ${trail.head.seq} ${trail.head.hash}` : ''}`
        : `  ${trail.where}: DOES NOT VERIFY: ${trail.problem}`,
    );
  }
  for (const line of formatTable(
    ['SEQ', 'HASH', 'AT', 'KIND', 'ACTOR', 'SUMMARY'],
    report.audit.records.map((r) => [
      r.seq === undefined ? '-' : String(r.seq),
      shortHash(r.hash),
      moment(r.at),
      r.kind,
      r.actor,
      r.summary,
    ]),
  ))
    say(`  ${line}`);
  return `${lines.join('\n')}\n`;
}
