import type { GuardianStatus } from '../model/guardian';
import type { ClosedGuardian, ExecutionInfo } from './guardian-lookup';
import { evidenceWords } from '../model/evidence-words';
import { formatTable } from '../text/table';
import { formatWaitEnding } from '../client/wait-ending-format';
import { formatWaiting } from '../client/waiting-format';
import { formatMoment } from '../text/moments';

/** The plan a person is asked to judge: its hash, its risk and why, and every step. */
export function formatPlan(plan: NonNullable<GuardianStatus['plan']>): string[] {
  const lines = [`plan ${plan.planHash}`, `  risk ${plan.risk}${riskWhy(plan.riskReasons)}`];
  for (const step of plan.steps) {
    lines.push(
      `  step ${step.index} ${step.name} (${step.type}): ${step.state}${step.detail ? ` — ${step.detail}` : ''}`,
    );
  }
  return lines;
}

function riskWhy(reasons: string[]): string {
  return reasons.length > 0 ? `: ${reasons.join('; ')}` : '';
}

function signalTable(status: GuardianStatus): string[] {
  if (status.signals.length === 0) return ['signals      none evaluated yet'];
  const table = formatTable(
    ['signal', 'verdict', 'state', 'evidence', 'why'],
    status.signals.map((s) => [s.signal, s.verdict, s.phase, evidenceWords(s), s.reason]),
  );
  return ['signals', ...table.map((line) => `  ${line}`)];
}

/**
 * A run that ended without finishing its course (terminated, timed out, failed,
 * cancelled): its last status may still say it waits, but nothing will come.
 */
export function endedEarly(execution: ExecutionInfo): boolean {
  return execution.status !== 'RUNNING' && execution.status !== 'COMPLETED';
}

/**
 * The first line for a guardian whose run ended without finishing its course:
 * "TERMINATED at 2026-01-01 12:00:00Z (3m ago): ...". Undefined while it runs or once it completed.
 */
export function formatEndedEarly(execution: ExecutionInfo | undefined, now: Date): string | undefined {
  if (execution === undefined || !endedEarly(execution)) return undefined;
  const at = execution.closeTime ? ` at ${formatMoment(execution.closeTime, now)}` : '';
  return `${execution.status}${at}: the guardian is no longer running; what it waited for will not happen`;
}

/**
 * The readable `ripcord status`: one labelled line per fact, the plan and
 * signals as small tables. With the run's `execution`, a guardian that was
 * terminated, timed out, failed or cancelled says so first, and never that it waits.
 */
export function formatStatus(
  status: GuardianStatus,
  link: string,
  now: Date,
  execution?: ExecutionInfo,
  namespace = 'default',
): string {
  const ended = formatEndedEarly(execution, now);
  const release = status.release;
  const lines: string[] = [
    ...(ended ? [ended] : []),
    ...(release
      ? [
          `release      ${status.workflowId}`,
          `             ${release.name} (${release.releaseId}) in ${status.environment}, mode ${release.mode}`,
          ...formatReleaseMembers(release),
        ]
      : [
          `guardian     ${status.workflowId}`,
          `deployment   ${status.deploymentId}: ${status.service} ${status.version} in ${status.environment}`,
          ...(status.memberOf
            ? [
                `member of    release ${status.memberOf.releaseId} (${status.memberOf.releaseWorkflowId}): address it`,
              ]
            : []),
        ]),
    `policy       ${status.policyHash} (mode ${status.mode})`,
    `phase        ${status.phase}${status.paused ? ' (PAUSED: no evaluation until resumed)' : ''}`,
  ];
  const waiting = ended ? undefined : formatWaiting(status.waiting, now);
  if (waiting) lines.push(`waiting for  ${waiting}`);
  // A wait for a person: who may end it, until when, the full plan, the exact command.
  if (!ended)
    lines.push(...formatWaitEnding(status, namespace, (iso) => formatMoment(iso, now), '             '));
  const runs = status.continuedAsNew > 0 ? ` (over ${status.continuedAsNew + 1} runs)` : '';
  lines.push(`evaluations  ${status.evaluations}${runs}`);
  if (status.lastVerdict) {
    const v = status.lastVerdict;
    lines.push(`last verdict ${v.verdict} at interval ${v.index}: ${v.reason}`);
  }
  if (!release) lines.push(...signalTable(status));
  if (status.decision) {
    const d = status.decision;
    // A manual decision taken before the first evaluation has no interval (index -1).
    const at =
      d.decidedAtIndex === null
        ? ''
        : d.decidedAtIndex < 0
          ? ' before the first evaluation'
          : ` at interval ${d.decidedAtIndex}`;
    lines.push(`decision     ${d.decision} (${d.source})${at}: ${d.reason}`);
  }
  if (status.plan) lines.push(...formatPlan(status.plan));
  if (status.approvals.length > 0) {
    lines.push(
      `approvals    ${status.approvals.map((a) => `${a.subject} (${a.role}) at ${formatMoment(a.at, now)}`).join(', ')}`,
    );
  }
  if (status.outcome)
    lines.push(`outcome      ${status.outcome}${status.reason ? `: ${status.reason}` : ''}`);
  lines.push(`Web UI       ${link}`);
  return `${lines.join('\n')}\n`;
}

/** A release's members (state, what the judge said), the services outside it, and every verdict so far. */
function formatReleaseMembers(release: NonNullable<GuardianStatus['release']>): string[] {
  const table = formatTable(
    ['member', 'version', 'calls', 'state', 'why'],
    release.members.map((m) => [
      m.service,
      `${m.previousVersion} → ${m.version}`,
      m.dependsOn.join(', ') || '-',
      m.outcome && m.outcome !== m.state ? `${m.state} (${m.outcome})` : m.state,
      m.reason ?? '',
    ]),
  );
  return [
    'members',
    ...table.map((line) => `  ${line}`),
    ...(release.outside.length ? [`outside      ${release.outside.join(', ')}`] : []),
    ...release.verdicts.map(
      (v) =>
        `verdict      ${v.kind} at interval ${v.atIndex}${v.rollback.length ? `, roll back ${v.rollback.join(' then ')}` : ''}: ${v.reason}`,
    ),
    ...(release.rolledBack.length ? [`rolled back  ${release.rolledBack.join(', ')}`] : []),
  ];
}

/** A closed guardian whose worker is gone: what its history and result say. */
export function formatClosedGuardian(closed: ClosedGuardian, link: string, now = new Date()): string {
  const attr = (name: string) => closed.searchAttributes[name] ?? '?';
  const ended = formatEndedEarly(
    { status: closed.executionStatus, ...(closed.closedAt ? { closeTime: closed.closedAt } : {}) },
    now,
  );
  const lines = [
    ...(ended ? [ended] : []),
    `guardian     ${closed.workflowId}`,
    `deployment   ${attr('RipcordDeploymentId')}: ${attr('RipcordService')} ${attr('RipcordVersion')} in ${attr('RipcordEnvironment')}`,
    `phase        ${attr('RipcordPhase')} (closed${closed.closedAt ? ` at ${closed.closedAt}` : ''}, ${closed.executionStatus.toLowerCase()})`,
  ];
  if (closed.result) {
    lines.push(`evaluations  ${closed.result.evaluations}`);
    lines.push(`outcome      ${closed.result.outcome}: ${closed.result.reason}`);
  }
  if (closed.stopped) lines.push(`stopped      ${closed.stopped}`);
  lines.push('(no worker answered the status query; this is what the history says)');
  lines.push(`Web UI       ${link}`);
  return `${lines.join('\n')}\n`;
}
