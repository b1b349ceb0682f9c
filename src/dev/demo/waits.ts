import type { Policy } from '../../policy';
import type { GuardianStatus } from '../../model/guardian';

/**
 * What the guardian is waiting for right now, as a bar people can watch fill:
 * the watch itself, the confirmation window, a step and the settle time after
 * it, the approval timeout, the verification deadline. The status query says
 * which phase the guardian is in and, for the gate and verification, until
 * when; the rest comes from the policy (how long each wait is) and from when
 * the demo saw each thing start. Pure: the caller passes the time.
 */

export interface Wait {
  /** What is being waited for: "until promotion", "confirmation window", "approval timeout", ... */
  label: string;
  elapsedSeconds: number;
  totalSeconds: number;
  /** Said after the bar, e.g. what happens once a window is over. */
  note?: string;
}

/** How long each of the guardian's waits is, from the policy (and the demo's watch length). */
export interface WaitLengths {
  intervalSeconds: number;
  confirmationWindowSeconds: number;
  watchSeconds: number;
  /** By plan step name. */
  steps: Record<string, { timeoutSeconds: number; settleSeconds: number }>;
  approvalTimeoutSeconds?: number;
  recoveryDeadlineSeconds: number;
}

export function waitLengthsFromPolicy(policy: Policy, watchSeconds: number): WaitLengths {
  const steps: WaitLengths['steps'] = {};
  for (const step of policy.plan.steps) {
    steps[step.name] = { timeoutSeconds: step.timeoutSeconds, settleSeconds: step.verify.settleSeconds };
  }
  return {
    intervalSeconds: policy.evaluation.intervalSeconds,
    confirmationWindowSeconds: policy.evaluation.confirmationWindowSeconds,
    watchSeconds,
    steps,
    ...(policy.approval ? { approvalTimeoutSeconds: policy.approval.timeoutSeconds } : {}),
    recoveryDeadlineSeconds: policy.recovery.deadlineSeconds,
  };
}

/** How long a person waits on an escalated guardian when the policy has no approval timeout. */
const DEFAULT_ESCALATION_SECONDS = 3600;

export class WaitTracker {
  private last: GuardianStatus | undefined;
  /** When the evaluation count last changed: the guardian's clock between two evaluations. */
  private evaluationsSeenAt = 0;
  /** The evaluation count when the confirmation window opened (the breach included), while it is open. */
  private confirmingSince: number | undefined;
  private phaseSince = 0;
  private readonly stepRunningSince = new Map<number, number>();
  private readonly stepDoneAt = new Map<number, number>();

  constructor(private readonly lengths: WaitLengths) {}

  observe(status: GuardianStatus, now: Date): void {
    const t = now.getTime();
    const prev = this.last;
    if (prev === undefined || status.evaluations !== prev.evaluations) this.evaluationsSeenAt = t;
    if (prev === undefined || status.phase !== prev.phase) this.phaseSince = t;
    if (status.phase === 'confirm') this.confirmingSince ??= status.evaluations;
    else this.confirmingSince = undefined;
    for (const step of status.plan?.steps ?? []) {
      if (step.state === 'running' && !this.stepRunningSince.has(step.index))
        this.stepRunningSince.set(step.index, t);
      if (step.state === 'done' && !this.stepDoneAt.has(step.index)) this.stepDoneAt.set(step.index, t);
    }
    this.last = status;
  }

  current(now: Date): Wait | undefined {
    const status = this.last;
    if (status === undefined) return undefined;
    const t = now.getTime();
    const { intervalSeconds: interval } = this.lengths;
    // Policy seconds since `evaluations` evaluations, smoothed between two evaluations.
    const since = (evaluations: number) =>
      (status.evaluations - evaluations) * interval + clamp((t - this.evaluationsSeenAt) / 1000, 0, interval);
    switch (status.phase) {
      case 'watch': {
        const total = this.lengths.watchSeconds;
        return { label: 'until promotion', elapsedSeconds: Math.min(since(0), total), totalSeconds: total };
      }
      case 'confirm': {
        // The core counts the window in whole intervals after the breach.
        const total = Math.ceil(this.lengths.confirmationWindowSeconds / interval - 1e-9) * interval;
        const elapsed = since(this.confirmingSince ?? status.evaluations);
        if (elapsed <= total)
          return { label: 'confirmation window', elapsedSeconds: elapsed, totalSeconds: total };
        return {
          label: 'confirmation window',
          elapsedSeconds: total,
          totalSeconds: total,
          note: `then fresh data decides, +${Math.floor(elapsed - total)}s`,
        };
      }
      case 'gate':
        return this.until('approval timeout', this.lengths.approvalTimeoutSeconds, status, t);
      case 'verify':
        return this.until('verification', this.lengths.recoveryDeadlineSeconds, status, t);
      case 'escalated':
        return this.until(
          'waiting for a person',
          this.lengths.approvalTimeoutSeconds ?? DEFAULT_ESCALATION_SECONDS,
          status,
          t,
        );
      case 'execute':
        return this.stepWait(status, t);
      default:
        return undefined;
    }
  }

  /** A wait the guardian announces with an end time; its length is the policy's. */
  private until(
    label: string,
    totalSeconds: number | undefined,
    status: GuardianStatus,
    t: number,
  ): Wait | undefined {
    const until = status.waiting?.until === undefined ? NaN : Date.parse(status.waiting.until);
    if (Number.isNaN(until)) return undefined;
    const remaining = Math.max((until - t) / 1000, 0);
    // Without the policy's length, the wait began when the demo first saw the phase.
    const total = totalSeconds ?? Math.max((until - this.phaseSince) / 1000, 0);
    return { label, elapsedSeconds: clamp(total - remaining, 0, total), totalSeconds: total };
  }

  /** The running step against its timeout, or the settle time after the last step done. */
  private stepWait(status: GuardianStatus, t: number): Wait | undefined {
    const steps = status.plan?.steps ?? [];
    const position = (index: number) => `${steps.findIndex((s) => s.index === index) + 1}/${steps.length}`;
    const running = steps.find((s) => s.state === 'running');
    if (running !== undefined) {
      const total = this.lengths.steps[running.name]?.timeoutSeconds;
      const started = this.stepRunningSince.get(running.index) ?? t;
      const elapsed = Math.max((t - started) / 1000, 0);
      return {
        label: `step ${position(running.index)} ${running.name}`,
        elapsedSeconds: total === undefined ? elapsed : Math.min(elapsed, total),
        totalSeconds: total ?? elapsed,
      };
    }
    const done = [...steps].reverse().find((s) => s.state === 'done');
    if (done === undefined) return undefined;
    const settle = this.lengths.steps[done.name]?.settleSeconds ?? 0;
    const doneAt = this.stepDoneAt.get(done.index);
    if (settle <= 0 || doneAt === undefined) return undefined;
    const elapsed = (t - doneAt) / 1000;
    if (elapsed > settle) return undefined;
    return { label: `settle after ${done.name}`, elapsedSeconds: Math.max(elapsed, 0), totalSeconds: settle };
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

/** `[#######-----] 9s/15s confirmation window` */
export function formatWait(wait: Wait, width = 12): string {
  const note = wait.note ? ` (${wait.note})` : '';
  return `${progressBar(wait.elapsedSeconds, wait.totalSeconds, width)} ${formatSeconds(wait.elapsedSeconds)}/${formatSeconds(wait.totalSeconds)} ${wait.label}${note}`;
}

/** `[#######-----]`: `#` for the part done, `-` for the rest; a wait of no length is full. */
export function progressBar(elapsed: number, total: number, width = 12): string {
  const fraction = total > 0 ? clamp(elapsed / total, 0, 1) : 1;
  const filled = Math.floor(fraction * width + 1e-9);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** Whole seconds: `9s`, `75s`, and from two minutes on `2m05s` (`10m` when the seconds are 0). */
export function formatSeconds(seconds: number): string {
  const s = Math.max(Math.floor(seconds + 1e-9), 0);
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = s % 60;
  return rest === 0 ? `${m}m` : `${m}m${String(rest).padStart(2, '0')}s`;
}
