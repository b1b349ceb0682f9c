import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { GuardianActivityContract, RollbackLockMemberResult } from '../model/activity-contract';

/**
 * One rollback at a time per service (docs/architecture.md §5, abuse resistance): a small
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
 * next holder with `rollbackLockGranted`. None of these signals is trusted
 * for who sent it: before it queues a guardian, or lets the holder go, the
 * lock asks Temporal (the rollbackLockMember activity: the guardian's
 * execution and its own status) whether that guardian really is waiting, or
 * really has let go. A forged release therefore never frees the lock under a
 * running rollback, and a forged acquire never hands the lock to a guardian
 * that is not asking for it. The same check, every 30 s, notices a holder that
 * closed without releasing (terminated from the Web UI), so a dead holder
 * never blocks the service for good. With nobody holding or waiting the
 * workflow completes; Temporal refuses that completion while a new signal is
 * pending, so no request is lost between the last release and the end.
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
  /** Acquire and release signals that Temporal did not confirm (forged, or stale). */
  refused?: number;
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
  refused?: number;
}

export const acquireRollbackLockSignal = defineSignal<[RollbackLockRequest]>('acquire');
export const releaseRollbackLockSignal = defineSignal<[RollbackLockRequest]>('release');
/** Sent to a guardian: its turn to change production. */
export const rollbackLockGrantedSignal = defineSignal<[{ lockId: string }]>('rollbackLockGranted');
export const rollbackLockStateQuery = defineQuery<RollbackLockState>('lockState');

/** The lock's workflow id: one per service and environment in the namespace. */
export function rollbackLockId(ref: { service: string; environment: string }): string {
  return `ripcord-rollback-lock/${ref.environment}/${ref.service}`;
}

/** The lock rehearsals of a service queue on: never the live one, so neither waits for the other. */
export function rehearsalRollbackLockId(ref: { service: string; environment: string }): string {
  return `${rollbackLockId(ref)}/rehearsal`;
}

const MAX_HOLDER_ID = 300;
const MAX_QUEUE = 1_000;
/** Claims waiting to be checked; more are dropped (a flood of signals), a real guardian asks again. */
const MAX_UNCHECKED = 100;

const membership = proxyActivities<GuardianActivityContract>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});
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
    ...(input.refused !== undefined ? { refused: input.refused } : {}),
    ...(input.holder !== undefined
      ? { holder: input.holder, since: input.since ?? new Date().toISOString() }
      : {}),
  };
  const checkMs = Math.max(1, input.checkEverySeconds ?? 30) * 1000;
  const lockId = workflowInfo().workflowId;

  // Claims in a guardian's name, checked by the loop below before they count.
  const unchecked = new Map<string, 'acquire' | 'release'>();
  const claim = (request: RollbackLockRequest, kind: 'acquire' | 'release') => {
    const holder = validHolder(request);
    if (holder === undefined) return;
    if (kind === 'acquire' && state.queue.includes(holder)) return;
    if (unchecked.size >= MAX_UNCHECKED && !unchecked.has(holder)) return;
    unchecked.set(holder, kind);
  };
  setHandler(acquireRollbackLockSignal, (request) => claim(request, 'acquire'));
  setHandler(releaseRollbackLockSignal, (request) => claim(request, 'release'));
  setHandler(rollbackLockStateQuery, () => state);

  const member = (workflowId: string): Promise<RollbackLockMemberResult> =>
    membership.rollbackLockMember({ workflowId, service: state.service, environment: state.environment });

  /**
   * The holder as it stands by its own account: holding (nothing to do),
   * still waiting for the grant (told again: a grant may have crossed a
   * release it sent before asking anew), or not holding at all (it goes).
   */
  const reviewHolder = async (claimed?: 'release') => {
    const holder = state.holder;
    if (holder === undefined) return;
    const { state: standing } = await member(holder);
    if (state.holder !== holder) return;
    if (standing === 'granted') {
      // Holding by its own account: whoever sent this release, it was not that guardian.
      if (claimed === 'release') refuse();
      return;
    }
    if (standing === 'waiting') {
      if (!(await tell(holder, rollbackLockGrantedSignal, { lockId })) && state.holder === holder)
        clearHolder(state);
      return;
    }
    clearHolder(state);
  };

  /** Queues the guardians that really wait; lets go of those that really left. */
  const checkClaims = async () => {
    for (const [claimant, kind] of [...unchecked]) {
      unchecked.delete(claimant);
      if (claimant === state.holder) {
        await reviewHolder(kind === 'release' ? 'release' : undefined);
        continue;
      }
      const { state: standing } = await member(claimant);
      if (kind === 'acquire') {
        if (standing !== 'waiting') refuse();
        else if (
          !state.queue.includes(claimant) &&
          claimant !== state.holder &&
          state.queue.length < MAX_QUEUE
        )
          state.queue.push(claimant);
      } else if (standing === 'waiting' || standing === 'granted') {
        refuse();
      } else {
        state.queue = state.queue.filter((waiting) => waiting !== claimant);
      }
    }
  };
  const refuse = () => {
    state.refused = (state.refused ?? 0) + 1;
  };

  for (;;) {
    await checkClaims();
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
    // A holder that closed without releasing (terminated), or never held it, is noticed here.
    if (!(await condition(() => unchecked.size > 0, checkMs))) await reviewHolder();
    if (workflowInfo().historyLength > CONTINUE_AS_NEW_AFTER_EVENTS) {
      return continueAsNew<typeof rollbackLock>({
        service: state.service,
        environment: state.environment,
        queue: state.queue,
        granted: state.granted,
        ...(state.refused !== undefined ? { refused: state.refused } : {}),
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
