import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { rollbackLockStateQuery } from '../workflows/rollback-lock';
import type { ConfirmRollbackTurnInput, ConfirmRollbackTurnResult } from './types';

/**
 * Checks a `rollbackLockGranted` signal against the lock before the guardian
 * changes production: anyone with signal rights can send the signal, so the
 * guardian only believes the lock itself, asked by query, that it holds it now.
 */
export function confirmRollbackTurn(client: Client | undefined) {
  return async (input: ConfirmRollbackTurnInput): Promise<ConfirmRollbackTurnResult> => {
    if (client === undefined)
      return { granted: false, reason: 'this worker has no Temporal client to ask the lock' };
    try {
      const state = await client.workflow.getHandle(input.lockId).query(rollbackLockStateQuery);
      if (state.holder === input.holder)
        return { granted: true, reason: `${input.lockId} names us as its holder` };
      return {
        granted: false,
        reason: `${input.lockId} is held by ${state.holder ?? 'nobody'}, not by this guardian`,
      };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError)
        return { granted: false, reason: `no lock ${input.lockId} is running` };
      throw error;
    }
  };
}
