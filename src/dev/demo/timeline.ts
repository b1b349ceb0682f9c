import type { GuardianStatus } from '../../model/guardian';

/**
 * The story's milestones with wall-clock times, as the demo saw them: when
 * the canary went out, when its behaviour changed (known, because the demo
 * built the version), when the guardian first saw a breach, decided, finished
 * the rollback and verified recovery. Printed at the end with the seconds
 * between milestones, which is what people ask after an incident.
 */

export type Milestone =
  | 'deploy'
  | 'onset'
  | 'first breach'
  | 'breach dismissed'
  | 'decision'
  | 'approval requested'
  | 'approved'
  | 'rollback finished'
  | 'recovery verified'
  | 'promoted'
  | 'outcome';

export interface TimelineEntry {
  milestone: Milestone;
  at: Date;
  detail: string;
}

export class Timeline {
  private readonly entries: TimelineEntry[] = [];
  private last: GuardianStatus | undefined;

  mark(milestone: Milestone, detail: string, at: Date = new Date()): void {
    if (this.has(milestone)) return;
    this.entries.push({ milestone, at, detail });
  }

  has(milestone: Milestone): boolean {
    return this.entries.some((e) => e.milestone === milestone);
  }

  at(milestone: Milestone): Date | undefined {
    return this.entries.find((e) => e.milestone === milestone)?.at;
  }

  /**
   * Milestones a status read reveals; the first read that shows each one dates
   * it (to within a poll). Returns the milestones this read added.
   */
  observe(status: GuardianStatus, now: Date = new Date()): TimelineEntry[] {
    const known = this.entries.length;
    const previous = this.last;
    this.last = status;
    if (status.signals.some((s) => s.phase !== 'watching') || status.decision)
      this.mark('first breach', breachDetail(status), now);
    // Every signal whose breach was dismissed, each one (a transient burst can breach error-rate and
    // latency both): nothing decided, and it was confirming and is back to watching, or says so.
    if (status.decision === undefined) {
      for (const s of dismissedBreaches(previous, status)) {
        this.entries.push({
          milestone: 'breach dismissed',
          at: now,
          detail: `breach on ${s.signal} dismissed: fresh data did not confirm it (${s.reason})`,
        });
      }
    }
    if (status.decision?.decision === 'rollback')
      this.mark('decision', `${status.decision.reason} (${status.decision.source})`, now);
    if (status.phase === 'gate') this.mark('approval requested', status.waiting?.for ?? 'approval', now);
    if (status.approvals.length > 0) {
      const names = status.approvals.map((a) => `${a.subject} (${a.role})`).join(', ');
      this.mark('approved', names, now);
    }
    const steps = status.plan?.steps ?? [];
    if (steps.length > 0 && steps.every((s) => s.state === 'done'))
      this.mark('rollback finished', `${steps.length} step(s) applied and verified`, now);
    if (status.outcome === 'rolled-back') this.mark('recovery verified', status.reason ?? '', now);
    if (status.outcome === 'promoted') this.mark('promoted', status.reason ?? '', now);
    if (status.outcome !== undefined) this.mark('outcome', `${status.outcome}: ${status.reason ?? ''}`, now);
    return this.entries.slice(known);
  }

  /** The entries in time order, each with the seconds since the deploy and since the one before. */
  lines(): string[] {
    return timelineLines(this.entries, this.at('deploy'));
  }
}

/**
 * Entries in time order, one line each: the clock, the seconds since `origin`
 * (default: the first entry) and since the entry before, the milestone and
 * what happened. Shared by the deployment's and the release's timelines.
 */
export function timelineLines(
  entries: ReadonlyArray<{ milestone: string; at: Date; detail: string }>,
  origin?: Date,
): string[] {
  const sorted = [...entries].sort((a, b) => a.at.getTime() - b.at.getTime());
  const start = (origin ?? sorted[0]?.at)?.getTime() ?? 0;
  const width = Math.max(...sorted.map((e) => e.milestone.length), 0);
  let previous = start;
  return sorted.map((entry) => {
    const sinceStart = (entry.at.getTime() - start) / 1000;
    const sincePrevious = (entry.at.getTime() - previous) / 1000;
    previous = entry.at.getTime();
    const clock = entry.at.toISOString().slice(11, 19);
    return (
      `  ${clock}  T+${sinceStart.toFixed(1).padStart(6)}s  (+${sincePrevious.toFixed(1).padStart(5)}s)  ` +
      `${entry.milestone.padEnd(width)}  ${entry.detail}`
    );
  });
}

/**
 * Signals whose breach this read shows dismissed: confirming at the previous
 * read and watching now, or, when a read fell between, watching with more
 * dismissed breaches than the previous read counted (the reason's words are
 * for people, never parsed).
 */
function dismissedBreaches(previous: GuardianStatus | undefined, status: GuardianStatus) {
  return status.signals.filter((s) => {
    if (s.phase !== 'watching') return false;
    const before = previous?.signals.find((p) => p.signal === s.signal);
    if (before?.phase === 'confirming') return true;
    return (s.dismissedBreaches ?? 0) > (before?.dismissedBreaches ?? 0);
  });
}

function breachDetail(status: GuardianStatus): string {
  const signal = status.signals.find((s) => s.phase !== 'watching');
  return signal ? `${signal.signal}: ${signal.reason}` : (status.decision?.reason ?? 'breach');
}
