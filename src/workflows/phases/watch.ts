import { condition, workflowInfo } from '@temporalio/workflow';
import { type DecisionOutcome, evaluateInterval, finishWatch } from '../../decision';
import { cadenceWords } from '../../model/replay-cadence';
import type { Policy } from '../../policy';
import type { GuardianState, Interrupt } from '../guardian-state';

export type WatchEnd =
  | { kind: 'decided'; decision: DecisionOutcome }
  | { kind: 'interrupted'; interrupt: Interrupt }
  | { kind: 'ended' }
  | { kind: 'continue-as-new' };

const DEFAULT_CONTINUE_AS_NEW_EVERY = 500;

/** How long the guardian watches: its input's, or its policy's own watch. */
export function watchSeconds(g: GuardianState): number {
  return g.input.watchSeconds ?? policyWatchSeconds(g.input.policy, g.config.intervalSeconds);
}

/** A policy's own watch: the canary's rollout (at least one interval), or the automatic rollback window. */
export function policyWatchSeconds(policy: Policy, intervalSeconds: number): number {
  const { deployment, rollbackWindow } = policy;
  if (deployment.pattern === 'canary') {
    const holds = deployment.steps.reduce((sum, step) => sum + step.holdSeconds, 0);
    return Math.max(holds, intervalSeconds);
  }
  return rollbackWindow.automaticSeconds;
}

/**
 * Every interval: read health (an activity), let the pure decision core judge,
 * show the verdict. Durable timers carry the waits, confirmation included (the
 * core counts it in intervals). Wakes early for an operator's request.
 */
export async function watch(g: GuardianState): Promise<WatchEnd> {
  const interval = g.config.intervalSeconds;
  const limit = watchSeconds(g);
  const continueEvery = g.input.continueAsNewEvery ?? DEFAULT_CONTINUE_AS_NEW_EVERY;
  if (g.status.phase === 'admit') g.setPhase('watch');

  for (;;) {
    if (g.interrupt) return { kind: 'interrupted', interrupt: g.interrupt };
    if (g.decisionState.nextIndex * interval >= limit) {
      // A watch without evidence of health escalates instead of promoting.
      const final = finishWatch(g.config, g.decisionState);
      return final.decision === 'no-rollback' ? { kind: 'ended' } : { kind: 'decided', decision: final };
    }
    if (g.evaluationsThisRun >= continueEvery || workflowInfo().continueAsNewSuggested) {
      return { kind: 'continue-as-new' };
    }

    // A rehearsal says the real cadence: "every 30 s of data, replayed every 1 s".
    g.status.waiting = { for: `the next evaluation (${cadenceWords(interval, g.input.speed)})` };
    await condition(() => g.interrupt !== undefined, g.ms(interval));
    if (g.interrupt) continue;
    if (g.status.paused) {
      g.status.waiting = { for: 'resume (paused by an operator)' };
      await condition(() => !g.status.paused || g.interrupt !== undefined);
      continue;
    }

    const observation = await g.readHealth(g.decisionState.nextIndex);
    const step = evaluateInterval(g.config, g.decisionState, observation);
    g.decisionState = step.state;
    g.recordVerdict(step.verdict);
    if (step.decision && step.decision.decision !== 'no-rollback') {
      return { kind: 'decided', decision: step.decision };
    }
  }
}
