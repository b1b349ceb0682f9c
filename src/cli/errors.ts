/**
 * A problem the user can fix (bad input, a port in use, a missing tool). The CLI
 * prints its message alone, without a stack trace, and exits with its code.
 */
export class UserFacingError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserFacingError';
  }
}
