import { PermanentStepError, StepVerificationError } from '../errors';

/**
 * Failure injection for tests and rehearsals: make a step fail some attempts,
 * or for good, to exercise retries, compensation and escalation. Attempts are
 * counted per process (a restarted worker starts counting again).
 */
export interface StepFault {
  /** The step's index in the plan. */
  step: number;
  phase?: 'apply' | 'verify' | 'compensate';
  /** Fail this many attempts, then succeed. */
  times?: number;
  /** Fail every attempt with a permanent error (no retry helps). */
  permanent?: boolean;
  /** Apply only: fail after the first traffic stage (or the begin record), leaving the step half done. */
  midway?: boolean;
}

export type FaultPhase = NonNullable<StepFault['phase']>;

export class FaultInjector {
  private readonly attempts = new Map<string, number>();

  constructor(private readonly faults: readonly StepFault[] = []) {}

  /** Throws when a fault is configured for this attempt; `midway` selects the faults that fire mid-step. */
  check(stepIndex: number, key: string, phase: FaultPhase, midway = false): void {
    const fault = this.faults.find(
      (f) => f.step === stepIndex && (f.phase ?? 'apply') === phase && (f.midway ?? false) === midway,
    );
    if (fault === undefined) return;
    const counter = `${key}:${phase}:${midway}`;
    const attempt = (this.attempts.get(counter) ?? 0) + 1;
    this.attempts.set(counter, attempt);
    const where = `step ${stepIndex} ${phase}${midway ? ' (midway)' : ''}`;
    if (fault.permanent) throw new PermanentStepError(`injected permanent failure at ${where}`);
    if (attempt <= (fault.times ?? 0)) {
      const message = `injected failure ${attempt} of ${fault.times} at ${where}`;
      throw phase === 'verify' ? new StepVerificationError(message) : new Error(message);
    }
  }
}
