/**
 * Runs `work`; an error of class `from` is thrown again as a `to` with the
 * same message, any other error as it was. How a target says what a failure
 * means for the step: a release that is not there will not fix itself
 * (PermanentStepError), an nginx that is not running is a read-back mismatch
 * (StepVerificationError).
 */
export async function rethrowAs<T>(
  work: () => Promise<T>,
  from: abstract new (...args: never[]) => Error,
  to: new (message: string) => Error,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof from) throw new to(error.message);
    throw error;
  }
}
