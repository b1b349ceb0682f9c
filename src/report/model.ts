import {
  type DecisionConfig,
  type DecisionKind,
  evaluateInterval,
  finishWatch,
  initialDecisionState,
  type IntervalVerdict,
  type Observation,
} from '../decision';
import type { AuditRecord, AuditRecordOf, DecisionDetails } from '../model/audit';
import type { RollbackPlan, StepInput, StepOutcome } from '../model/plan';
import { decisionConfigFromPolicy } from '../policy/decision-config';
import type {
  DeploymentInfo,
  GuardianOutcome,
  GuardianStatus,
  SignalStatus,
  StepState,
} from '../model/guardian';
import type { AuditTrailView } from './audit-trail';
import type { ActivityCall, GuardianHistory } from './history';
import { watchWithoutEvidence } from './evidence-gap';

/**
 * Everything a postmortem needs about one guardian, built from its history
 * (and, when they can be had, its live status and the audit trail) by a pure
 * function: the text and HTML renderers only lay it out.
 */

export interface Reading {
  index: number;
  at: string;
  /** Watch readings fed the decision; later ones are the step and recovery checks. */
  phase: 'watch' | 'after-decision';
  observation?: Observation;
  failure?: string;
}

export interface TimelineEntry {
  at: string;
  /** Seconds since the deploy; negative when a clock disagrees. */
  sinceDeploySeconds: number;
  kind:
    | 'deploy'
    | 'onset'
    | 'first-breach'
    | 'breach-dismissed'
    | 'decision'
    | 'step-started'
    | 'audit'
    | 'outcome'
    | 'run';
  text: string;
}

export interface RecordedDecision {
  decision: DecisionKind;
  source: 'automatic' | 'manual';
  reason: string;
  decidedAtIndex: number | null;
  signal?: string;
  at?: string;
  /** Each signal's state when the decision was made, as the guardian recorded it. */
  evidence: SignalStatus[];
}

export interface DismissedBreach {
  /** The interval whose verdict dismissed it. */
  index: number;
  at?: string;
  signal: string;
  /** The decision core's words: "breach not seen again after it: dismissed as transient". */
  reason: string;
}

export interface ReportStep {
  index: number;
  name: string;
  type: string;
  state: StepState | 'not run';
  startedAt?: string;
  finishedAt?: string;
  attempts?: number;
  /** What the target read back, or why it failed. */
  detail?: string;
  applied?: boolean;
  compensatedAt?: string;
}

export interface ReportApproval {
  subject: string;
  role: string;
  at: string;
  verdict: 'approved' | 'rejected';
  reason?: string;
}

export interface ReportAuditRecord {
  id: string;
  at: string;
  kind: AuditRecord['kind'];
  actor: string;
  summary: string;
  /** Position and hash in the audit trail, when the trail was read and holds the record. */
  seq?: number;
  hash?: string;
}

export interface DeploymentReport {
  workflowId: string;
  /** The policy's decision configuration: what the charts plot and the verdicts were judged by. */
  decisionConfig: DecisionConfig;
  deployment: DeploymentInfo;
  policy: {
    service: string;
    environment: string;
    version: string;
    hash: string;
    mode: string;
    pattern: string;
    intervalSeconds: number;
  };
  /** A rehearsal or pipeline smoke test: the health data was a scenario file, not production. */
  replayedScenario?: string;
  /** The OpenTelemetry trace of the guardian, when the client that started it traced. */
  traceId?: string;
  state: 'running' | 'closed';
  phase?: string;
  waiting?: string;
  outcome?: GuardianOutcome;
  outcomeReason?: string;
  /** Stopped from outside (terminated, cancelled, failed, timed out). */
  stopped?: string;
  startedAt: string;
  closedAt?: string;
  runs: number;
  readings: Reading[];
  /** The decision core run again on the watch readings: the verdict of every interval. */
  verdicts: IntervalVerdict[];
  recomputed: { decision: DecisionKind | 'none'; decidedAtIndex: number | null; agrees: boolean };
  decision?: RecordedDecision;
  onset?: { index: number; at?: string; source: string };
  firstBreach?: { index: number; at?: string; signals: string[]; reason: string };
  /** Breaches a confirmation dismissed (fresh data did not confirm them), from the recomputed verdicts. */
  dismissedBreaches: DismissedBreach[];
  plan?: {
    planHash: string;
    risk: string;
    riskReasons: string[];
    changes: string[];
    createdAt: string;
    trigger: string;
    steps: ReportStep[];
  };
  approvals: ReportApproval[];
  timeline: TimelineEntry[];
  audit: { records: ReportAuditRecord[]; trail?: AuditTrailView; missingFromTrail: string[] };
  notes: string[];
  /** A promotion without a decision whose watch had no evidence of health: why (see evidence-gap.ts). */
  watchWithoutEvidence?: string;
}

export interface ReportInputs {
  history: GuardianHistory;
  live?: GuardianStatus;
  trail?: AuditTrailView;
  /** When the regression began, if someone knows (a scenario's truth, or --onset). */
  onset?: { index: number; source: string } | { at: string; source: string };
}

const sinceSeconds = (from: string, at: string) => Math.round((Date.parse(at) - Date.parse(from)) / 1000);

function callsOf(history: GuardianHistory, type: string): ActivityCall[] {
  return history.runs.flatMap((run) => run.calls.filter((c) => c.type === type));
}

/**
 * Every health read in the guardian's history, in order: the watch's (before any
 * plan) and, after a decision, the step and recovery checks. Backtests replay the
 * watch readings (src/backtest/readings.ts).
 */
export function readingsOf(history: GuardianHistory): Reading[] {
  const planAt = callsOf(history, 'buildRollbackPlan')[0]?.scheduledAt;
  return callsOf(history, 'evaluateHealth')
    .filter((call) => typeof (call.input as { index?: unknown })?.index === 'number')
    .map((call) => ({
      index: (call.input as { index: number }).index,
      at: call.scheduledAt,
      phase: planAt !== undefined && call.scheduledAt >= planAt ? 'after-decision' : 'watch',
      ...(call.state === 'completed' ? { observation: call.result as Observation } : {}),
      ...(call.failure ? { failure: call.failure } : {}),
    }));
}

/** The verdicts the guardian reached, interval by interval: the same pure core, on the same readings. */
function recompute(history: GuardianHistory, readings: Reading[], watchEnded: boolean) {
  const first = history.runs[0]!;
  const config = decisionConfigFromPolicy(first.input.policy);
  let state = initialDecisionState(config);
  const verdicts: IntervalVerdict[] = [];
  let decided: { decision: DecisionKind; decidedAtIndex: number | null } | undefined;
  for (const reading of readings.filter((r) => r.phase === 'watch')) {
    if (decided) break;
    const step = evaluateInterval(config, state, reading.observation ?? {});
    state = step.state;
    verdicts.push(step.verdict);
    if (step.decision && step.decision.decision !== 'no-rollback') decided = step.decision;
  }
  if (!decided && watchEnded) {
    // The watch ran its full length: what the core concludes at its end (too long inconclusive escalates).
    const final = finishWatch(config, state);
    if (final.decision !== 'no-rollback') decided = final;
  }
  return { verdicts, decided };
}

/** The audit records a workflow wrote (recordAudit's inputs in its history), once each. */
export function auditRecordsOf(history: GuardianHistory): AuditRecord[] {
  const seen = new Set<string>();
  const records: AuditRecord[] = [];
  for (const call of callsOf(history, 'recordAudit')) {
    const record = call.input as AuditRecord | undefined;
    if (!record?.id || seen.has(record.id)) continue;
    seen.add(record.id);
    records.push(record);
  }
  return records;
}

function recordedDecision(
  history: GuardianHistory,
  live: GuardianStatus | undefined,
  records: AuditRecord[],
): RecordedDecision | undefined {
  const lastRun = history.runs[history.runs.length - 1]!;
  const fromResult = lastRun.end?.kind === 'completed' ? lastRun.end.result.decision : undefined;
  const known = fromResult ?? live?.decision;
  const record = records.find((r): r is AuditRecordOf<'decision'> => r.kind === 'decision');
  // Typed details; a record of an older worker may lack them (unknown, never read from its summary).
  const details: Partial<DecisionDetails> = record?.details ?? {};
  if (known) {
    const manualAt =
      known.source === 'manual'
        ? records.find((r) => r.kind === 'action' && r.details?.action === 'rollbackNow')?.at
        : undefined;
    return {
      decision: known.decision,
      source: known.source,
      reason: known.reason,
      decidedAtIndex: known.decidedAtIndex,
      ...(known.signal ? { signal: known.signal } : {}),
      ...((record?.at ?? manualAt) ? { at: record?.at ?? manualAt } : {}),
      evidence: details.evidence ?? [],
    };
  }
  if (!record) return undefined;
  const { decision } = details;
  if (decision !== 'rollback' && decision !== 'escalate') return undefined;
  return {
    decision,
    source: details.source ?? 'automatic',
    reason: details.reason ?? '',
    decidedAtIndex: details.decidedAtIndex ?? null,
    ...(details.signal ? { signal: details.signal } : {}),
    at: record.at,
    evidence: details.evidence ?? [],
  };
}

function stepsOf(
  plan: RollbackPlan,
  history: GuardianHistory,
  live: GuardianStatus | undefined,
  records: AuditRecord[],
): ReportStep[] {
  const forStep = (type: string, index: number) =>
    callsOf(history, type).filter((c) => (c.input as StepInput | undefined)?.step?.index === index);
  return plan.steps.map((step) => {
    const executed = forStep('executeStep', step.index).at(-1);
    const compensated = forStep('compensateStep', step.index).at(-1);
    const frozen = records.some(
      (r) => r.kind === 'step' && r.details?.index === step.index && r.details.state === 'frozen',
    );
    let state: ReportStep['state'] = 'not run';
    let detail: string | undefined;
    if (frozen) {
      state = 'frozen';
      detail = 'irreversible: needs a person';
    } else if (executed) {
      if (executed.state === 'completed') {
        state = 'done';
        detail = (executed.result as StepOutcome | undefined)?.verified;
      } else if (executed.state === 'open') {
        state = 'running';
      } else {
        state = 'failed';
        detail = executed.failure;
      }
      if (compensated?.state === 'completed') {
        const undo = (compensated.result as { detail?: string } | undefined)?.detail;
        if (state === 'done') state = 'compensated';
        detail = [detail, undo ? `undone: ${undo}` : 'undone'].filter(Boolean).join('; ');
      }
    }
    const liveStep = live?.plan?.steps.find((s) => s.index === step.index);
    if (liveStep && liveStep.state !== 'pending') {
      state = liveStep.state;
      if (liveStep.detail) detail = liveStep.detail;
    }
    const applied = (executed?.result as StepOutcome | undefined)?.applied;
    return {
      index: step.index,
      name: step.name,
      type: step.action.type,
      state,
      ...(executed ? { startedAt: executed.scheduledAt } : {}),
      ...(executed?.closedAt ? { finishedAt: executed.closedAt } : {}),
      ...(executed?.attempt ? { attempts: executed.attempt } : {}),
      ...(detail ? { detail } : {}),
      ...(applied !== undefined ? { applied } : {}),
      ...(compensated?.closedAt ? { compensatedAt: compensated.closedAt } : {}),
    };
  });
}

/** People's verdicts on the plan (what the gate did by itself, a timeout, is not one). */
function approvalsOf(records: AuditRecord[]): ReportApproval[] {
  const approvals: ReportApproval[] = [];
  for (const r of records) {
    if (r.kind !== 'approval') continue;
    const details = r.details;
    if (details?.verdict !== 'approved' && details?.verdict !== 'rejected') continue;
    approvals.push({
      subject: details.subject,
      role: details.role,
      at: r.at,
      verdict: details.verdict,
      ...(details.reason ? { reason: details.reason } : {}),
    });
  }
  return approvals;
}

function readingAt(readings: Reading[], index: number): string | undefined {
  return readings.find((r) => r.phase === 'watch' && r.index === index)?.at;
}

function resolveOnset(inputs: ReportInputs, readings: Reading[]): DeploymentReport['onset'] {
  const onset = inputs.onset;
  if (!onset) return undefined;
  if ('index' in onset) {
    const at = readingAt(readings, onset.index);
    return { index: onset.index, ...(at ? { at } : {}), source: onset.source };
  }
  // A time: the first interval read at or after it (readings are taken at the end of their interval).
  const reading = readings.find((r) => r.phase === 'watch' && r.at >= onset.at);
  if (!reading) return undefined;
  return { index: reading.index, at: onset.at, source: onset.source };
}

function firstBreachOf(verdicts: IntervalVerdict[], readings: Reading[]): DeploymentReport['firstBreach'] {
  const first = verdicts.find((v) => v.signals.some((s) => s.verdict === 'regressed'));
  if (!first) return undefined;
  const signals = first.signals.filter((s) => s.verdict === 'regressed');
  const at = readingAt(readings, first.index);
  return {
    index: first.index,
    ...(at ? { at } : {}),
    signals: signals.map((s) => s.signal),
    reason: signals.map((s) => `${s.signal}: ${s.reason}`).join('; '),
  };
}

/** A signal that was confirming a breach and is back to watching: fresh data did not confirm it. */
function dismissedBreachesOf(verdicts: IntervalVerdict[], readings: Reading[]): DismissedBreach[] {
  const dismissed: DismissedBreach[] = [];
  const before = new Map<string, string>();
  for (const verdict of verdicts) {
    for (const s of verdict.signals) {
      if (before.get(s.signal) === 'confirming' && s.phase === 'watching') {
        const at = readingAt(readings, verdict.index);
        dismissed.push({ index: verdict.index, ...(at ? { at } : {}), signal: s.signal, reason: s.reason });
      }
      before.set(s.signal, s.phase);
    }
  }
  return dismissed;
}

/** "breach on error-rate dismissed: fresh data did not confirm it (breach not seen again after it: …)". */
export function dismissedBreachText(d: Pick<DismissedBreach, 'signal' | 'reason'>): string {
  return `breach on ${d.signal} dismissed: fresh data did not confirm it (${d.reason})`;
}

export function buildReport(inputs: ReportInputs): DeploymentReport {
  const { history, live, trail } = inputs;
  const firstRun = history.runs[0];
  const lastRun = history.runs[history.runs.length - 1];
  if (!firstRun || !lastRun) throw new Error(`guardian ${history.workflowId} has no runs`);
  const { deployment, policy, policyHash } = firstRun.input;
  const records = auditRecordsOf(history);
  const readings = readingsOf(history);
  const decision = recordedDecision(history, live, records);
  const { verdicts, decided } = recompute(history, readings, decision?.source === 'automatic');
  const notes: string[] = [];

  const end = lastRun.end;
  const closed = end !== undefined && end.kind !== 'continued-as-new';
  const result = end?.kind === 'completed' ? end.result : undefined;
  const outcome = result?.outcome ?? live?.outcome;
  const outcomeReason = result?.reason ?? live?.reason;

  const recomputedDecision = decided?.decision ?? 'none';
  // A manual rollback overrides the core; otherwise the core, run again, must reach what was recorded.
  const agrees =
    decision?.source === 'manual' ||
    (decision === undefined
      ? decided === undefined
      : decision.decision === decided?.decision && decision.decidedAtIndex === decided.decidedAtIndex);
  const membership = firstRun.input.release;
  if (membership) {
    notes.push(
      `A member of release ${membership.releaseId}: the release read and judged its health with the other members' ` +
        `(ripcord report ${membership.releaseId} shows its verdicts and evidence); this guardian carried out its part.`,
    );
  } else if (!agrees) {
    notes.push(
      'The verdicts shown were recomputed by this version of ripcord and do not end in the decision the ' +
        'guardian recorded (the decision core may have changed since); the recorded decision is what happened.',
    );
  }

  const planCall = callsOf(history, 'buildRollbackPlan')
    .filter((c) => c.state === 'completed')
    .at(-1);
  const plan = planCall?.result as RollbackPlan | undefined;

  // The audit trail: which of the guardian's records it holds, and where in the chain.
  const inTrail = new Map((trail?.records ?? []).map((r) => [r.id, r]));
  const auditRecords: ReportAuditRecord[] = records.map((r) => {
    const stored = inTrail.get(r.id);
    return {
      id: r.id,
      at: r.at,
      kind: r.kind,
      actor: r.actor,
      summary: r.summary,
      ...(stored ? { seq: stored.seq, hash: stored.hash } : {}),
    };
  });
  const missingFromTrail = trail ? records.filter((r) => !inTrail.has(r.id)).map((r) => r.id) : [];
  if (trail && missingFromTrail.length > 0) {
    notes.push(
      `${missingFromTrail.length} audit record(s) in the guardian's history are not in the audit trail read ` +
        `from ${trail.where} (another worker's trail, or a trail cut short).`,
    );
  }
  if (!trail) notes.push('No audit trail was read: hashes are not shown (--audit-file or --audit-db).');
  if (firstRun.input.replay) {
    notes.push(
      `Health data came from the scenario file ${firstRun.input.replay.scenarioFile} (a rehearsal or a pipeline ` +
        'smoke test), not from production.',
    );
  }

  const onset = resolveOnset(inputs, readings);
  const firstBreach = firstBreachOf(verdicts, readings);
  const dismissedBreaches = dismissedBreachesOf(verdicts, readings);
  const since = (at: string) => sinceSeconds(deployment.deployedAt, at);
  const timeline: TimelineEntry[] = [];
  const add = (at: string | undefined, kind: TimelineEntry['kind'], text: string) => {
    if (at) timeline.push({ at, sinceDeploySeconds: since(at), kind, text });
  };
  add(
    deployment.deployedAt,
    'deploy',
    `${deployment.service} ${deployment.version} deployed to ${deployment.environment} (replacing ${deployment.previousVersion})` +
      (deployment.deployer ? ` by ${deployment.deployer}` : ''),
  );
  if (onset) add(onset.at, 'onset', `the regression began (interval ${onset.index}; ${onset.source})`);
  if (firstBreach)
    add(
      firstBreach.at,
      'first-breach',
      `first breach at interval ${firstBreach.index}: ${firstBreach.reason}`,
    );
  for (const d of dismissedBreaches)
    add(d.at, 'breach-dismissed', `interval ${d.index}: ${dismissedBreachText(d)}`);
  for (const step of plan ? stepsOf(plan, history, live, records) : []) {
    add(step.startedAt, 'step-started', `step ${step.index} ${step.name} (${step.type}) started`);
  }
  for (const r of records) {
    const kind: TimelineEntry['kind'] =
      r.kind === 'decision' ? 'decision' : r.kind === 'outcome' ? 'outcome' : 'audit';
    const text = r.kind === 'recovery' ? `recovery check: ${r.summary}` : r.summary;
    add(r.at, kind, r.actor === 'ripcord' ? text : `${text} (${r.actor})`);
  }
  history.runs
    .slice(1)
    .forEach((run, i) => add(run.startedAt, 'run', `continued as new (run ${i + 2}) to keep history small`));
  if (end && end.kind !== 'completed' && end.kind !== 'continued-as-new') {
    add(end.at, 'outcome', `the guardian was ${end.kind}${end.message ? `: ${end.message}` : ''}`);
  }
  timeline.sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? -1 : 1));
  const gap =
    decision === undefined && outcome === 'promoted'
      ? watchWithoutEvidence(decisionConfigFromPolicy(policy), readings)
      : undefined;

  return {
    workflowId: history.workflowId,
    decisionConfig: decisionConfigFromPolicy(policy),
    deployment,
    policy: {
      service: policy.metadata.service,
      environment: policy.metadata.environment,
      version: policy.metadata.version,
      hash: policyHash,
      mode: policy.mode,
      pattern: policy.deployment.pattern,
      intervalSeconds: policy.evaluation.intervalSeconds,
    },
    ...(firstRun.input.replay ? { replayedScenario: firstRun.input.replay.scenarioFile } : {}),
    ...(firstRun.traceId ? { traceId: firstRun.traceId } : {}),
    state: closed ? 'closed' : 'running',
    ...(live && !closed ? { phase: live.phase } : {}),
    ...(live?.waiting && !closed ? { waiting: live.waiting.for } : {}),
    ...(outcome ? { outcome } : {}),
    ...(outcomeReason ? { outcomeReason } : {}),
    ...(end && end.kind !== 'completed' && end.kind !== 'continued-as-new'
      ? { stopped: `${end.kind}${end.message ? `: ${end.message}` : ''}` }
      : {}),
    startedAt: firstRun.startedAt,
    ...(closed ? { closedAt: end.at } : {}),
    runs: history.runs.length,
    readings,
    verdicts,
    recomputed: { decision: recomputedDecision, decidedAtIndex: decided?.decidedAtIndex ?? null, agrees },
    ...(decision ? { decision } : {}),
    ...(onset ? { onset } : {}),
    ...(firstBreach ? { firstBreach } : {}),
    dismissedBreaches,
    ...(plan
      ? {
          plan: {
            planHash: plan.planHash,
            risk: plan.risk,
            riskReasons: plan.riskReasons,
            changes: plan.changes,
            createdAt: plan.createdAt,
            trigger: plan.trigger,
            steps: stepsOf(plan, history, live, records),
          },
        }
      : {}),
    approvals: approvalsOf(records),
    timeline,
    audit: { records: auditRecords, ...(trail ? { trail } : {}), missingFromTrail },
    notes,
    ...(gap !== undefined ? { watchWithoutEvidence: gap } : {}),
  };
}
