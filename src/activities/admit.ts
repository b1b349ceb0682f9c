import { ApplicationFailure } from '@temporalio/common';
import type { GuardianInput } from '../workflows/messages';

// Names end up in workflow ids, search attributes and file names: keep them boring.
const NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
const VERSION = /^[A-Za-z0-9._+:@-]{1,128}$/;

export interface AdmittedDeployment {
  admittedAt: string;
}

/**
 * Checks a guardian's input before it watches anything. A malformed request is a
 * permanent failure (non-retryable) that names the field.
 */
export function admitDeployment(now: () => Date) {
  return async (input: GuardianInput): Promise<AdmittedDeployment> => {
    const problems: string[] = [];
    for (const field of ['service', 'environment', 'deploymentId'] as const) {
      if (!NAME.test(input[field]))
        problems.push(`${field} must be lowercase letters, digits, '.', '_' or '-' (1-63)`);
    }
    if (!VERSION.test(input.version)) problems.push('version must be 1-128 characters of [A-Za-z0-9._+:@-]');
    if (!(input.intervalSeconds >= 1)) problems.push('intervalSeconds must be at least 1');
    if (!(input.watchSeconds >= input.intervalSeconds))
      problems.push('watchSeconds must be at least intervalSeconds');
    if (problems.length) {
      throw ApplicationFailure.nonRetryable(problems.join('; '), 'InvalidDeploymentError');
    }
    return { admittedAt: now().toISOString() };
  };
}
