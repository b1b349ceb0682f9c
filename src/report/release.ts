import type { Client } from '@temporalio/client';
import type { GuardianHandle } from '../client/guardians';
import { guardianStatus } from '../client/guardians';
import type { AuditRecordOf } from '../model/audit';
import type { GuardianStatus } from '../model/guardian';
import type { ReleaseInput, ReleaseMemberStatus, ReleaseResult } from '../model/release';
import { formatTable } from '../text/table';
import { fetchGuardianHistory } from './history';
import { collectReport, type CollectOptions } from './index';
import { auditRecordsOf, type DeploymentReport } from './model';
import { renderText } from './text';

/**
 * The report of a release (docs/policy.md, releases): what it judged across
 * its members, with the evidence, what it rolled back and in which order, and
 * then each member's own report (its readings, plan and steps). Read from the
 * release's history (its input, result and the audit records it wrote) and,
 * while it runs, its status.
 */
export interface ReleaseReport {
  workflowId: string;
  releaseId: string;
  name: string;
  environment: string;
  mode: ReleaseInput['mode'];
  startedAt: string;
  outcome?: string;
  outcomeReason?: string;
  members: ReleaseMemberStatus[];
  outside: string[];
  verdicts: Array<AuditRecordOf<'release-verdict'>['details'] & { at: string }>;
  /** Each member's part of the coordinated rollbacks and endings, in order. */
  memberRecords: Array<AuditRecordOf<'release-member'>['details'] & { at: string }>;
  rolledBack: string[];
  memberReports: DeploymentReport[];
  notes: string[];
}

const QUERY_MS = 5_000;

export async function collectReleaseReport(
  client: Client,
  handle: GuardianHandle,
  options: CollectOptions = {},
): Promise<ReleaseReport> {
  const history = await fetchGuardianHistory(client, handle.workflowId);
  const firstRun = history.runs[0];
  if (!firstRun) throw new Error(`release ${handle.workflowId} has no runs`);
  const input = firstRun.input as unknown as ReleaseInput;
  const end = history.runs[history.runs.length - 1]?.end;
  const result = end?.kind === 'completed' ? (end.result as unknown as ReleaseResult) : undefined;
  const live = await client.connection
    .withDeadline(Date.now() + QUERY_MS, () => guardianStatus(handle))
    .catch((): GuardianStatus | undefined => undefined);
  const records = auditRecordsOf(history);
  const notes: string[] = [];
  const members: ReleaseMemberStatus[] =
    live?.release?.members ??
    input.members.map((m) => ({
      service: m.deployment.service,
      version: m.deployment.version,
      previousVersion: m.deployment.previousVersion,
      workflowId: '',
      dependsOn: m.dependsOn,
      state: 'watching',
      ...(result?.members[m.deployment.service] && result.members[m.deployment.service] !== 'unknown'
        ? { outcome: result.members[m.deployment.service] as never }
        : {}),
    }));
  if (!live)
    notes.push('The release did not answer its status query: members are shown from its input and result.');
  const memberReports: DeploymentReport[] = [];
  for (const member of members) {
    if (!member.workflowId) continue;
    try {
      memberReports.push(
        await collectReport(client, client.workflow.getHandle(member.workflowId) as GuardianHandle, options),
      );
    } catch (error) {
      notes.push(
        `No report for member ${member.service} (${member.workflowId}): ${(error as Error).message}`,
      );
    }
  }
  const outcome = result?.outcome ?? live?.outcome;
  const outcomeReason = result?.reason ?? live?.reason;
  return {
    workflowId: handle.workflowId,
    releaseId: input.releaseId,
    name: input.name,
    environment: input.environment,
    mode: input.mode,
    startedAt: firstRun.startedAt,
    ...(outcome ? { outcome } : {}),
    ...(outcomeReason ? { outcomeReason } : {}),
    members,
    outside: input.outside.map((o) => o.service),
    verdicts: records
      .filter((r): r is AuditRecordOf<'release-verdict'> => r.kind === 'release-verdict')
      .map((r) => ({ ...r.details, at: r.at })),
    memberRecords: records
      .filter((r): r is AuditRecordOf<'release-member'> => r.kind === 'release-member')
      .map((r) => ({ ...r.details, at: r.at })),
    rolledBack: result?.rolledBack ?? live?.release?.rolledBack ?? [],
    memberReports,
    notes,
  };
}

export function renderReleaseText(report: ReleaseReport, link: (workflowId: string) => string): string {
  const lines: string[] = [];
  const say = (line = '') => lines.push(line);
  say(`Release report: ${report.name} (${report.releaseId}) in ${report.environment}, mode ${report.mode}`);
  say(
    `outcome      ${report.outcome ? `${report.outcome}${report.outcomeReason ? `: ${report.outcomeReason}` : ''}` : 'still running'}`,
  );
  say(`release      ${report.workflowId}`);
  say(`Web UI       ${link(report.workflowId)}`);
  say(`started      ${report.startedAt}`);
  say();
  say('Members');
  for (const line of formatTable(
    ['member', 'version', 'calls', 'state', 'outcome'],
    report.members.map((m) => [
      m.service,
      `${m.previousVersion} → ${m.version}`,
      m.dependsOn.join(', ') || '-',
      m.state,
      m.outcome ?? '-',
    ]),
  ))
    say(`  ${line}`);
  if (report.outside.length) say(`  outside the release: ${report.outside.join(', ')}`);
  say();
  say('Verdicts');
  if (report.verdicts.length === 0) say('  none: no member regressed and no stable version degraded');
  for (const v of report.verdicts) {
    say(
      `  ${v.at}  ${v.verdict} at interval ${v.atIndex}${v.rollback.length ? `: roll back ${v.rollback.join(' then ')}` : ''}`,
    );
    say(`    ${v.reason}`);
    for (const m of v.members)
      say(
        `    ${m.service}: ${m.verdict}${m.explainedBy?.length ? ` (explained by ${m.explainedBy.join(', ')})` : ''} — ${m.reason}`,
      );
    const degraded = v.systemic.filter((s) => s.degraded);
    if (v.systemic.length)
      say(
        `    stable versions tested: ${v.systemic.map((s) => `${s.service}${s.inRelease ? "'s baseline" : ''} ${s.signal}${s.degraded ? ' DEGRADED' : ''}`).join(', ')}` +
          (degraded.length ? '' : ' (none degraded)'),
      );
  }
  say();
  say('Coordinated rollback and endings');
  if (report.memberRecords.length === 0) say('  none yet');
  for (const r of report.memberRecords)
    say(
      `  ${r.at}  ${r.service}: ${r.state}${r.outcome ? ` (${r.outcome})` : ''}${r.reason ? ` — ${r.reason}` : ''}`,
    );
  say(`rolled back  ${report.rolledBack.length ? report.rolledBack.join(', ') : 'none'}`);
  for (const note of report.notes) say(`note: ${note}`);
  for (const member of report.memberReports) {
    say();
    say(`──── member ${member.deployment.service} ────`);
    lines.push(renderText(member, link(member.workflowId)).trimEnd());
  }
  return `${lines.join('\n')}\n`;
}
