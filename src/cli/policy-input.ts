import {
  formatIssue,
  loadPolicyFile,
  PolicyReadError,
  PolicyValidationError,
  type LoadedPolicy,
} from '../policy';
import { EXIT } from './exit-codes';
import { UserFacingError } from './errors';

/**
 * Loads the policy a command runs with. Every problem is listed the way
 * `ripcord policy validate` lists them, and any problem is a usage error
 * (exit 2): nothing starts on a policy that does not validate.
 */
export async function loadPolicyForCommand(file: string): Promise<LoadedPolicy> {
  try {
    return await loadPolicyFile(file);
  } catch (error) {
    if (error instanceof PolicyValidationError) {
      const lines = error.issues.map((issue) => `  ${formatIssue(issue)}`);
      throw new UserFacingError(
        `invalid ${file}: ${error.issues.length} problem(s)\n${lines.join('\n')}`,
        EXIT.usage,
      );
    }
    if (error instanceof PolicyReadError) throw new UserFacingError(error.message, EXIT.usage);
    throw error;
  }
}
