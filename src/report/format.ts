import { formatNumber } from '../text/numbers';
import { evidenceWords } from '../model/evidence-words';
import type { SignalStatus } from '../model/guardian';
import type { DeploymentReport } from './model';

/** Small, shared wording for the text and HTML reports, so both say the same thing the same way. */

export { formatNumber };

/** "2026-01-01T12:00:03.120Z" → "2026-01-01 12:00:03Z". */
export function moment(iso: string | undefined): string {
  if (!iso) return '-';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  return new Date(at)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** Seconds as "+1:05" or "+1:02:05" (since the deploy); negative with "-". */
export function offset(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const total = Math.abs(Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${sign}${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** Between two times, in words: "42s", "3m 5s". */
export function between(from: string | undefined, to: string | undefined): string {
  if (!from || !to) return '-';
  const seconds = Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h ${m}m` : `${m}m ${s}s`;
}

export function headline(report: DeploymentReport): string {
  const d = report.deployment;
  return `${d.service} ${d.version} in ${d.environment} (deployment ${d.deploymentId})`;
}

/** The one line that says how it ended, or where it is. */
export function outcomeLine(report: DeploymentReport): string {
  if (report.outcome) return `${report.outcome}: ${report.outcomeReason ?? ''}`.trim();
  if (report.stopped) return `stopped (${report.stopped})`;
  const waiting = report.waiting ? `, waiting for ${report.waiting}` : '';
  return `still running${report.phase ? ` (phase ${report.phase}${waiting})` : ''}`;
}

export function evidenceLine(signal: SignalStatus): string {
  return `${signal.signal}: ${signal.verdict} (${signal.phase}), ${evidenceWords(signal)} — ${signal.reason}`;
}

/** The moments a reviewer asks for first, with the time between them. */
export function keyMoments(report: DeploymentReport): Array<{ label: string; at?: string; since?: string }> {
  const deployed = report.deployment.deployedAt;
  const stepsDone = report.plan?.steps.map((s) => s.finishedAt).filter((t): t is string => Boolean(t));
  const lastStep = stepsDone && stepsDone.length > 0 ? stepsDone.sort().at(-1) : undefined;
  const rows: Array<{ label: string; at?: string }> = [
    { label: 'deployed', at: deployed },
    ...(report.onset
      ? [{ label: 'regression began', ...(report.onset.at ? { at: report.onset.at } : {}) }]
      : []),
    ...(report.firstBreach
      ? [{ label: 'first breach', ...(report.firstBreach.at ? { at: report.firstBreach.at } : {}) }]
      : []),
    ...(report.decision
      ? [
          {
            label: `decided: ${report.decision.decision}`,
            ...(report.decision.at ? { at: report.decision.at } : {}),
          },
        ]
      : []),
    ...(lastStep ? [{ label: 'rollback steps done', at: lastStep }] : []),
    ...(report.closedAt
      ? [{ label: `closed${report.outcome ? `: ${report.outcome}` : ''}`, at: report.closedAt }]
      : []),
  ];
  return rows.map((r) => ({ ...r, ...(r.at ? { since: between(deployed, r.at) } : {}) }));
}

/** "sha256:" and the first 12 hex digits: enough to find the record, short enough for a table. */
export function shortHash(hash: string | undefined): string {
  if (!hash) return '-';
  return hash.length > 19 ? `${hash.slice(0, 19)}…` : hash;
}
