import { resolveSecret, SecretError, type SecretProvider } from '../../security/secrets';
import { PermanentStepError } from '../errors';

/**
 * A secret a target needs, resolved at use (DESIGN §5). One that cannot be
 * resolved fails the step for good, with a message that names the secret and
 * where it was looked for (`what` says what it is for), never a value.
 */
export function resolveStepSecret(
  reference: string,
  provider: SecretProvider | undefined,
  what: string,
): string {
  try {
    return resolveSecret(reference, provider);
  } catch (error) {
    if (error instanceof SecretError) throw new PermanentStepError(`${what}: ${error.message}`);
    throw error;
  }
}
