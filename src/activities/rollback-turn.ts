import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { GUARDIAN_WORKFLOW_TYPE } from '../model/guardian';
import { statusQuery } from '../workflows/messages';
import { rollbackLockStateQuery } from '../workflows/rollback-lock';
import { RipcordEnvironment, RipcordService } from '../workflows/search-attributes';
import type {
  ConfirmRollbackTurnInput,
  ConfirmRollbackTurnResult,
  RollbackLockMemberInput,
  RollbackLockMemberResult,
} from '../model/activity-contract';

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

/**
 * Where a guardian named in a lock signal really stands, from Temporal: its
 * execution (running, of type guardian, guarding this service and
 * environment by its search attributes) and its own status query.
 */
export function rollbackLockMember(client: Client | undefined) {
  return async (input: RollbackLockMemberInput): Promise<RollbackLockMemberResult> => {
    // Without a client nothing can be checked: refuse to believe anyone, except that nobody is forced out.
    if (client === undefined)
      return { state: 'none', reason: 'this worker has no Temporal client to check with' };
    const handle = client.workflow.getHandle(input.workflowId);
    let described: Awaited<ReturnType<typeof handle.describe>>;
    try {
      described = await handle.describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError)
        return { state: 'closed', reason: `no workflow ${input.workflowId}` };
      throw error;
    }
    if (described.status.name !== 'RUNNING')
      return { state: 'closed', reason: `${input.workflowId} is ${described.status.name.toLowerCase()}` };
    const attributes = described.typedSearchAttributes;
    if (
      described.type !== GUARDIAN_WORKFLOW_TYPE ||
      attributes.get(RipcordService) !== input.service ||
      attributes.get(RipcordEnvironment) !== input.environment
    ) {
      return {
        state: 'stranger',
        reason: `${input.workflowId} is not a guardian of ${input.service} in ${input.environment}`,
      };
    }
    const status = await handle.query(statusQuery);
    const state = status.rollbackTurn ?? 'none';
    return {
      state,
      reason: `${input.workflowId} is ${state === 'none' ? 'neither queued for nor holding the lock' : state}`,
    };
  };
}
