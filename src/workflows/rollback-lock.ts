import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';

/**
 * One rollback at a time per service (DESIGN §5, abuse resistance): a small
 * workflow per service and environment hands out the right to change production in arrival
 * order. Two guardians of one service can be rolling back at once when a
 * newer deployment supersedes an older guardian that is already executing its
 * plan, or when a person orders rollbacks on several deployments; without the
 * lock their traffic shifts and flag flips would interleave. Environments
 * are separate production systems, often served from separate task queues:
 * a lock shared between them would let a staging worker that is down stall
 * a production rollback, so each environment has its own.
 *
 * Guardians queue with `acquire` and leave with `release`; the lock tells the
 * next holder with `rollbackLockGranted`. A holder that closes without
 * releasing (terminated from the Web UI) is noticed by a periodic check
 * signal, which Temporal refuses to deliver to a closed workflow, so a dead
 * holder never blocks the service for good. With nobody holding or waiting
 * the workflow completes; Temporal refuses that completion while a new signal
 * is pending, so no request is lost between the last release and the end.
 */

export const ROLLBACK_LOCK_WORKFLOW_TYPE = 'rollbackLock';

export interface RollbackLockRequest {
  /** Workflow id of the guardian that asks or leaves. */
  holder: string;
}

export interface RollbackLockState {
  service: string;
  environment: string;
  holder?: string;
  /** ISO time the holder was granted the lock. */
  since?: string;
  /** Guardians waiting, first in line first. */
  queue: string[];
  /** Holders granted so far, across continue-as-new. */
  granted: number;
}

export interface RollbackLockInput {
  service: string;
  environment: string;
  /** Guardians already waiting (carried over continue-as-new). */
  queue: string[];
  /** The guardian holding it: the one that started it, or carried over continue-as-new. */
  holder?: string;
  since?: string;
  granted?: number;
  /** How often a holder is checked for being alive; default 30 s. */
  checkEverySeconds?: number;
}

export const acquireRollbackLockSignal = defineSignal<[RollbackLockRequest]>('acquire');
export const releaseRollbackLockSignal = defineSignal<[RollbackLockRequest]>('release');
/** Sent to a guardian: its turn to change production. */
export const rollbackLockGrantedSignal = defineSignal<[{ lockId: string }]>('rollbackLockGranted');
/** Sent to the holder only to learn whether it is still running; it needs no handling. */
export const rollbackLockCheckSignal = defineSignal<[]>('rollbackLockCheck');
export const rollbackLockStateQuery = defineQuery<RollbackLockState>('lockState');

/** The lock's workflow id: one per service and environment in the namespace. */
export function rollbackLockId(ref: { service: string; environment: string }): string {
  return `ripcord-rollback-lock/${ref.environment}/${ref.service}`;
}

const MAX_HOLDER_ID = 1_000;
const MAX_QUEUE = 1_000;
/** Keeps the lock's own history small on a service that rolls back often. */
const CONTINUE_AS_NEW_AFTER_EVENTS = 5_000;

function validHolder(request: RollbackLockRequest): string | undefined {
  const holder = (request as Partial<RollbackLockRequest> | null)?.holder;
  return typeof holder === 'string' && holder.length > 0 && holder.length <= MAX_HOLDER_ID
    ? holder
    : undefined;
}

export async function rollbackLock(input: RollbackLockInput): Promise<RollbackLockState> {
  const state: RollbackLockState = {
    service: input.service,
    environment: input.environment,
    queue: [...input.queue],
    // Started by a guardian that holds it from the start (it needs no grant signal), or carried over.
    granted: input.granted ?? (input.holder !== undefined ? 1 : 0),
    ...(input.holder !== undefined
      ? { holder: input.holder, since: input.since ?? new Date().toISOString() }
      : {}),
  };
  const checkMs = Math.max(1, input.checkEverySeconds ?? 30) * 1000;
  const lockId = workflowInfo().workflowId;

  setHandler(acquireRollbackLockSignal, (request) => {
    const holder = validHolder(request);
    if (holder === undefined || holder === state.holder || state.queue.includes(holder)) return;
    if (state.queue.length >= MAX_QUEUE) return;
    state.queue.push(holder);
  });
  setHandler(releaseRollbackLockSignal, (request) => {
    const holder = validHolder(request);
    if (holder === undefined) return;
    if (state.holder === holder) clearHolder(state);
    else state.queue = state.queue.filter((waiting) => waiting !== holder);
  });
  setHandler(rollbackLockStateQuery, () => state);

  for (;;) {
    if (state.holder === undefined) {
      const next = state.queue.shift();
      if (next === undefined) return state;
      state.holder = next;
      state.since = new Date().toISOString();
      if (await tell(next, rollbackLockGrantedSignal, { lockId })) {
        state.granted += 1;
      } else if (state.holder === next) {
        // It closed while it waited (aborted, terminated): the next in line goes.
        clearHolder(state);
      }
      continue;
    }
    const released = await condition(() => state.holder === undefined, checkMs);
    const holder = state.holder;
    if (!released && holder !== undefined && !(await tell(holder, rollbackLockCheckSignal))) {
      // The holder closed without releasing (terminated): unless it was replaced meanwhile, it goes.
      if (state.holder === holder) clearHolder(state);
    }
    if (workflowInfo().historyLength > CONTINUE_AS_NEW_AFTER_EVENTS) {
      return continueAsNew<typeof rollbackLock>({
        service: state.service,
        environment: state.environment,
        queue: state.queue,
        granted: state.granted,
        ...(state.holder !== undefined ? { holder: state.holder, since: state.since } : {}),
        ...(input.checkEverySeconds !== undefined ? { checkEverySeconds: input.checkEverySeconds } : {}),
      });
    }
  }
}

function clearHolder(state: RollbackLockState): void {
  delete state.holder;
  delete state.since;
}

/**
 * Signals a guardian; false when Temporal cannot deliver it, which for a
 * workflow id means the guardian is no longer running.
 */
async function tell<Args extends unknown[]>(
  workflowId: string,
  signal: ReturnType<typeof defineSignal<Args>>,
  ...args: Args
): Promise<boolean> {
  try {
    await getExternalWorkflowHandle(workflowId).signal(signal, ...args);
    return true;
  } catch {
    return false;
  }
}
