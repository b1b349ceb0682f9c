import {
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { bookkeeping } from './activity-proxies';
import type { GuardianState } from './guardian-state';
import {
  acquireRollbackLockSignal,
  releaseRollbackLockSignal,
  rehearsalRollbackLockId,
  rollbackLock,
  rollbackLockId,
} from './rollback-lock';

/**
 * The guardian's side of the per-service rollback lock (rollback-lock.ts):
 * queue for the turn before the first step changes production, give it back
 * after the last step (or its compensation) is done.
 */

/** Start-or-signal can race with a lock that is just completing; a few tries always win. */
const JOIN_ATTEMPTS = 5;

export type TurnResult = 'granted' | 'aborted';

/**
 * A rehearsal (its health a replayed scenario) lives apart from live
 * guardians: it supersedes nobody and queues on a lock of its own, so it
 * never waits behind, or blocks, a live rollback.
 */
export function rehearsalApart(g: Pick<GuardianState, 'input'>): boolean {
  return g.input.replay !== undefined;
}

/** The rollback lock this guardian queues on: its service's, or its service's rehearsal lock. */
export function guardianLockId(g: Pick<GuardianState, 'input'>): string {
  return rehearsalApart(g) ? rehearsalRollbackLockId(g.input.deployment) : rollbackLockId(g.input.deployment);
}

export async function waitForRollbackTurn(g: GuardianState): Promise<TurnResult> {
  const { service, environment } = g.input.deployment;
  const lockId = guardianLockId(g);
  g.rollbackTurn = 'waiting';
  const joined = await joinQueue(g.workflowId, lockId, { service, environment });
  // A lock we started is ours from its first moment: the first step need not wait for a signal.
  if (joined === 'started') g.rollbackTurn = 'granted';
  if (turnOf(g) === 'waiting') {
    g.setPhase('execute', {
      for: `its turn: another rollback of ${service} in ${environment} is changing production (${lockId})`,
    });
  }
  while (turnOf(g) !== 'granted') {
    await condition(() => g.turnHint || g.interrupt?.kind === 'abort');
    if (g.interrupt?.kind === 'abort') {
      await releaseRollbackTurn(g);
      return 'aborted';
    }
    g.turnHint = false;
    // Anyone with signal rights can send a grant: only the lock's own word counts.
    const check = await bookkeeping.confirmRollbackTurn({ lockId, holder: g.workflowId });
    if (check.granted) g.rollbackTurn = 'granted';
    else await g.refuseMessage('rollbackLockGranted', check.reason);
  }
  return 'granted';
}

/** Leaves the lock (or the queue). Runs even when the guardian is being cancelled. */
export async function releaseRollbackTurn(g: GuardianState): Promise<void> {
  if (g.rollbackTurn === undefined) return;
  g.rollbackTurn = undefined;
  const lockId = guardianLockId(g);
  await CancellationScope.nonCancellable(async () => {
    try {
      await getExternalWorkflowHandle(lockId).signal(releaseRollbackLockSignal, { holder: g.workflowId });
    } catch {
      // The lock has already ended (it noticed we were done, or nobody else waits): nothing to give back.
    }
  });
}

/** Read through a function: a signal handler changes it while we await, which narrowing cannot see. */
function turnOf(g: GuardianState): GuardianState['rollbackTurn'] {
  return g.rollbackTurn;
}

async function joinQueue(
  holder: string,
  lockId: string,
  scope: { service: string; environment: string },
): Promise<'started' | 'queued'> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      // Usually nobody else is rolling back: start the lock, held by us.
      await startChild(rollbackLock, {
        workflowId: lockId,
        args: [{ ...scope, queue: [], holder }],
        // The lock outlives the guardian that happened to start it.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        cancellationType: ChildWorkflowCancellationType.ABANDON,
      });
      return 'started';
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    try {
      // Someone holds or waits: queue behind them.
      await getExternalWorkflowHandle(lockId).signal(acquireRollbackLockSignal, { holder });
      return 'queued';
    } catch (err) {
      // It completed between our start and our signal: start it again.
      if (attempt >= JOIN_ATTEMPTS) throw err;
    }
  }
}
