/**
 * A failure no retry can fix (no target for the action, a step that was
 * already undone, a digest the registry does not know). The step activity turns
 * it into a non-retryable PERMANENT_STEP_ERROR; the guardian then compensates
 * and escalates.
 */
export class PermanentStepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentStepError';
  }
}

/**
 * The target read back something other than the step's intended state. Worth
 * retrying (a proxy still reloading, a flag cache not yet refreshed), so the
 * activity reports it as a retryable VERIFICATION_FAILED.
 */
export class StepVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepVerificationError';
  }
}
