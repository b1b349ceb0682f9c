import type { ResolvedConnection } from '../client/connection-profile';
import type { GuardianRow } from '../client/guardians';
import { formatDuration } from '../text/duration';
import type { GuardianPhase, GuardianStatus } from '../model/guardian';
import { evidenceShort } from '../model/evidence-words';
import { formatTable } from '../text/table';
import { DEFAULT_WEB_UI } from './temporal-session';
import { guardiansListUrl } from '../client/web-ui-links';

/**
 * What a running guardian said when asked at a glance: its latest verdict, the
 * signal closest to a decision, and what it waits for with the time left. A
 * guardian that did not answer in time has `answered: false` and shows '?'.
 */
export type GuardianGlance =
  | {
      answered: true;
      phase: GuardianPhase;
      verdict: string | null;
      /** The signal with the most evidence against the canary, relative to its threshold. */
      evidence: { signal: string; eValue: number; threshold: number } | null;
      wait: { for: string; label: string; until: string | null; secondsLeft: number | null } | null;
    }
  | { answered: false; error: string };

/** Short names of what each phase waits for (the status's own sentence is for `ripcord status`). */
const WAIT_LABELS: Record<GuardianPhase, string> = {
  admit: 'admit',
  watch: 'next eval',
  confirm: 'confirm',
  plan: 'plan',
  gate: 'approval',
  execute: 'step',
  verify: 'recovery',
  escalated: 'a person',
  close: '-',
};

export function glanceOf(status: GuardianStatus, now: Date): GuardianGlance {
  const strongest = [...status.signals]
    .filter((s) => s.threshold > 0)
    .sort((a, b) => b.eValue / b.threshold - a.eValue / a.threshold)[0];
  const waiting = status.waiting;
  const until = waiting?.until ?? null;
  const at = until === null ? NaN : Date.parse(until);
  return {
    answered: true,
    phase: status.phase,
    verdict: status.lastVerdict?.verdict ?? null,
    evidence: strongest
      ? { signal: strongest.signal, eValue: strongest.eValue, threshold: strongest.threshold }
      : null,
    wait: waiting
      ? {
          for: waiting.for,
          label: status.paused ? 'resume' : WAIT_LABELS[status.phase],
          until,
          secondsLeft: Number.isNaN(at) ? null : Math.max(0, Math.round((at - now.getTime()) / 1000)),
        }
      : null,
  };
}

/** "error-rate 45% of needed", "error-rate 3.4× needed": the evidence against the canary, next to what would decide. */
export function formatEvidence(glance: GuardianGlance | undefined): string {
  if (glance === undefined) return '-';
  if (!glance.answered) return '?';
  const e = glance.evidence;
  return e ? `${e.signal} ${evidenceShort(e)}` : '-';
}

/** "confirm 32s", "approval 4m 30s", "next eval": what it waits for and the time left. */
export function formatWait(glance: GuardianGlance | undefined): string {
  if (glance === undefined) return '-';
  if (!glance.answered) return '?';
  const w = glance.wait;
  if (!w) return '-';
  if (w.secondsLeft === null) return w.label;
  return `${w.label} ${w.secondsLeft > 0 ? formatDuration(w.secondsLeft) : 'due'}`;
}

/**
 * `ripcord list` as a table: one guardian per line, what a person scans for
 * first. Running guardians that were asked (`glances`) also show their
 * verdict, strongest evidence and current wait.
 */
export function formatGuardianRows(
  rows: readonly GuardianRow[],
  options: { all: boolean; glances?: ReadonlyMap<string, GuardianGlance> },
): string[] {
  if (rows.length === 0) return [options.all ? 'no guardians found' : 'no running guardians'];
  rows = groupByRelease(rows);
  const releases = new Set(rows.filter((r) => r.release).map((r) => r.workflowId));
  const dash = (value: string) => value || '-';
  return formatTable(
    ['DEPLOYMENT', 'SERVICE', 'ENV', 'VERSION', 'PHASE', 'VERDICT', 'EVIDENCE', 'WAIT', 'OUTCOME', 'STARTED'],
    rows.map((row) => {
      const glance = options.glances?.get(row.workflowId);
      return [
        dash(row.deploymentId),
        row.release
          ? `release ${dash(row.service)}`
          : row.parentWorkflowId && releases.has(row.parentWorkflowId)
            ? `└ ${dash(row.service)}`
            : dash(row.service),
        dash(row.environment),
        dash(row.version),
        // The guardian's own answer is fresher than the search attribute.
        glance?.answered ? glance.phase : dash(row.phase),
        glance === undefined ? '-' : glance.answered ? (glance.verdict ?? '-') : '?',
        formatEvidence(glance),
        formatWait(glance),
        // A guardian stopped from outside has no outcome of its own: say how it ended instead.
        row.outcome || (row.status === 'RUNNING' ? '-' : row.status.toLowerCase()),
        row.startTime
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, 'Z'),
      ];
    }),
  );
}

/** Releases first in their place, each followed by its members (in the order listed); the rest as they were. */
export function groupByRelease(rows: readonly GuardianRow[]): GuardianRow[] {
  const releaseIds = new Set(rows.filter((r) => r.release).map((r) => r.workflowId));
  const inRelease = (r: GuardianRow) =>
    r.parentWorkflowId !== undefined && releaseIds.has(r.parentWorkflowId);
  return rows
    .filter((r) => !inRelease(r))
    .flatMap((r) => (r.release ? [r, ...rows.filter((m) => m.parentWorkflowId === r.workflowId)] : [r]));
}

/** Runs `task` over `items` with at most `limit` at a time; results in the items' order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The Web UI's list of guardians in the profile's namespace (of one service when it is named). */
export function guardianListLink(
  conn: Pick<ResolvedConnection, 'webUi' | 'namespace'>,
  service?: string,
): string {
  return guardiansListUrl(conn.webUi ?? DEFAULT_WEB_UI, conn.namespace, service);
}
