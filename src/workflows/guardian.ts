import { allHandlersFinished, condition, upsertSearchAttributes } from '@temporalio/workflow';
import type { DecisionOutcome } from '../decision';
import type { RollbackPlan } from '../model/plan';
import { bookkeeping } from './activity-proxies';
import { continueGuardian, waitOrCarry } from './carry';
import { GuardianState } from './guardian-state';
import { registerHandlers } from './handlers';
import type { GuardianInput, GuardianResult, ResumePoint } from '../model/guardian';
import type { EscalationCause, EscalationReason, OutcomeDetails } from '../model/audit';
import { execute } from './phases/execute';
import { memberOfRelease } from './phases/member';
import { gate, type GateResult } from './phases/gate';
import { verify } from './phases/verify';
import { rehearsalApart, releaseRollbackTurn, waitForRollbackTurn } from './rollback-turn';
import { watch, type WatchEnd } from './phases/watch';
import {
  RipcordDeploymentId,
  RipcordEnvironment,
  RipcordPhase,
  RipcordService,
  RipcordVersion,
} from './search-attributes';

/**
 * The guardian of one deployment (docs/architecture.md §1): admit → watch (confirm) → plan →
 * gate → execute → verify → close. State lives in GuardianState; each phase is
 * its own module; this function only sequences them.
 */
export async function guardian(input: GuardianInput): Promise<GuardianResult> {
  const g = new GuardianState(input);
  registerHandlers(g);
  if (!input.carried) await admit(g);

  const resume = input.carried?.resume;
  if (input.release && (resume === undefined || resume.phase === 'member')) {
    await memberOfRelease(g, { carryOut, finish });
  } else if (resume && resume.phase !== 'member') {
    await resumeWaiting(g, resume);
  } else {
    const end = await watch(g);
    // Keep history small on long watches; finish any update and notification in flight first.
    if (end.kind === 'continue-as-new') return continueGuardian(g);
    await respond(g, end);
  }
  await g.flushNotifications();
  await condition(allHandlersFinished);
  return {
    outcome: g.status.outcome!,
    reason: g.status.reason ?? '',
    evaluations: g.status.evaluations,
    ...(g.status.decision ? { decision: g.status.decision } : {}),
    ...(g.plan ? { planHash: g.plan.planHash } : {}),
    ...(g.status.auditHead ? { auditHead: g.status.auditHead } : {}),
  };
}

/** A waiting phase that continued as new goes on where it was, with its deadline. */
async function resumeWaiting(
  g: GuardianState,
  resume: Exclude<ResumePoint, { phase: 'member' }>,
): Promise<void> {
  if (resume.phase === 'escalated')
    return escalate(g, resume.reason, resume.cause ?? { reason: 'unknown' }, true, resume.untilMs);
  g.plan = resume.plan;
  const approval = await gate(g, resume.plan, { untilMs: resume.untilMs, holding: resume.holding });
  return carryOut(g, resume.plan, approval, Promise.resolve());
}

async function admit(g: GuardianState): Promise<void> {
  const { deployment, policy, policyHash } = g.input;
  upsertSearchAttributes([
    { key: RipcordService, value: deployment.service },
    { key: RipcordEnvironment, value: deployment.environment },
    { key: RipcordVersion, value: deployment.version },
    { key: RipcordDeploymentId, value: deployment.deploymentId },
    { key: RipcordPhase, value: 'admit' },
  ]);
  const admitted = await bookkeeping.admitDeployment({
    workflowId: g.workflowId,
    deployment,
    policy,
    policyHash,
    ...(g.input.replay ? { replay: g.input.replay } : {}),
  });
  g.admittedAt = admitted.admittedAt;
  // A worker that trusts claims (local development, dry runs) says so; any other needs signed requests.
  g.tokensRequired = admitted.tokensRequired !== false;
  // A decide plane sends rollback steps to the execute plane of the deployment's environment.
  if (admitted.stepTaskQueue !== undefined) g.stepTaskQueue = admitted.stepTaskQueue;
  // A rehearsal never stands a live guardian down (nor another rehearsal): the two live apart.
  const { superseded } = rehearsalApart(g)
    ? { superseded: [] as string[] }
    : await bookkeeping.supersedeOlderGuardians({
        workflowId: g.workflowId,
        service: deployment.service,
        environment: deployment.environment,
      });
  await g.audit(
    'admitted',
    deployment.deployer ?? 'pipeline',
    `guarding ${deployment.service} ${deployment.version} (mode ${policy.mode})`,
    { version: deployment.version, mode: policy.mode, superseded },
  );
  g.setPhase('watch');
}

async function respond(g: GuardianState, end: Exclude<WatchEnd, { kind: 'continue-as-new' }>): Promise<void> {
  switch (end.kind) {
    case 'ended':
      return finish(
        g,
        { outcome: 'promoted', reason: 'watch-ended-healthy' },
        'the watch ended without a regression',
      );
    case 'interrupted': {
      const { interrupt } = end;
      if (interrupt.kind === 'abort') {
        const by = interrupt.request.actor;
        return finish(g, { outcome: 'aborted', reason: 'aborted', by, during: 'watch' }, `aborted by ${by}`);
      }
      if (interrupt.kind === 'superseded')
        return finish(
          g,
          { outcome: 'aborted', reason: 'superseded', by: interrupt.by },
          `superseded by ${interrupt.by}`,
        );
      g.interrupt = undefined;
      return rollback(g, manualDecision(g, interrupt.request.actor, interrupt.request.reason), 'manual');
    }
    case 'decided':
      return decided(g, end.decision);
  }
}

function manualDecision(g: GuardianState, actor: string, reason?: string): DecisionOutcome {
  return {
    decision: 'rollback',
    decidedAtIndex: g.decisionState.nextIndex - 1,
    reason: `manual rollback by ${actor}${reason ? `: ${reason}` : ''}`,
  };
}

/**
 * What the core decided, filtered through the policy's mode and rollback
 * window. Every ending waits for the decision's audit record; a rollback that
 * goes ahead writes it while the plan is built. Records still land one after
 * the other (each is awaited before the next is started), so the audit chain
 * keeps its order, and every record is in before the step it precedes starts.
 */
async function decided(g: GuardianState, decision: DecisionOutcome): Promise<void> {
  g.status.decision = { ...decision, source: 'automatic' };
  const recorded = g.audit('decision', 'ripcord', `${decision.decision}: ${decision.reason}`, {
    decision: decision.decision,
    source: 'automatic',
    ...(decision.cause ? { cause: decision.cause } : {}),
    reason: decision.reason,
    decidedAtIndex: decision.decidedAtIndex,
    ...(decision.signal ? { signal: decision.signal } : {}),
    evidence: g.status.signals,
  });
  if (decision.decision !== 'rollback') await recorded;
  if (decision.decision === 'escalate') return escalate(g, decision.reason, escalationOf(decision));

  const { mode, rollbackWindow } = g.input.policy;
  if (mode === 'observe' || mode === 'notify') {
    await recorded;
    if (mode === 'notify')
      g.notify('regression-detected', `Regression detected (${mode} mode, no action): ${decision.reason}`);
    return finish(
      g,
      { outcome: 'promoted', reason: 'would-have-rolled-back', mode },
      `${mode} mode: would have rolled back (${decision.reason}); no action taken`,
    );
  }
  if (g.elapsedSeconds() > rollbackWindow.automaticSeconds) {
    await recorded;
    return escalate(
      g,
      `regression after the automatic rollback window (${rollbackWindow.automaticSeconds} s): ${decision.reason}`,
      { reason: 'outside-rollback-window', ...(decision.signal ? { signal: decision.signal } : {}) },
    );
  }
  g.notify(
    'rollback-decided',
    `Rolling back ${g.input.deployment.service} ${g.input.deployment.version}: ${decision.reason}`,
  );
  return rollback(g, decision, 'automatic', recorded);
}

/** Why the decision core escalated, as the outcome's code (a cause from an older worker is unknown). */
function escalationOf(decision: DecisionOutcome): EscalationCause {
  const { cause, signal } = decision;
  const reason: EscalationReason =
    cause === undefined || cause === 'regression' || cause === 'healthy' ? 'unknown' : cause;
  return { reason, ...(signal ? { signal } : {}) };
}

/** Evidence so strong (e.g. a crash) that traffic returns in one stage instead of progressively. */
function strongEvidence(g: GuardianState, decision: DecisionOutcome): boolean {
  const signal = g.status.signals.find((s) => s.signal === decision.signal);
  return signal !== undefined && signal.eValue >= signal.threshold * 1e6;
}

/** `decisionRecorded`: the decision's audit record, still being written while the plan is built. */
async function rollback(
  g: GuardianState,
  decision: DecisionOutcome,
  source: 'automatic' | 'manual',
  decisionRecorded: Promise<void> = Promise.resolve(),
): Promise<void> {
  const { deployment, policy, policyHash } = g.input;
  g.status.decision = { ...decision, source };
  g.setPhase('plan');
  const [plan] = await Promise.all([
    bookkeeping.buildRollbackPlan({
      deployment,
      policy,
      policyHash,
      decision,
      trigger: source,
      elapsedSeconds: g.elapsedSeconds(),
      strongEvidence: source === 'automatic' && strongEvidence(g, decision),
    }),
    decisionRecorded,
  ]);
  g.setPlan(plan);
  const planRecorded = g.audit(
    'plan',
    'ripcord',
    `plan ${plan.planHash}: ${plan.steps.length} step(s), risk ${plan.risk}`,
    {
      trigger: plan.trigger,
      risk: plan.risk,
      riskReasons: plan.riskReasons,
      changes: plan.changes,
      steps: plan.steps.length,
    },
  );
  // A high-risk plan waits for people: its record must be in before their approvals are.
  if (plan.risk === 'high') await planRecorded;

  return carryOut(g, plan, await gate(g, plan), planRecorded);
}

/** What follows the approval gate: the rollback in its turn, then recovery, or the ending the gate chose. */
async function carryOut(
  g: GuardianState,
  plan: RollbackPlan,
  approval: GateResult,
  planRecorded: Promise<void>,
): Promise<void> {
  const { deployment } = g.input;
  if (approval === 'aborted' && g.interrupt?.kind === 'abort') {
    const by = g.interrupt.request.actor;
    return finish(
      g,
      { outcome: 'aborted', reason: 'aborted', by, during: 'gate' },
      `aborted by ${by} before the rollback`,
    );
  }
  if (approval === 'rejected') {
    const by = g.rejectedBy ?? 'an approver';
    return finish(g, { outcome: 'aborted', reason: 'rejected', by }, `rollback rejected by ${g.rejectedBy}`);
  }
  if (approval === 'escalate')
    return escalate(g, 'the rollback was not approved in time', { reason: 'not-approved' });

  // A release member continues the release's numbering (set from its order), a guardian its own watch's.
  g.readIndex = Math.max(g.readIndex, g.decisionState.nextIndex);
  const executed = await executeInTurn(g, plan, planRecorded);
  if (executed === 'aborted-waiting') {
    const by = actorOfAbort(g);
    return finish(
      g,
      { outcome: 'aborted', reason: 'aborted', by, during: 'rollback-turn' },
      `aborted by ${by} while waiting for its turn to roll back`,
    );
  }
  switch (executed.kind) {
    case 'aborted':
      return finish(
        g,
        {
          outcome: 'aborted',
          reason: 'aborted',
          by: actorOfAbort(g),
          during: 'rollback',
          compensated: executed.compensated,
        },
        `aborted during the rollback; ${executed.compensated ? 'completed steps were undone' : 'undoing completed steps FAILED: check production'}`,
      );
    case 'failed':
      g.notify('rollback-failed', executed.reason);
      return escalate(
        g,
        `${executed.reason}; ${executed.compensated ? 'completed steps were undone' : 'undoing completed steps FAILED'}`,
        { reason: 'step-failed', compensated: executed.compensated },
        false,
      );
    case 'frozen':
      return escalate(g, executed.reason, { reason: executed.because }, false);
    case 'done': {
      const recovery = await verify(g);
      await g.audit('recovery', 'ripcord', recovery.detail, {
        recovered: recovery.recovered,
        detail: recovery.detail,
      });
      if (!recovery.recovered)
        return escalate(g, `rolled back but ${recovery.detail}`, { reason: 'not-recovered' }, false);
      g.notify(
        'rollback-completed',
        `Rolled back ${deployment.service} to ${deployment.previousVersion}: ${recovery.detail}`,
      );
      return finish(
        g,
        { outcome: 'rolled-back', reason: 'recovered' },
        `rolled back to ${deployment.previousVersion}; ${recovery.detail}`,
      );
    }
  }
}

/**
 * Runs the plan while holding the service's rollback lock, so two rollbacks
 * never interleave. `planRecorded` (the plan's audit record) is written while
 * the lock is taken; no step starts before it is in.
 */
async function executeInTurn(
  g: GuardianState,
  plan: Parameters<typeof execute>[1],
  planRecorded: Promise<void>,
): Promise<Awaited<ReturnType<typeof execute>> | 'aborted-waiting'> {
  try {
    const [turn] = await Promise.all([waitForRollbackTurn(g), planRecorded]);
    if (turn === 'aborted') return 'aborted-waiting';
    return await execute(g, plan);
  } finally {
    await releaseRollbackTurn(g);
  }
}

function actorOfAbort(g: GuardianState): string {
  return g.interrupt?.kind === 'abort' ? g.interrupt.request.actor : 'an operator';
}

/**
 * Hands over to a person without loosening containment. When a rollback has
 * not started yet, a person may still order one (rollbackNow) or abort; when
 * nobody acts in time, the guardian closes as escalated.
 */
async function escalate(
  g: GuardianState,
  reason: string,
  cause: EscalationCause,
  mayStillRollBack = true,
  resumedUntilMs?: number,
): Promise<void> {
  if (resumedUntilMs === undefined) g.notify('escalated', `Escalated: ${reason}`);
  if (!mayStillRollBack) return finish(g, { outcome: 'escalated', ...cause }, reason);
  const waitSeconds = g.input.policy.approval?.timeoutSeconds ?? 3600;
  // A wait for a person: real time, also in a rehearsal (only the data is compressed by its speed).
  const untilMs = resumedUntilMs ?? Date.now() + g.humanMs(waitSeconds);
  g.setPhase('escalated', {
    for: 'a person: ripcord rollback or ripcord abort',
    until: new Date(untilMs).toISOString(),
  });
  await waitOrCarry(
    g,
    () => g.interrupt !== undefined,
    untilMs,
    () => ({ phase: 'escalated', reason, untilMs, cause }),
  );
  const interrupt = g.interrupt;
  if (interrupt?.kind === 'rollbackNow') {
    g.interrupt = undefined;
    return rollback(g, manualDecision(g, interrupt.request.actor, interrupt.request.reason), 'manual');
  }
  if (interrupt?.kind === 'abort') {
    const by = interrupt.request.actor;
    return finish(
      g,
      { outcome: 'aborted', reason: 'aborted', by, during: 'escalation' },
      `aborted by ${by} after escalation: ${reason}`,
    );
  }
  return finish(g, { outcome: 'escalated', ...cause }, reason);
}

/** Closes the guardian: `details` say how and why as codes, `reason` says it for people. */
async function finish(g: GuardianState, details: OutcomeDetails, reason: string): Promise<void> {
  const { outcome } = details;
  g.close(outcome, reason);
  await g.audit('outcome', 'ripcord', `${outcome}: ${reason}`, details);
  if (outcome === 'promoted') g.notify('promoted', reason, { outcome });
}
