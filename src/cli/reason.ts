import { findCredential } from '../security/credential-text';
import { EXIT } from './exit-codes';
import { UserFacingError } from './errors';

/**
 * Refuses a `--reason` that looks like it holds a credential, before anything
 * is sent: a reason is stored in workflow history and the audit trail, where
 * many can read it for as long as those are kept. (The guardian's update
 * validator refuses it too; this says so at once, with the flag's name.)
 */
export function checkReason(reason: string | undefined): void {
  if (reason === undefined) return;
  const what = findCredential(reason);
  if (what === undefined) return;
  throw new UserFacingError(
    `--reason looks like it contains ${what}; remove it: reasons are stored in workflow history and the audit trail`,
    EXIT.usage,
  );
}
