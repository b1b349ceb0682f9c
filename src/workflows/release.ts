import {
  allHandlersFinished,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  ParentClosePolicy,
  setHandler,
  startChild,
  upsertSearchAttributes,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { DecisionConfig } from '../decision';
import { decisionConfigFromPolicy } from '../policy/decision-config';
import type { Policy } from '../policy';
import { dependencyOrder } from '../releases/graph';
import { releaseInputProblems } from '../releases/release-input';
import { judgeRelease, type ReleaseJudgement } from '../releases/judge';
import {
  appendReadings,
  openWindow,
  restartWindow,
  windowScenario,
  type LiveWindow,
} from '../releases/live-window';
import type { EscalationCause, OutcomeDetails, ReleaseVerdictDetails } from '../model/audit';
import {
  guardianWorkflowId,
  type GuardianInput,
  type GuardianOutcome,
  type GuardianResult,
} from '../model/guardian';
import type { RollbackPlan } from '../model/plan';
import type {
  MemberOrder,
  ReleaseInput,
  ReleaseMemberInput,
  ReleaseMemberState,
  ReleasePlan,
  ReleaseResult,
  ReleaseVerdict,
} from '../model/release';
import { bookkeeping, localHealthActivities } from './activity-proxies';
import { guardian } from './guardian';
import { GuardianState } from './guardian-state';
import { registerHandlers } from './handlers';
import { memberOrderQuery, memberOrderSignal } from './messages';
import { gate } from './phases/gate';
import { policyWatchSeconds } from './phases/watch';
import {
  RipcordDeploymentId,
  RipcordEnvironment,
  RipcordPhase,
  RipcordService,
  RipcordVersion,
} from './search-attributes';

/**
 * The release (docs/policy.md, releases): one parent workflow for several
 * deployments that ship together, one child guardian per member.
 *
 * Every interval it reads every member (baseline and canary) and every
 * service outside the release (its serving version), and judges them
 * together with the release judge (src/releases/judge.ts), the same code
 * `ripcord simulate --release-scenario` runs:
 * - isolated or cascade: the culprits (deepest dependency first) are rolled
 *   back under one plan, one hash and one approval gate; each member executes
 *   its own part, in order, with the guardian's retries, verification and
 *   compensation. Then the members kept settle, and are judged again on fresh
 *   data only.
 * - systemic (stable versions degrade too): no automatic rollback; the
 *   members are held and a person decides (rollbackNow or abort on the release).
 * A failed member rollback stops the release and escalates, naming what is
 * rolled back and what is not. At the end of the watch the members kept are
 * promoted.
 *
 * The release's own messages (status, approve, reject, abort, rollbackNow,
 * pause, resume) are the guardian's, with the same validation and
 * authorisation (handlers.ts), addressed to the release id.
 */
export async function release(input: ReleaseInput): Promise<ReleaseResult> {
  // Anyone with start rights can send any input: a malformed one fails the release at once, naming the field.
  const problems = releaseInputProblems(input);
  if (problems.length > 0)
    throw ApplicationFailure.nonRetryable(`release refused: ${problems.join('; ')}`, 'InvalidReleaseError');
  const r = new Release(input);
  await r.admit();
  try {
    await r.run();
  } finally {
    await r.g.flushNotifications();
  }
  await condition(allHandlersFinished);
  return r.result();
}

interface Member {
  input: ReleaseMemberInput;
  config: DecisionConfig;
  workflowId: string;
  handle?: ChildWorkflowHandle<typeof guardian>;
  /** Resolves when the member guardian closes, with its result (or why it failed). */
  closed?: Promise<void>;
  result?: GuardianResult | { outcome: 'failed'; reason: string };
  state: ReleaseMemberState;
  orderSeq: number;
  order: MemberOrder;
}

class Release {
  readonly g: GuardianState;
  readonly members = new Map<string, Member>();
  readonly leadConfig: DecisionConfig;
  window: LiveWindow;
  index = 0;
  readonly rolledBack: string[] = [];

  constructor(readonly input: ReleaseInput) {
    const lead = input.members[0]!;
    this.g = new GuardianState(
      {
        deployment: {
          deploymentId: input.releaseId,
          service: input.name,
          environment: input.environment,
          version: input.releaseId,
          previousVersion: '-',
          deployedAt: input.startedAt,
          ...(input.deployer !== undefined ? { deployer: input.deployer } : {}),
        },
        policy: { ...lead.policy, approval: strictestApproval(input.members) ?? lead.policy.approval },
        policyHash: lead.policyHash,
        ...(input.replay ? { replay: { scenarioFile: input.replay.releaseScenarioFile } } : {}),
        ...(input.speed !== undefined ? { speed: input.speed } : {}),
        ...(input.humanWaitSpeed !== undefined ? { humanWaitSpeed: input.humanWaitSpeed } : {}),
      },
      // A release's input is not a guardian's: its waits stay in one run (bounded by its watch).
      { canContinueAsNew: false },
    );
    this.leadConfig = decisionConfigFromPolicy(lead.policy);
    for (const member of input.members) {
      this.members.set(member.deployment.service, {
        input: member,
        config: decisionConfigFromPolicy(member.policy),
        // A rehearsal's members live apart from live guardians of the same deployment id, as a rehearsal does.
        workflowId: guardianWorkflowId(member.deployment, { rehearsal: input.replay !== undefined }),
        state: 'watching',
        orderSeq: 0,
        order: { kind: 'none' },
      });
    }
    this.window = openWindow(input.name, this.interval, [
      ...input.members.map((m) => ({
        service: m.deployment.service,
        inRelease: true,
        dependsOn: m.dependsOn,
      })),
      ...input.outside.map((o) => ({ service: o.service, inRelease: false, dependsOn: o.dependsOn })),
    ]);
    this.g.status.release = {
      releaseId: input.releaseId,
      name: input.name,
      mode: input.mode,
      members: [...this.members.values()].map((m) => ({
        service: m.input.deployment.service,
        version: m.input.deployment.version,
        previousVersion: m.input.deployment.previousVersion,
        workflowId: m.workflowId,
        dependsOn: m.input.dependsOn,
        state: m.state,
      })),
      outside: input.outside.map((o) => o.service),
      verdicts: [],
      rolledBack: this.rolledBack,
    };
    registerHandlers(this.g);
    setHandler(memberOrderQuery, (service: string) => {
      const member = this.members.get(service);
      return member ? { seq: member.orderSeq, order: member.order } : { seq: 0, order: { kind: 'none' } };
    });
  }

  get interval(): number {
    return this.leadConfig.intervalSeconds;
  }

  /** The watch: the input's, or the longest of the members' own watches. */
  get watchSeconds(): number {
    if (this.input.watchSeconds !== undefined) return this.input.watchSeconds;
    return Math.max(...this.input.members.map((m) => policyWatchSeconds(m.policy, this.interval)));
  }

  async admit(): Promise<void> {
    const { input, g } = this;
    const lead = input.members[0]!;
    upsertSearchAttributes([
      { key: RipcordService, value: input.name },
      { key: RipcordEnvironment, value: input.environment },
      { key: RipcordVersion, value: input.releaseId },
      { key: RipcordDeploymentId, value: input.releaseId },
      { key: RipcordPhase, value: 'admit' },
    ]);
    // The lead member's admission says whether this worker verifies tokens (it is the release's too).
    const admitted = await bookkeeping.admitDeployment({
      workflowId: g.workflowId,
      deployment: lead.deployment,
      policy: lead.policy,
      policyHash: lead.policyHash,
      ...(input.replay
        ? { replay: { scenarioFile: input.replay.releaseScenarioFile, member: lead.deployment.service } }
        : {}),
    });
    g.admittedAt = admitted.admittedAt;
    g.tokensRequired = admitted.tokensRequired !== false;
    await g.audit(
      'admitted',
      input.deployer ?? 'pipeline',
      `guarding release ${input.name} (${input.releaseId}): ${input.members
        .map((m) => `${m.deployment.service} ${m.deployment.version}`)
        .join(', ')}; mode ${input.mode}`,
      { version: input.releaseId, mode: lead.policy.mode, superseded: [] },
    );
    for (const member of this.members.values()) await this.startMember(member);
    g.setPhase('watch');
  }

  private async startMember(member: Member): Promise<void> {
    const { input } = this;
    const service = member.input.deployment.service;
    const args: GuardianInput = {
      deployment: member.input.deployment,
      policy: member.input.policy,
      policyHash: member.input.policyHash,
      release: { releaseWorkflowId: this.g.workflowId, releaseId: input.releaseId },
      ...(input.replay
        ? { replay: { scenarioFile: input.replay.releaseScenarioFile, member: service } }
        : {}),
      ...(input.speed !== undefined ? { speed: input.speed } : {}),
      ...(input.humanWaitSpeed !== undefined ? { humanWaitSpeed: input.humanWaitSpeed } : {}),
    };
    member.handle = await startChild(guardian, {
      workflowId: member.workflowId,
      args: [args],
      // A release that ends (or is terminated) takes its members with it: cancelled, they leave production as it was.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
    member.closed = member.handle.result().then(
      (result) => {
        member.result = result;
      },
      (error: unknown) => {
        const cause =
          error instanceof ChildWorkflowFailure ? (error.cause?.message ?? error.message) : String(error);
        member.result = { outcome: 'failed', reason: `its guardian failed: ${cause}` };
      },
    );
  }

  // ---- the watch ------------------------------------------------------------------

  async run(): Promise<void> {
    const { g } = this;
    for (;;) {
      if (g.interrupt) return this.onInterrupt();
      const closedAlone = this.memberClosedAlone();
      if (closedAlone) {
        for (const [service, m] of this.members)
          if (m.result !== undefined && m.order.kind === 'none')
            this.setState(service, 'failed', m.result.reason);
        return this.escalate(closedAlone, { reason: 'unknown' }, 'watch');
      }
      if (this.kept().length === 0) return this.close();
      if (this.index * this.interval >= this.watchSeconds) return this.endOfWatch();
      await condition(
        () => g.interrupt !== undefined || this.memberClosedAlone() !== undefined,
        g.ms(this.interval),
      );
      if (g.interrupt || this.memberClosedAlone()) continue;
      if (g.status.paused) {
        await condition(() => !g.status.paused || g.interrupt !== undefined);
        continue;
      }
      const judgement = await this.readAndJudge();
      const culprits = judgement.rollback.filter((s) => this.members.get(s)?.state !== 'rolled-back');
      if (culprits.length > 0) {
        const verdict = this.verdictOf(judgement, culprits);
        const done = await this.rollBack(verdict, judgement, 'automatic');
        if (!done) return;
        if (this.kept().length === 0) return this.close();
        // The members kept settle, then are judged again on fresh data only.
        g.setPhase('watch', {
          for: `dependents to settle (${this.input.settleSeconds} s) after the rollback`,
        });
        await condition(() => g.interrupt !== undefined, g.ms(this.input.settleSeconds));
        this.index += Math.ceil(this.input.settleSeconds / this.interval);
        this.window = restartWindow(this.window, this.rolledBack, this.index);
        for (const service of this.kept()) this.setState(service, 'watching');
        g.setPhase('watch');
        continue;
      }
      if (judgement.decision === 'escalate') {
        const verdict = this.verdictOf(judgement, []);
        await this.recordVerdict(verdict, judgement);
        return this.escalate(
          verdict.reason,
          { reason: judgement.kind === 'systemic' ? 'systemic' : 'unknown' },
          'watch',
        );
      }
    }
  }

  /** One interval of every service, appended to the window, and the release judged on it. */
  private async readAndJudge(): Promise<ReleaseJudgement> {
    const { input } = this;
    const index = this.index++;
    const reads = [
      ...input.members.map((m) => ({
        service: m.deployment.service,
        deployment: m.deployment,
        series: m.policy.series,
        sources: m.policy.sources,
      })),
      ...input.outside.map((o) => ({
        service: o.service,
        // A service outside the release serves one version: both groups name it, only the baseline is read.
        deployment: {
          deploymentId: input.releaseId,
          service: o.service,
          environment: input.environment,
          version: o.version,
          previousVersion: o.version,
          deployedAt: input.startedAt,
        },
        series: o.policy.series,
        sources: o.policy.sources,
      })),
    ].map((read) => ({
      ...read,
      ...(input.replay
        ? { replay: { scenarioFile: input.replay.releaseScenarioFile, member: read.service } }
        : {}),
    }));
    const reading = await localHealthActivities(this.interval).readReleaseInterval({
      index,
      intervalSeconds: this.interval,
      services: reads,
    });
    appendReadings(this.window, reading.observations);
    this.g.status.evaluations += 1;
    return this.judge(false);
  }

  /** The release judged on the window; `watchEnded`: every member not yet decided is concluded, as its guardian would. */
  private judge(watchEnded: boolean): ReleaseJudgement {
    const judgement = judgeRelease(windowScenario(this.window), {
      config: this.leadConfig,
      memberConfigs: Object.fromEntries([...this.members].map(([service, m]) => [service, m.config])),
      mode: this.input.mode,
      watchEnded,
    });
    for (const [service, judged] of Object.entries(judgement.members)) {
      const member = this.members.get(service);
      if (member === undefined || member.state === 'rolled-back') continue;
      if (judged.verdict === 'explained') this.setState(service, 'explained', judged.own.reason);
    }
    return judgement;
  }

  private verdictOf(judgement: ReleaseJudgement, rollback: string[]): ReleaseVerdict {
    const kind: ReleaseVerdict['kind'] =
      judgement.kind === 'undecided'
        ? 'unresolved'
        : judgement.kind === 'healthy'
          ? 'healthy'
          : judgement.kind;
    return {
      kind,
      rollback,
      atIndex: this.window.startIndex + (judgement.decidedAtIndex ?? this.window.length - 1),
      reason: judgement.reason,
    };
  }

  private async recordVerdict(verdict: ReleaseVerdict, judgement?: ReleaseJudgement): Promise<void> {
    this.g.status.release!.verdicts.push(verdict);
    const details: ReleaseVerdictDetails = {
      verdict: verdict.kind,
      rollback: verdict.rollback,
      atIndex: verdict.atIndex,
      reason: verdict.reason,
      members: judgement
        ? Object.entries(judgement.members).map(([service, m]) => ({
            service,
            verdict: m.verdict,
            reason: m.own.reason,
            ...(m.explainedBy ? { explainedBy: m.explainedBy } : {}),
          }))
        : [],
      systemic: judgement
        ? judgement.systemic.tested.map((t) => ({
            service: t.service,
            inRelease: t.inRelease,
            signal: t.signal,
            degraded: t.degradedAtIndex !== null,
            eValue: t.eValue,
          }))
        : [],
    };
    await this.g.audit('release-verdict', 'ripcord', `${verdict.kind}: ${verdict.reason}`, details);
  }

  // ---- coordinated rollback -----------------------------------------------------------

  /**
   * One plan for the members given (in the order given), one gate, then each
   * member's part in turn. False when the release ended meanwhile (aborted,
   * rejected, escalated).
   */
  private async rollBack(
    verdict: ReleaseVerdict,
    judgement: ReleaseJudgement | undefined,
    trigger: 'automatic' | 'manual',
  ): Promise<boolean> {
    const { g, input } = this;
    await this.recordVerdict(verdict, judgement);
    for (const service of verdict.rollback) this.setState(service, 'rolling-back');
    g.notify(
      'rollback-decided',
      `Release ${input.name}: rolling back ${verdict.rollback.join(', ')}: ${verdict.reason}`,
    );
    g.setPhase('plan');
    const decision = {
      decision: 'rollback' as const,
      decidedAtIndex: verdict.atIndex,
      reason: verdict.reason,
    };
    g.status.decision = { ...decision, source: trigger };
    const releasePlan = await bookkeeping.buildReleasePlan({
      releaseId: input.releaseId,
      members: verdict.rollback.map((service) => {
        const member = this.members.get(service)!;
        return {
          deployment: member.input.deployment,
          policy: member.input.policy,
          policyHash: member.input.policyHash,
          decision,
          trigger,
          elapsedSeconds: this.elapsedSeconds(),
          strongEvidence: false,
        };
      }),
    });
    const gatePlan = asGatePlan(releasePlan, input, trigger);
    g.setPlan(gatePlan);
    await g.audit(
      'plan',
      'ripcord',
      `release plan ${releasePlan.planHash}: ${releasePlan.members.map((m) => `${m.service} (${m.plan.steps.length} step(s))`).join(', ')}; risk ${gatePlan.risk}`,
      {
        trigger,
        risk: gatePlan.risk,
        riskReasons: gatePlan.riskReasons,
        changes: gatePlan.changes,
        steps: gatePlan.steps.length,
      },
    );
    const approval = await gate(g, gatePlan);
    if (approval === 'aborted') {
      await this.endAborted('gate');
      return false;
    }
    if (approval === 'rejected') {
      const by = g.rejectedBy ?? 'an approver';
      await this.orderAll(
        { kind: 'abort', by, reason: `the release's rollback was rejected by ${by}` },
        'aborted',
      );
      await this.finish({ outcome: 'aborted', reason: 'rejected', by }, `rollback rejected by ${by}`);
      return false;
    }
    if (approval === 'escalate') {
      await this.escalate('the rollback was not approved in time', { reason: 'not-approved' }, 'gate');
      return false;
    }

    g.setPhase('execute');
    g.notify(
      'rollback-started',
      `Release ${input.name}: rolling back ${verdict.rollback.join(', ')}: plan ${releasePlan.planHash}`,
    );
    let stepOffset = 0;
    for (const part of releasePlan.members) {
      const member = this.members.get(part.service)!;
      const steps = part.plan.steps.map((s) => s.index + stepOffset);
      stepOffset += part.plan.steps.length;
      if (g.interrupt?.kind === 'abort') {
        await this.endAborted('rollback');
        return false;
      }
      g.status.waiting = { for: `${part.service} to roll back` };
      for (const index of steps) g.setStepState(index, 'running');
      await this.order(member, {
        kind: 'rollback',
        plan: part.plan,
        releasePlanHash: releasePlan.planHash,
        fromIndex: this.index,
        reason: verdict.reason,
      });
      await member.closed;
      const result = member.result!;
      const ok = result.outcome === 'rolled-back';
      for (const index of steps)
        g.setStepState(index, ok ? 'done' : 'failed', `${part.service}: ${result.reason}`);
      await g.audit('release-member', 'ripcord', `${part.service}: ${result.outcome}: ${result.reason}`, {
        service: part.service,
        state: ok ? 'rolled-back' : 'failed',
        planHash: part.plan.planHash,
        outcome: result.outcome,
        reason: result.reason,
      });
      if (!ok) {
        this.setState(part.service, 'failed', result.reason);
        g.notify(
          'rollback-failed',
          `Release ${input.name}: the rollback of ${part.service} did not complete: ${result.reason}`,
        );
        const notDone = verdict.rollback.filter((s) => !this.rolledBack.includes(s));
        await this.escalate(
          `the rollback of ${part.service} did not complete (${result.reason}); rolled back: ${
            this.rolledBack.length > 0 ? this.rolledBack.join(', ') : 'none'
          }; not rolled back: ${notDone.join(', ')}`,
          { reason: 'step-failed' },
          'rollback',
          false,
        );
        return false;
      }
      this.rolledBack.push(part.service);
      this.setState(part.service, 'rolled-back', result.reason);
    }
    g.notify('rollback-completed', `Release ${input.name}: rolled back ${verdict.rollback.join(', ')}`);
    return true;
  }

  // ---- people, escalation and endings ------------------------------------------------

  private async onInterrupt(): Promise<void> {
    const { g } = this;
    const interrupt = g.interrupt!;
    if (interrupt.kind === 'abort') return this.endAborted('watch');
    if (interrupt.kind === 'superseded') {
      // Releases are never superseded (nothing verified one); drop the hint and go on.
      g.interrupt = undefined;
      return this.run();
    }
    g.interrupt = undefined;
    return this.manualRollback(interrupt.request.actor, interrupt.request.reason);
  }

  /** A person orders the release rolled back: every member kept, dependents first. */
  private async manualRollback(actor: string, reason?: string): Promise<void> {
    const kept = this.kept();
    if (kept.length === 0) return this.close();
    const graph = Object.fromEntries(this.input.members.map((m) => [m.deployment.service, m.dependsOn]));
    const order = dependencyOrder(graph, kept).reverse();
    const verdict: ReleaseVerdict = {
      kind: 'manual',
      rollback: order,
      atIndex: this.index - 1,
      reason: `manual rollback by ${actor}${reason ? `: ${reason}` : ''}`,
    };
    if (await this.rollBack(verdict, undefined, 'manual')) return this.close();
  }

  /**
   * Hands over to a person. The members kept are held (no automatic rollback);
   * a person may roll the release back or abort it; when nobody acts in time
   * the release closes escalated and its members with it, untouched.
   */
  private async escalate(
    reason: string,
    cause: EscalationCause,
    during: 'watch' | 'gate' | 'rollback',
    mayStillRollBack = true,
  ): Promise<void> {
    const { g } = this;
    g.notify('escalated', `Release ${this.input.name} escalated: ${reason}`);
    for (const service of this.kept())
      await this.order(this.members.get(service)!, { kind: 'hold', reason }, 'held');
    if (mayStillRollBack && during !== 'rollback') {
      const waitSeconds = g.input.policy.approval?.timeoutSeconds ?? 3600;
      const untilMs = Date.now() + g.humanMs(waitSeconds);
      g.setPhase('escalated', {
        for: 'a person: ripcord rollback or ripcord abort on the release',
        until: new Date(untilMs).toISOString(),
      });
      await condition(() => g.interrupt !== undefined, Math.max(1, untilMs - Date.now()));
      const interrupt = g.interrupt;
      if (interrupt?.kind === 'rollbackNow') {
        g.interrupt = undefined;
        return this.manualRollback(interrupt.request.actor, interrupt.request.reason);
      }
      if (interrupt?.kind === 'abort') return this.endAborted('escalation');
    }
    await this.orderAll(
      { kind: 'close-escalated', reason: `release ${this.input.name} escalated: ${reason}` },
      'held',
    );
    return this.finish({ outcome: 'escalated', ...cause }, reason);
  }

  private async endAborted(during: 'watch' | 'gate' | 'rollback' | 'escalation'): Promise<void> {
    const interrupt = this.g.interrupt;
    const by = interrupt?.kind === 'abort' ? interrupt.request.actor : 'an operator';
    await this.orderAll(
      { kind: 'abort', by, reason: `release ${this.input.name} aborted by ${by}` },
      'aborted',
    );
    return this.finish({ outcome: 'aborted', reason: 'aborted', by, during }, `aborted by ${by}`);
  }

  /**
   * The watch ended: every member not decided is concluded as its own guardian
   * would conclude it (a member without evidence of health escalates, it is
   * never promoted blind); then what is kept is promoted.
   */
  private async endOfWatch(): Promise<void> {
    if (this.window.length > 0) {
      const judgement = this.judge(true);
      const culprits = judgement.rollback.filter((s) => this.members.get(s)?.state !== 'rolled-back');
      if (culprits.length > 0) {
        if (await this.rollBack(this.verdictOf(judgement, culprits), judgement, 'automatic'))
          return this.promoteKept();
        return;
      }
      if (judgement.decision === 'escalate') {
        const verdict = this.verdictOf(judgement, []);
        await this.recordVerdict(verdict, judgement);
        return this.escalate(verdict.reason, { reason: 'unknown' }, 'watch');
      }
    }
    return this.promoteKept();
  }

  /** Every member kept is promoted. */
  private async promoteKept(): Promise<void> {
    await this.orderAll(
      { kind: 'promote', reason: `release ${this.input.name}: the watch ended with it healthy` },
      'promoted',
    );
    return this.close();
  }

  private async close(): Promise<void> {
    if (this.rolledBack.length > 0) {
      return this.finish(
        { outcome: 'rolled-back', reason: 'recovered' },
        `rolled back ${this.rolledBack.join(', ')}; ${this.kept().length > 0 || this.promoted().length > 0 ? `kept ${this.promoted().join(', ') || 'none'}` : 'nothing kept'}`,
      );
    }
    return this.finish(
      { outcome: 'promoted', reason: 'watch-ended-healthy' },
      'the watch ended without a regression',
    );
  }

  private async finish(details: OutcomeDetails, reason: string): Promise<void> {
    const { g } = this;
    g.close(details.outcome, reason);
    await g.audit('outcome', 'ripcord', `${details.outcome}: ${reason}`, details);
    if (details.outcome === 'promoted') g.notify('promoted', reason, { outcome: details.outcome });
  }

  result(): ReleaseResult {
    const { status } = this.g;
    return {
      outcome: status.outcome!,
      reason: status.reason ?? '',
      rolledBack: [...this.rolledBack],
      members: Object.fromEntries(
        [...this.members].map(([service, m]) => [service, m.result?.outcome ?? 'unknown']),
      ) as Record<string, GuardianOutcome | 'failed' | 'unknown'>,
      verdicts: status.release!.verdicts,
      ...(this.g.plan ? { planHash: this.g.plan.planHash } : {}),
      ...(status.auditHead ? { auditHead: status.auditHead } : {}),
    };
  }

  // ---- members ---------------------------------------------------------------------

  /** Members still in place (not rolled back, not closed). */
  kept(): string[] {
    return [...this.members.values()]
      .filter((m) => m.result === undefined && m.state !== 'rolled-back')
      .map((m) => m.input.deployment.service);
  }

  private promoted(): string[] {
    return [...this.members.values()]
      .filter((m) => m.result?.outcome === 'promoted')
      .map((m) => m.input.deployment.service);
  }

  /** A member that closed without being ordered to (its guardian failed, was terminated or refused). */
  private memberClosedAlone(): string | undefined {
    for (const [service, m] of this.members) {
      if (m.result !== undefined && m.order.kind === 'none')
        return `member ${service} closed without an order from the release (${m.result.outcome}: ${m.result.reason})`;
    }
    return undefined;
  }

  private async order(member: Member, order: MemberOrder, state?: ReleaseMemberState): Promise<void> {
    member.orderSeq += 1;
    member.order = order;
    if (state)
      this.setState(member.input.deployment.service, state, 'reason' in order ? order.reason : undefined);
    if (member.result !== undefined) return;
    await member.handle!.signal(memberOrderSignal);
  }

  /** Orders every member kept, and waits until each has closed. */
  private async orderAll(order: MemberOrder, state: ReleaseMemberState): Promise<void> {
    const kept = this.kept().map((s) => this.members.get(s)!);
    for (const member of kept) await this.order(member, order, state);
    if (order.kind === 'hold') return;
    await Promise.all(kept.map((m) => m.closed));
    for (const member of kept) {
      const service = member.input.deployment.service;
      this.setState(service, state);
      await this.g.audit('release-member', 'ripcord', `${service}: ${member.result!.outcome}`, {
        service,
        state: order.kind === 'promote' ? 'promoted' : order.kind === 'abort' ? 'aborted' : 'escalated',
        outcome: member.result!.outcome,
        reason: member.result!.reason,
      });
    }
  }

  private setState(service: string, state: ReleaseMemberState, reason?: string): void {
    const member = this.members.get(service);
    if (member === undefined) return;
    member.state = state;
    const shown = this.g.status.release!.members.find((m) => m.service === service);
    if (shown) {
      shown.state = state;
      if (reason !== undefined) shown.reason = reason;
      if (member.result && member.result.outcome !== 'failed') shown.outcome = member.result.outcome;
    }
  }

  private elapsedSeconds(): number {
    if (this.input.replay) return this.index * this.interval;
    return Math.max(0, (Date.now() - Date.parse(this.input.startedAt)) / 1000);
  }
}

/** The release's gate asks for the strictest approval any member's policy asks for (the largest quorum). */
function strictestApproval(members: readonly ReleaseMemberInput[]): Policy['approval'] {
  let strictest: Policy['approval'];
  for (const member of members) {
    const approval = member.policy.approval;
    if (approval && (strictest === undefined || approval.quorum > strictest.quorum)) strictest = approval;
  }
  return strictest;
}

/**
 * The release plan as the gate and the status see a plan: its hash, its risk
 * (high when any member's is), and every member's steps in execution order,
 * renumbered, named by member.
 */
function asGatePlan(plan: ReleasePlan, input: ReleaseInput, trigger: 'automatic' | 'manual'): RollbackPlan {
  const parts = plan.members;
  let offset = 0;
  const steps = parts.flatMap((part) => {
    const renumbered = part.plan.steps.map((s) => ({
      ...s,
      index: s.index + offset,
      name: `${part.service}: ${s.name}`,
    }));
    offset += part.plan.steps.length;
    return renumbered;
  });
  return {
    planHash: plan.planHash,
    policyHash: input.members[0]!.policyHash,
    deploymentId: input.releaseId,
    createdAt: parts[0]?.plan.createdAt ?? input.startedAt,
    trigger,
    risk: parts.some((p) => p.plan.risk === 'high') ? 'high' : 'normal',
    riskReasons: parts.flatMap((p) => p.plan.riskReasons.map((r) => `${p.service}: ${r}`)),
    changes: parts.flatMap((p) => p.plan.changes.map((c) => `${p.service}: ${c}`)),
    steps,
  };
}
