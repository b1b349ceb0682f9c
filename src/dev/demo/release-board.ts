import type { LoadCounts } from '../fleet';
import type { GuardianStatus } from '../../model/guardian';
import type { ReleaseMemberStatus, ReleaseStatus, ReleaseVerdict } from '../../model/release';
import { trafficByVersion } from './status-line';
import { timelineLines } from './timeline';

/**
 * What the release stories show while the release runs, from its status
 * query: one event line for each member that changes state and for each
 * verdict the release reaches (with its evidence, in the judge's words), a
 * live status line with every member at a glance and what the load saw, and a
 * timeline of the milestones at the end. Pure: the caller passes the reads
 * and the time.
 */

export type ReleaseRead = GuardianStatus & { release: ReleaseStatus };

/** `payments 2.0.0 watching`, with the member's reason when the state says less than it. */
function memberWords(member: ReleaseMemberStatus): string {
  const outcome =
    member.outcome !== undefined && member.outcome !== member.state ? ` (${member.outcome})` : '';
  return `${member.service} ${member.version} ${member.state}${outcome}`;
}

/** The event lines this read adds to the previous one: member states, new verdicts, the release's end. */
export function releaseEvents(previous: ReleaseRead | undefined, current: ReleaseRead): string[] {
  const lines: string[] = [];
  const seen = previous?.release.verdicts.length ?? 0;
  for (const verdict of current.release.verdicts.slice(seen)) lines.push(...verdictLines(verdict));
  // A member's reason is often the verdict's own words: said once, with the verdict.
  const verdictWords = current.release.verdicts.map((v) => v.reason);
  for (const member of current.release.members) {
    const before = previous?.release.members.find((m) => m.service === member.service);
    if (before?.state === member.state) continue;
    const from = before === undefined ? '' : `${before.state} → `;
    const said = member.reason !== undefined && verdictWords.some((words) => member.reason!.includes(words));
    const why = member.reason && !said ? `: ${member.reason}` : said ? ' (the verdict above)' : '';
    lines.push(`${member.service} ${member.version}: ${from}${member.state}${why}`);
  }
  if (current.outcome !== undefined && previous?.outcome === undefined) {
    lines.push(`release ${current.outcome}${current.reason ? `: ${current.reason}` : ''}`);
  }
  return lines;
}

export function verdictLines(verdict: ReleaseVerdict): string[] {
  const rollback = verdict.rollback.length > 0 ? `; rolls back ${verdict.rollback.join(', then ')}` : '';
  return [`release verdict ${verdict.kind} at interval ${verdict.atIndex}${rollback}`, `  ${verdict.reason}`];
}

/**
 * `watch | 14 evaluations | payments 2.0.0 watching, checkout 2.0.0 watching |
 * checkout 2.0.0: 612 req, 18 err | checkout 1.9.0: ... | payments ...` (one line).
 */
export function releaseStatusLine(input: {
  status: ReleaseRead | undefined;
  /** Load generators' counts by the service they call. */
  loads: Record<string, LoadCounts | undefined>;
  /** Versions in the order to show them (the new one first). */
  versions: string[];
}): string {
  const { status } = input;
  const parts: string[] = [status?.phase ?? 'starting'];
  if (status !== undefined) {
    if (status.outcome !== undefined) parts.push(status.outcome);
    parts.push(`${status.evaluations} evaluation${status.evaluations === 1 ? '' : 's'}`);
    parts.push(status.release.members.map(memberWords).join(', '));
  }
  for (const [service, counts] of Object.entries(input.loads)) {
    parts.push(...trafficByVersion(counts, input.versions).map((line) => `${service} ${line}`));
  }
  return parts.join(' | ');
}

/**
 * What the callers saw each version answer between two snapshots of a load
 * generator's counts, e.g. `2.0.0 9.8% errors (61 of 622), 1.9.0 0.6% errors (4 of 640)`,
 * in the order of `versions`; undefined when no answer came in between.
 */
export function errorsBetween(
  before: LoadCounts | undefined,
  after: LoadCounts,
  versions: string[],
): string | undefined {
  const tally = (counts: LoadCounts | undefined, version: string) => {
    let total = 0;
    let errors = 0;
    for (const [code, n] of Object.entries(counts?.byVersion[version] ?? {})) {
      total += n;
      if (Number(code) >= 500) errors += n;
    }
    return { total, errors };
  };
  const seen = Object.keys(after.byVersion);
  const order = [...versions.filter((v) => seen.includes(v)), ...seen.filter((v) => !versions.includes(v))];
  const parts = order.flatMap((version) => {
    const now = tally(after, version);
    const then = tally(before, version);
    const total = now.total - then.total;
    const errors = now.errors - then.errors;
    if (total <= 0) return [];
    const rate = (100 * errors) / total;
    return [`${version} ${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)}% errors (${errors} of ${total})`];
  });
  return parts.length > 0 ? parts.join(', ') : undefined;
}

export type ReleaseMilestone =
  | 'deploy'
  | 'release started'
  | 'onset'
  | 'verdict'
  | 'held'
  | 'rolling back'
  | 'rolled back'
  | 'aborted by a person'
  | 'promoted'
  | 'release ended';

export interface ReleaseTimelineEntry {
  milestone: ReleaseMilestone;
  at: Date;
  detail: string;
}

/**
 * The release's milestones as the story saw them: the deploy and the onset
 * (the story made them), then each verdict, each member that is rolled back,
 * held or promoted, and the release's end, dated by the first read that showed
 * each (to within a poll).
 */
export class ReleaseTimeline {
  private readonly entries: ReleaseTimelineEntry[] = [];
  private last: ReleaseRead | undefined;

  mark(milestone: ReleaseMilestone, detail: string, at: Date = new Date()): void {
    this.entries.push({ milestone, at, detail });
  }

  has(milestone: ReleaseMilestone): boolean {
    return this.entries.some((e) => e.milestone === milestone);
  }

  observe(status: ReleaseRead, now: Date = new Date()): void {
    const previous = this.last;
    this.last = status;
    const seen = previous?.release.verdicts.length ?? 0;
    for (const verdict of status.release.verdicts.slice(seen)) {
      const rollback = verdict.rollback.length > 0 ? `, roll back ${verdict.rollback.join(', ')}` : '';
      this.mark('verdict', `${verdict.kind}${rollback}`, now);
    }
    for (const member of status.release.members) {
      const before = previous?.release.members.find((m) => m.service === member.service)?.state;
      if (before === member.state) continue;
      const name = `${member.service} ${member.version}`;
      if (member.state === 'rolling-back') this.mark('rolling back', name, now);
      if (member.state === 'rolled-back')
        this.mark('rolled back', `${name} (back to ${member.previousVersion})`, now);
      if (member.state === 'held') this.mark('held', `${name}: no automatic rollback`, now);
      if (member.state === 'promoted') this.mark('promoted', name, now);
    }
    if (status.outcome !== undefined && previous?.outcome === undefined) {
      this.mark('release ended', `${status.outcome}${status.reason ? `: ${status.reason}` : ''}`, now);
    }
  }

  lines(): string[] {
    return timelineLines(this.entries, this.entries.find((e) => e.milestone === 'deploy')?.at);
  }
}
