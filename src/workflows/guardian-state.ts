import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import {
  type DecisionConfig,
  type DecisionState,
  type IntervalVerdict,
  initialDecisionState,
} from '../decision';
import type { Observation } from '../decision';
import { decisionConfigFromPolicy } from '../policy/decision-config';
import type { ApprovalRequest, NotificationEventName } from '../model/activity-contract';
import type {
  AuditDetailsByKind,
  AuditKind,
  AuditRecord,
  AuditRecordOf,
  MessageRefusedDetails,
} from '../model/audit';
import type { RollbackPlan } from '../model/plan';
import { bookkeeping, localHealthActivities, notifications } from './activity-proxies';
import type { ActionRequest } from '../model/actions';
import type {
  GuardianInput,
  GuardianOutcome,
  GuardianPhase,
  GuardianStatus,
  StepState,
} from '../model/guardian';
import { waitEnding } from '../model/wait-ending';
import { printable } from './request-validation';
import { RipcordOutcome, RipcordPhase, RipcordRisk } from './search-attributes';

/** Refused unauthenticated messages audited one by one; past this they are only counted. */
export const MAX_REFUSED_MESSAGE_RECORDS = 10;

/** Flags with their placeholder ("--key <private JWK>") and variables in Markdown code spans. */
function asCode(text: string): string {
  return text.replace(/--[a-z-]+(?: <[^>]+>)?|\bRIPCORD_[A-Z_]+\b/g, (m) => `\`${m}\``);
}

/** Something a person (or a newer guardian) asked for, waiting to be acted on by the running phase. */
export type Interrupt =
  | { kind: 'abort'; request: ActionRequest }
  | { kind: 'rollbackNow'; request: ActionRequest }
  | { kind: 'superseded'; by: string };

/**
 * All of one guardian's state, in one place: what it knows, what it shows
 * (the `status` query, search attributes, current details) and what it has
 * recorded. Phases read and change it; handlers only queue requests on it.
 */
export class GuardianState {
  readonly input: GuardianInput;
  readonly config: DecisionConfig;
  readonly status: GuardianStatus;
  decisionState: DecisionState;
  admittedAt = '';
  plan?: RollbackPlan;
  interrupt?: Interrupt;
  rejectedBy?: string;
  auditSeq: number;
  /** Records this guardian stored, across continue-as-new (its audit head's count). */
  auditRecords: number;
  readonly usedTokenIds: Set<string>;
  /** Evaluations in this run (continue-as-new resets it). */
  evaluationsThisRun = 0;
  /**
   * Next interval to read after the watch (post-step checks, recovery): the
   * numbering continues the watch's, so a replayed scenario keeps playing.
   */
  readIndex = 0;
  /**
   * Where this guardian stands with the per-service rollback lock
   * (rollback-turn.ts). Kept in the status: the lock asks it (by query, in an
   * activity) before it believes an acquire or a release sent in our name.
   */
  get rollbackTurn(): 'waiting' | 'granted' | undefined {
    return this.status.rollbackTurn;
  }
  set rollbackTurn(turn: 'waiting' | 'granted' | undefined) {
    if (turn === undefined) delete this.status.rollbackTurn;
    else this.status.rollbackTurn = turn;
  }
  /** When each verified identity's manual rollback requests reached the guardian (workflow time, ms). */
  rollbackNowBySubject: Record<string, number[]>;
  /** The worker verifies signed tokens (learnt at admission): validators refuse requests without one. */
  tokensRequired: boolean;
  /** Numbers each operator request: `<workflowId>#r<n>` names its namespace-wide token claim. */
  requestSeq: number;
  /** A `supersede` sender is being checked with Temporal; the next one waits here (one check at a time). */
  supersedeChecking = false;
  pendingSupersede?: string;
  /** A `rollbackLockGranted` signal arrived: the turn is checked with the lock itself before it counts. */
  turnHint = false;
  /** A release member: a `memberOrder` signal arrived; the order is asked of the release before it counts. */
  orderHint = false;
  /** A release member: the last order of its release it acted on (orders are numbered). */
  orderSeq: number;
  /** Where rollback steps go: the execute plane of the deployment's environment (learnt at admission; absent: this queue). */
  stepTaskQueue?: string;
  /** False for a release, whose own input is not a guardian's: its waits never continue as new. */
  readonly canContinueAsNew: boolean;

  constructor(input: GuardianInput, options: { canContinueAsNew?: boolean } = {}) {
    this.input = input;
    this.canContinueAsNew = options.canContinueAsNew !== false;
    this.config = decisionConfigFromPolicy(input.policy);
    const carried = input.carried;
    this.decisionState = carried?.decisionState ?? initialDecisionState(this.config);
    this.admittedAt = carried?.admittedAt ?? '';
    this.auditSeq = carried?.auditSeq ?? 0;
    this.auditRecords = carried?.status.auditHead?.records ?? carried?.auditSeq ?? 0;
    this.usedTokenIds = new Set(carried?.usedTokenIds ?? []);
    this.rollbackNowBySubject = { ...(carried?.rollbackNowBySubject ?? {}) };
    this.tokensRequired = carried?.tokensRequired ?? true;
    this.requestSeq = carried?.requestSeq ?? 0;
    this.orderSeq = carried?.orderSeq ?? 0;
    if (carried?.stepTaskQueue !== undefined) this.stepTaskQueue = carried.stepTaskQueue;
    const { deployment, policy } = input;
    this.status = carried?.status ?? {
      workflowId: workflowInfo().workflowId,
      deploymentId: deployment.deploymentId,
      service: deployment.service,
      environment: deployment.environment,
      version: deployment.version,
      policyHash: input.policyHash,
      mode: policy.mode,
      phase: 'admit',
      paused: false,
      evaluations: 0,
      signals: [],
      approvals: [],
      continuedAsNew: 0,
      ...(input.replay !== undefined ? { rehearsal: true as const } : {}),
    };
  }

  /**
   * Seconds since the deploy, in the policy's time (rollback window, canary
   * weight reached). A rehearsal's clock is its data: intervals replayed times
   * their length, because compressed timers cannot fire faster than about once
   * a second and would otherwise run ahead of the scenario.
   */
  elapsedSeconds(): number {
    if (this.input.replay) return this.decisionState.nextIndex * this.config.intervalSeconds;
    return Math.max(0, (Date.now() - Date.parse(this.input.deployment.deployedAt)) / 1000);
  }

  /**
   * Reads every series of the policy for one interval; a failing source is an
   * error reading, never a throw. A local activity: it runs inside the
   * workflow task its timer opened (activity-proxies.ts).
   */
  async readHealth(index: number): Promise<Observation> {
    const { policy, deployment, replay } = this.input;
    const intervalSeconds = this.config.intervalSeconds;
    const input = {
      deployment,
      index,
      intervalSeconds,
      series: policy.series,
      sources: policy.sources,
      ...(replay ? { replay } : {}),
    };
    return (await localHealthActivities(intervalSeconds).readHealthInterval(input)).observation;
  }

  get workflowId(): string {
    return this.status.workflowId;
  }

  /** Seconds of policy time for a wall-clock wait (rehearsals compress time by `speed`). */
  ms(seconds: number): number {
    return Math.max(1, Math.round((seconds * 1000) / (this.input.speed ?? 1)));
  }

  /**
   * Milliseconds for a wait on people (approval timeout, escalation): real
   * time, also in a rehearsal, whose `speed` compresses only the data. Tests
   * may compress it on purpose (`humanWaitSpeed`).
   */
  humanMs(seconds: number): number {
    // Only a rehearsal may compress them (production workers refuse replay input at admission).
    const human = this.input.replay !== undefined ? (this.input.humanWaitSpeed ?? 1) : 1;
    return Math.max(1, Math.round((seconds * 1000) / human));
  }

  setPhase(phase: GuardianPhase, waiting?: GuardianStatus['waiting']): void {
    const changed = this.status.phase !== phase;
    this.status.phase = phase;
    this.status.waiting = waiting;
    const approval = this.input.policy.approval;
    if ((phase === 'gate' || phase === 'escalated') && approval)
      this.status.approvers = { roles: [...approval.roles], quorum: approval.quorum };
    else delete this.status.approvers;
    if (changed) upsertSearchAttributes([{ key: RipcordPhase, value: phase }]);
    this.publishDetails();
  }

  recordVerdict(verdict: IntervalVerdict): void {
    this.status.evaluations += 1;
    this.evaluationsThisRun += 1;
    this.status.lastVerdict = { index: verdict.index, verdict: verdict.verdict, reason: verdict.reason };
    this.status.signals = verdict.signals.map((s) => ({
      signal: s.signal,
      verdict: s.verdict,
      phase: s.phase,
      reason: s.reason,
      eValue: s.evidence.eValue,
      threshold: s.evidence.threshold,
      ...(s.evidence.dismissedBreaches ? { dismissedBreaches: s.evidence.dismissedBreaches } : {}),
    }));
    const confirming = verdict.signals.some((s) => s.phase === 'confirming');
    if (this.status.phase === 'watch' || this.status.phase === 'confirm') {
      this.setPhase(confirming ? 'confirm' : 'watch', this.status.waiting);
    } else {
      this.publishDetails();
    }
  }

  /** A new plan starts a new judgement: approvals and rejections of an earlier plan never count for it. */
  setPlan(plan: RollbackPlan): void {
    this.plan = plan;
    this.status.approvals = [];
    this.rejectedBy = undefined;
    this.status.plan = {
      planHash: plan.planHash,
      risk: plan.risk,
      riskReasons: plan.riskReasons,
      steps: plan.steps.map((s) => ({ index: s.index, name: s.name, type: s.action.type, state: 'pending' })),
    };
    upsertSearchAttributes([{ key: RipcordRisk, value: plan.risk }]);
    this.publishDetails();
  }

  setStepState(index: number, state: StepState, detail?: string): void {
    const step = this.status.plan?.steps.find((s) => s.index === index);
    if (!step) return;
    step.state = state;
    if (detail !== undefined) step.detail = detail;
    this.publishDetails();
  }

  close(outcome: GuardianOutcome, reason: string): void {
    this.status.outcome = outcome;
    this.status.reason = reason;
    this.setPhase('close');
    upsertSearchAttributes([{ key: RipcordOutcome, value: outcome }]);
    this.publishDetails();
  }

  /**
   * Appends an audit record; ids are stable so an activity retry stores it
   * once. `details` are the kind's typed fields, which readers use; `summary`
   * is for people only.
   */
  async audit<K extends AuditKind>(
    kind: K,
    actor: string,
    summary: string,
    details: AuditDetailsByKind[K],
  ): Promise<void> {
    const { deployment } = this.input;
    const record: AuditRecordOf<K> = {
      id: `${this.workflowId}#${this.auditSeq++}`,
      at: new Date().toISOString(),
      workflowId: this.workflowId,
      deploymentId: deployment.deploymentId,
      service: deployment.service,
      environment: deployment.environment,
      policyHash: this.input.policyHash,
      kind,
      actor,
      summary,
      ...(this.plan ? { planHash: this.plan.planHash } : {}),
      details,
    };
    // One kind's record is a record (TypeScript does not narrow the union through the generic K).
    const receipt = await bookkeeping.recordAudit(record as AuditRecord);
    this.auditRecords += 1;
    // Records overlap (bookkeeping runs beside work): the head is the furthest one stored.
    if (receipt && (this.status.auditHead === undefined || receipt.seq > this.status.auditHead.seq)) {
      this.status.auditHead = { seq: receipt.seq, hash: receipt.hash, records: this.auditRecords };
    } else if (this.status.auditHead) {
      this.status.auditHead.records = this.auditRecords;
    }
  }

  /**
   * A message that could not be authenticated (a forged supersede or lock
   * grant): counted in the status, and audited one by one only up to a bound,
   * so that a flood of them cannot flood the trail.
   */
  async refuseMessage(message: MessageRefusedDetails['message'], reason: string): Promise<void> {
    const count = (this.status.refusedMessages ?? 0) + 1;
    this.status.refusedMessages = count;
    if (count > MAX_REFUSED_MESSAGE_RECORDS) return;
    const last = count === MAX_REFUSED_MESSAGE_RECORDS;
    const why = printable(reason, 300);
    await this.audit(
      'message-refused',
      'unauthenticated',
      `${message} refused: ${why}${last ? `; further refused messages are only counted (status.refusedMessages)` : ''}`,
      { message, count, reason: why, lastRecorded: last },
    );
  }

  /** Notifications still in flight; awaited (never for long) before the guardian closes. */
  private readonly pendingNotifications: Promise<unknown>[] = [];

  /** Fire and forget while the guardian works: a slow or dead receiver never holds it up. */
  notify(
    event: NotificationEventName,
    message: string,
    { outcome, approval }: { outcome?: GuardianOutcome; approval?: ApprovalRequest } = {},
  ): void {
    const sent = notifications
      .notify({
        event,
        workflowId: this.workflowId,
        deployment: this.input.deployment,
        notifications: this.input.policy.notifications,
        message,
        ...(outcome ? { outcome } : {}),
        ...(this.plan ? { planHash: this.plan.planHash } : {}),
        ...(approval ? { approval } : {}),
      })
      .catch(() => undefined);
    this.pendingNotifications.push(sent);
  }

  /**
   * Lets notifications already sent finish before the workflow completes: an
   * activity scheduled by a closed workflow is never delivered. Bounded by the
   * notify activity's own short timeout and retries.
   */
  async flushNotifications(): Promise<void> {
    await Promise.all(this.pendingNotifications);
  }

  /**
   * What the Web UI shows under "current details": the phase, and why, at a
   * glance. A guardian waiting for a person says so first, with who may act,
   * until when, the full plan hash and the exact command that ends the wait.
   */
  private publishDetails(): void {
    const s = this.status;
    const where = `${s.service} ${s.version} in ${s.environment}`;
    const ending = s.outcome ? undefined : waitEnding(s, workflowInfo().namespace);
    const lines: string[] = [];
    if (ending) {
      lines.push(`**${ending.headline}**${s.paused ? ' (paused)' : ''} — ${where}`);
      lines.push(`who may act: ${ending.who}${ending.until ? `, until ${ending.until}` : ' (no deadline)'}`);
      if (ending.planHash) lines.push(`plan ${ending.planHash}`);
      // Markdown: the commands in a code block, to copy whole; flags in the hint as code, or the
      // renderer turns "--" into a dash and drops "<placeholders>".
      lines.push('', '```', ...ending.commands, '```', '', asCode(ending.hint));
    } else if (s.outcome) {
      lines.push(`**${s.phase}: ${s.outcome}** — ${where}`);
    } else {
      lines.push(`**${s.phase}**${s.paused ? ' (paused)' : ''} — ${where}`);
    }
    if (s.waiting && !ending)
      lines.push(`waiting for ${s.waiting.for}${s.waiting.until ? ` until ${s.waiting.until}` : ''}`);
    if (s.lastVerdict)
      lines.push(
        `last verdict (interval ${s.lastVerdict.index}): ${s.lastVerdict.verdict} — ${s.lastVerdict.reason}`,
      );
    if (s.decision)
      lines.push(`decision: ${s.decision.decision} (${s.decision.source}) — ${s.decision.reason}`);
    if (s.plan) {
      lines.push(`plan ${s.plan.planHash}, risk ${s.plan.risk}`);
      for (const step of s.plan.steps)
        lines.push(`- step ${step.index} ${step.name} (${step.type}): ${step.state}`);
    }
    if (s.approvals.length)
      lines.push(`approvals: ${s.approvals.map((a) => `${a.subject} (${a.role})`).join(', ')}`);
    if (s.outcome) lines.push(`outcome: **${s.outcome}** — ${s.reason ?? ''}`);
    setCurrentDetails(lines.join('\n'));
  }
}
