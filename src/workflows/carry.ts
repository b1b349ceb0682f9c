import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { GuardianState } from './guardian-state';
import type { GuardianInput, ResumePoint } from '../model/guardian';

/** Waiting phases continue-as-new past this many history events unless the input says otherwise. */
const DEFAULT_CONTINUE_AS_NEW_AT_EVENTS = 10_000;

/**
 * Ends this run and starts the next with everything the guardian knows
 * (small by construction), after letting updates and notifications in flight
 * finish. From a waiting phase, `resume` says where the next run picks up.
 * Never returns: continue-as-new ends the run.
 */
export async function continueGuardian(g: GuardianState, resume?: ResumePoint): Promise<never> {
  await g.flushNotifications();
  await condition(allHandlersFinished);
  g.status.continuedAsNew += 1;
  const input: GuardianInput = g.input;
  return continueAsNew<(input: GuardianInput) => Promise<unknown>>({
    ...input,
    carried: {
      decisionState: g.decisionState,
      status: g.status,
      admittedAt: g.admittedAt,
      auditSeq: g.auditSeq,
      usedTokenIds: [...g.usedTokenIds],
      rollbackNowBySubject: g.rollbackNowBySubject,
      tokensRequired: g.tokensRequired,
      requestSeq: g.requestSeq,
      orderSeq: g.orderSeq,
      ...(g.stepTaskQueue !== undefined ? { stepTaskQueue: g.stepTaskQueue } : {}),
      ...(resume ? { resume } : {}),
    },
  });
}

/** History has grown enough that this run should hand over to a fresh one. */
function historyTooLong(g: GuardianState): boolean {
  if (!g.canContinueAsNew) return false;
  const info = workflowInfo();
  return (
    info.continueAsNewSuggested ||
    info.historyLength >= (g.input.continueAsNewAtEvents ?? DEFAULT_CONTINUE_AS_NEW_AT_EVENTS)
  );
}

/**
 * Waits until `done()` or until `untilMs` (workflow time; none: no deadline),
 * like `condition`, but a waiting phase whose history grows (messages, floods
 * of refused requests) continues as new from `resume()` instead of growing
 * until Temporal terminates it. True when done, false when the deadline passed.
 */
export async function waitOrCarry(
  g: GuardianState,
  done: () => boolean,
  untilMs: number | undefined,
  resume: () => ResumePoint,
): Promise<boolean> {
  for (;;) {
    if (done()) return true;
    if (historyTooLong(g)) await continueGuardian(g, resume());
    const woke = () => done() || historyTooLong(g);
    if (untilMs === undefined) {
      await condition(woke);
      continue;
    }
    const remaining = untilMs - Date.now();
    if (remaining <= 0) return done();
    if (!(await condition(woke, remaining))) return done();
  }
}
