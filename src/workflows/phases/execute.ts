import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  sleep,
} from '@temporalio/workflow';
import type { StepRef } from '../../model/audit';
import type { PlannedStep, RollbackPlan } from '../../model/plan';
import { stepActivities } from '../activity-proxies';
import { checkRecovery } from '../recovery';
import type { GuardianState } from '../guardian-state';

export type ExecuteResult =
  | { kind: 'done' }
  | { kind: 'failed'; reason: string; compensated: boolean }
  | { kind: 'aborted'; compensated: boolean }
  /** Stopped with what is done kept in place (an irreversible step, health not back): a person decides. */
  | { kind: 'frozen'; reason: string; because: 'irreversible-step' | 'health-not-back' };

/** Which step a step or compensation record is about. */
function stepRef(step: PlannedStep): StepRef {
  return { index: step.index, name: step.name, type: step.action.type };
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    return `${err.cause.type ?? 'error'}: ${err.cause.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs the plan step by step. Each step is an idempotent activity; a step that
 * has started is never interrupted half-way (non-cancellable). When a step
 * fails for good, when an operator aborts, or when the guardian is cancelled,
 * the steps already done are undone in reverse inside a non-cancellable scope,
 * so production is never left half-reverted.
 */
export async function execute(g: GuardianState, plan: RollbackPlan): Promise<ExecuteResult> {
  const done: PlannedStep[] = [];
  g.setPhase('execute');
  g.notify(
    'rollback-started',
    `Rolling back ${g.input.deployment.service} ${g.input.deployment.version}: plan ${plan.planHash}`,
  );
  const { deployment } = g.input;
  try {
    for (const step of plan.steps) {
      if (g.interrupt?.kind === 'abort') {
        return { kind: 'aborted', compensated: await compensate(g, plan, done) };
      }
      if (step.irreversible) {
        g.setStepState(step.index, 'frozen', 'irreversible: needs a person');
        await g.audit('step', 'ripcord', `froze before irreversible step ${step.index} (${step.name})`, {
          ...stepRef(step),
          state: 'frozen',
          because: 'irreversible',
        });
        return {
          kind: 'frozen',
          reason: `step ${step.index} (${step.name}) is irreversible; a person must decide`,
          because: 'irreversible-step',
        };
      }
      g.setStepState(step.index, 'running');
      g.status.waiting = { for: `step ${step.index} (${step.name})` };
      let verified: string;
      try {
        const outcome = await CancellationScope.nonCancellable(() =>
          stepActivities(step, g.stepTaskQueue).executeStep({ deployment, planHash: plan.planHash, step }),
        );
        verified = outcome.verified;
        done.push(step);
      } catch (err) {
        if (isCancellation(err)) throw err;
        const reason = failureMessage(err);
        g.setStepState(step.index, 'failed', reason);
        await g.audit('step', 'ripcord', `step ${step.index} (${step.name}) failed for good: ${reason}`, {
          ...stepRef(step),
          state: 'failed',
          error: reason,
        });
        // The failed step may have half-happened (traffic stuck at 75%): undo it too, first.
        const compensated = await compensate(g, plan, [...done, step], step.index);
        return { kind: 'failed', reason: `step ${step.index} (${step.name}) failed: ${reason}`, compensated };
      }
      g.setStepState(step.index, 'done', verified);
      await g.audit('step', 'ripcord', `step ${step.index} (${step.name}) done: ${verified}`, {
        ...stepRef(step),
        state: 'done',
        verified,
        idempotencyKey: step.idempotencyKey,
      });
      if (step.verify.settleSeconds > 0) await sleep(g.ms(step.verify.settleSeconds));
      if (step.verify.signals.length > 0) {
        const health = await postStepHealth(g, step);
        await g.audit('step', 'ripcord', `health after step ${step.index} (${step.name}): ${health.detail}`, {
          ...stepRef(step),
          state: 'checked',
          healthy: health.ok,
          detail: health.detail,
        });
        if (!health.ok) {
          g.setStepState(step.index, 'done', `${verified}; health still beyond target: ${health.detail}`);
          // Going on (or undoing) cannot be decided by a machine now: keep what is done, hand over.
          return {
            kind: 'frozen',
            reason: `after step ${step.index} (${step.name}) health did not return: ${health.detail}`,
            because: 'health-not-back',
          };
        }
      }
    }
    return { kind: 'done' };
  } catch (err) {
    if (isCancellation(err)) {
      // The guardian itself was cancelled: leave production in a known state, then let the cancel finish.
      await compensate(g, plan, done);
    }
    throw err;
  }
}

/**
 * The step's own health check: the signals it names must come back within the
 * policy's recovery targets before its verification timeout (judged on the
 * version now serving, as the final recovery check is).
 */
async function postStepHealth(g: GuardianState, step: PlannedStep): Promise<{ ok: boolean; detail: string }> {
  const { policy } = g.input;
  const interval = g.config.intervalSeconds;
  const rounds = Math.max(1, Math.floor(step.verify.timeoutSeconds / interval));
  let last = 'no reading';
  for (let round = 0; round < rounds; round++) {
    if (round > 0) await sleep(g.ms(interval));
    const observation = await g.readHealth(g.readIndex++);
    const check = checkRecovery(policy, observation, step.verify.signals);
    last = check.details.join('; ') || `no recovery target names ${step.verify.signals.join(', ')}`;
    if (check.met) return { ok: true, detail: last };
  }
  return { ok: false, detail: last };
}

/**
 * Undoes the steps already done, newest first; returns false when any undo
 * failed (a person must look). A failed step keeps its `failed` state in the
 * status; what its undo found is added to its detail.
 */
async function compensate(
  g: GuardianState,
  plan: RollbackPlan,
  done: PlannedStep[],
  failedIndex?: number,
): Promise<boolean> {
  return CancellationScope.nonCancellable(async () => {
    let all = true;
    for (const step of [...done].reverse()) {
      try {
        const outcome = await stepActivities(step, g.stepTaskQueue).compensateStep({
          deployment: g.input.deployment,
          planHash: plan.planHash,
          step,
        });
        if (step.index === failedIndex)
          g.setStepState(step.index, 'failed', `failed; undo: ${outcome.detail}`);
        else g.setStepState(step.index, 'compensated', outcome.detail);
        await g.audit(
          'compensation',
          'ripcord',
          `undid step ${step.index} (${step.name}): ${outcome.detail}`,
          {
            ...stepRef(step),
            undone: true,
            detail: outcome.detail,
          },
        );
      } catch (err) {
        all = false;
        const error = failureMessage(err);
        await g.audit(
          'compensation',
          'ripcord',
          `could not undo step ${step.index} (${step.name}): ${error}`,
          {
            ...stepRef(step),
            undone: false,
            detail: error,
          },
        );
      }
    }
    return all;
  });
}
