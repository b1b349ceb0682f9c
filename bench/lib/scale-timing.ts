import { quantile } from './scoring';

/**
 * Pure timing analysis for the scale and overhead benchmarks: percentiles of
 * a sample, evaluation lag read off a guardian's history, the latency of a
 * rollback's steps, and where the time of a guardian went (policy waits,
 * outside systems, ripcord's own work). Histories are reduced to TimedEvent
 * first (bench/lib/scale-history.ts), so everything here is plain data in,
 * numbers out.
 */

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** p50/p90/p99 (linear interpolation between ranks), mean and max; undefined for no values. */
export function summarize(values: readonly number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    mean: sum / sorted.length,
    p50: quantile(sorted, 0.5)!,
    p90: quantile(sorted, 0.9)!,
    p99: quantile(sorted, 0.99)!,
    max: sorted[sorted.length - 1]!,
  };
}

/**
 * Evaluation lag as the worker sees it. The guardian does not evaluate on a
 * fixed grid: it starts a durable timer of one interval after each evaluation
 * (src/workflows/phases/watch.ts), so the intended time of the next one is
 * the previous one's end plus the interval. Anything later is lag: the
 * result's way back to the workflow, the workflow task that starts the timer,
 * the timer firing late, the workflow task that schedules the read, and the
 * read waiting for an activity slot. An upper bound of the timer-based lag of
 * `evaluationTimings`, and what a person watching the cadence sees.
 */
export function cadenceLagMs(previousEndMs: number, intervalMs: number, startedMs: number): number {
  return startedMs - (previousEndMs + intervalMs);
}

/** One history event, reduced to what the analysis reads. Times are the server's, in ms since the epoch. */
export interface TimedEvent {
  id: number;
  type:
    | 'TimerStarted'
    | 'TimerFired'
    | 'TimerCanceled'
    | 'ActivityTaskScheduled'
    | 'ActivityTaskStarted'
    | 'ActivityTaskCompleted'
    | 'ActivityTaskFailed'
    | 'ActivityTaskTimedOut'
    | 'ActivityTaskCanceled'
    /** A workflow task nobody picked up in time: on the sticky queue, the worker then replays the history. */
    | 'WorkflowTaskTimedOut'
    | 'WorkflowTaskCompleted'
    | 'StartChildWorkflowExecutionInitiated'
    | 'Other';
  timeMs: number;
  /** TimerStarted: how long the timer runs. */
  timerMs?: number;
  /** ActivityTaskScheduled: the activity's name. */
  activityType?: string;
  /** Activity events after Scheduled: the Scheduled event's id; TimerFired/Canceled: the TimerStarted event's id. */
  refId?: number;
}

export const HEALTH_ACTIVITY = 'evaluateHealth';
export const STEP_ACTIVITIES: readonly string[] = ['executeStep', 'compensateStep'];

/** One evaluation that followed a timer, timed from the history. */
export interface EvaluationTiming {
  /** When the timer said the evaluation was due: TimerStarted + its duration. */
  intendedMs: number;
  /** When the health read started (ActivityTaskStarted). */
  startedMs: number;
  /** startedMs − intendedMs. */
  lagMs: number;
  /** TimerFired − intended: the server's timer queue. */
  timerLateMs: number;
  /** TimerFired → ActivityTaskScheduled: the workflow task that schedules the read. */
  workflowTaskMs: number;
  /** ActivityTaskScheduled → ActivityTaskStarted: the read waiting for a worker. */
  activityQueueMs: number;
}

/** Every health read that a fired timer led to, with how late it started and where the delay came from. */
export function evaluationTimings(
  events: readonly TimedEvent[],
  activityType: string = HEALTH_ACTIVITY,
): EvaluationTiming[] {
  const timers = new Map<number, TimedEvent>();
  const pending = new Map<number, { intendedMs: number; firedMs: number; scheduledMs: number }>();
  const timings: EvaluationTiming[] = [];
  let fired: { intendedMs: number; firedMs: number } | undefined;
  for (const event of events) {
    switch (event.type) {
      case 'TimerStarted':
        timers.set(event.id, event);
        break;
      case 'TimerFired': {
        const started = event.refId === undefined ? undefined : timers.get(event.refId);
        if (started?.timerMs !== undefined)
          fired = { intendedMs: started.timeMs + started.timerMs, firedMs: event.timeMs };
        break;
      }
      case 'ActivityTaskScheduled':
        // Only the first read after a timer is due at the timer's end; later ones in the same task are not.
        if (event.activityType === activityType && fired !== undefined) {
          pending.set(event.id, { ...fired, scheduledMs: event.timeMs });
          fired = undefined;
        }
        break;
      case 'ActivityTaskStarted': {
        const due = event.refId === undefined ? undefined : pending.get(event.refId);
        if (due === undefined) break;
        pending.delete(event.refId!);
        timings.push({
          intendedMs: due.intendedMs,
          startedMs: event.timeMs,
          lagMs: event.timeMs - due.intendedMs,
          timerLateMs: due.firedMs - due.intendedMs,
          workflowTaskMs: due.scheduledMs - due.firedMs,
          activityQueueMs: event.timeMs - due.scheduledMs,
        });
        break;
      }
      default:
        break;
    }
  }
  return timings;
}

/** Where a stretch of a guardian's time went; milliseconds, adding up to the stretch. */
export interface TimeSplit {
  /** A durable timer was running: an evaluation interval, a settle time, a verification wait. Policy-imposed. */
  policyWaits: number;
  /** A rollback step (or its undo) was running: the target's own work, pauses between traffic stages included. */
  steps: number;
  /** A health read was running: the source (Prometheus, a probe, a replayed file) answering. */
  healthReads: number;
  /** ripcord's bookkeeping activities (admission, plan, audit, authorisation, notifications). */
  bookkeeping: number;
  /** Nothing was running: workflow tasks, dispatch of timers and activities (ripcord on Temporal). */
  orchestration: number;
}

type Category = keyof TimeSplit;
/** When several things run at once, the time counts for the first of these that runs. */
const PRIORITY: readonly Category[] = ['policyWaits', 'steps', 'healthReads', 'bookkeeping'];

interface Span {
  from: number;
  to: number;
  category: Category;
}

function spans(events: readonly TimedEvent[], endMs: number): Span[] {
  const byId = new Map(events.map((e) => [e.id, e]));
  const opened = new Map<number, { from: number; category: Category }>();
  const out: Span[] = [];
  for (const event of events) {
    switch (event.type) {
      case 'TimerStarted':
        opened.set(event.id, { from: event.timeMs, category: 'policyWaits' });
        break;
      case 'ActivityTaskStarted': {
        const name = byId.get(event.refId ?? -1)?.activityType ?? '';
        const category: Category = STEP_ACTIVITIES.includes(name)
          ? 'steps'
          : name === HEALTH_ACTIVITY
            ? 'healthReads'
            : 'bookkeeping';
        opened.set(event.refId ?? -1, { from: event.timeMs, category });
        break;
      }
      case 'TimerFired':
      case 'TimerCanceled':
      case 'ActivityTaskCompleted':
      case 'ActivityTaskFailed':
      case 'ActivityTaskTimedOut':
      case 'ActivityTaskCanceled': {
        const open = opened.get(event.refId ?? -1);
        if (open === undefined) break;
        opened.delete(event.refId ?? -1);
        out.push({ from: open.from, to: event.timeMs, category: open.category });
        break;
      }
      default:
        break;
    }
  }
  // Still running at the end of the history (a live guardian): count it up to the end.
  for (const open of opened.values()) out.push({ from: open.from, to: endMs, category: open.category });
  return out;
}

/** Splits [fromMs, toMs] of a guardian's history by what it was waiting for (see TimeSplit). */
export function splitTime(events: readonly TimedEvent[], fromMs: number, toMs: number): TimeSplit {
  const split: TimeSplit = { policyWaits: 0, steps: 0, healthReads: 0, bookkeeping: 0, orchestration: 0 };
  if (toMs <= fromMs) return split;
  const clipped = spans(events, toMs)
    .map((s) => ({ ...s, from: Math.max(s.from, fromMs), to: Math.min(s.to, toMs) }))
    .filter((s) => s.to > s.from);
  const cuts = [...new Set([fromMs, toMs, ...clipped.flatMap((s) => [s.from, s.to])])].sort((a, b) => a - b);
  for (let i = 0; i + 1 < cuts.length; i++) {
    const a = cuts[i]!;
    const b = cuts[i + 1]!;
    const covering = new Set(clipped.filter((s) => s.from <= a && s.to >= b).map((s) => s.category));
    const category = PRIORITY.find((c) => covering.has(c)) ?? 'orchestration';
    split[category] += b - a;
  }
  return split;
}

/** ripcord's own part of a split: its bookkeeping activities and the orchestration between everything. */
export function ownOverhead(split: TimeSplit): number {
  return split.bookkeeping + split.orchestration;
}

export interface RollbackTiming {
  /** The health read whose verdict decided (its ActivityTaskCompleted) → the first step started. */
  decisionToFirstStepMs: number;
  /** The same, policy waits (an approval gate's timer) and health reads left out. */
  decisionToFirstStepOwnMs: number;
  /** The first step's ActivityTaskScheduled → ActivityTaskStarted: waiting for Temporal to hand it to a worker. */
  firstStepDispatchMs: number;
  /** Workflow tasks completed between the decision and the first step: each is a round trip through the server. */
  decisionToFirstStepWorkflowTasks: number;
  /** Activities run in that stretch (audit records, the plan, ...). */
  decisionToFirstStepActivities: number;
  /** Child workflows started in that stretch. */
  decisionToFirstStepChildren: number;
  /** Between one step's end and the next step's start, policy waits and health reads left out. */
  stepToStepMs: number[];
  /** The same gaps as they are, waits included. */
  stepToStepRawMs: number[];
}

/** How fast a guardian went from its decision to its first step, and from step to step; undefined without a rollback. */
export function rollbackTiming(events: readonly TimedEvent[]): RollbackTiming | undefined {
  const scheduled = new Map(
    events.filter((e) => e.type === 'ActivityTaskScheduled').map((e) => [e.id, e.activityType ?? '']),
  );
  const plan = events.find(
    (e) => e.type === 'ActivityTaskScheduled' && e.activityType === 'buildRollbackPlan',
  );
  if (plan === undefined) return undefined;
  const decided = events
    .filter(
      (e) =>
        e.type === 'ActivityTaskCompleted' &&
        e.id < plan.id &&
        scheduled.get(e.refId ?? -1) === HEALTH_ACTIVITY,
    )
    .at(-1);
  const steps = events
    .filter((e) => e.type === 'ActivityTaskScheduled' && e.activityType === 'executeStep')
    .map((s) => ({
      scheduled: s,
      started: events.find((e) => e.type === 'ActivityTaskStarted' && e.refId === s.id),
      completed: events.find((e) => e.type === 'ActivityTaskCompleted' && e.refId === s.id),
    }));
  const first = steps[0]?.started;
  if (decided === undefined || first === undefined) return undefined;
  const firstScheduled = steps[0]!.scheduled;
  const between = (type: TimedEvent['type']) =>
    events.filter((e) => e.type === type && e.id > decided.id && e.id < firstScheduled.id).length;
  const stepToStepMs: number[] = [];
  const stepToStepRawMs: number[] = [];
  for (let i = 0; i + 1 < steps.length; i++) {
    const end = steps[i]!.completed;
    const next = steps[i + 1]!.started;
    if (end === undefined || next === undefined) break;
    stepToStepRawMs.push(next.timeMs - end.timeMs);
    stepToStepMs.push(ownOverhead(splitTime(events, end.timeMs, next.timeMs)));
  }
  return {
    decisionToFirstStepMs: first.timeMs - decided.timeMs,
    decisionToFirstStepOwnMs: ownOverhead(splitTime(events, decided.timeMs, first.timeMs)),
    firstStepDispatchMs: first.timeMs - firstScheduled.timeMs,
    decisionToFirstStepWorkflowTasks: between('WorkflowTaskCompleted'),
    decisionToFirstStepActivities: between('ActivityTaskScheduled'),
    decisionToFirstStepChildren: between('StartChildWorkflowExecutionInitiated'),
    stepToStepMs,
    stepToStepRawMs,
  };
}

/** Milliseconds as a person reads them in the results: "684 ms", "87.3 s", "–" when unknown. */
export function formatMs(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}
