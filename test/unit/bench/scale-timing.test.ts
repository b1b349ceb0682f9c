import {
  cadenceLagMs,
  evaluationTimings,
  rollbackTiming,
  splitTime,
  summarize,
  type TimedEvent,
} from '../../../bench/lib/scale-timing';

/** A history built event by event; ids count up as Temporal's do. */
function history() {
  const events: TimedEvent[] = [];
  const add = (e: Omit<TimedEvent, 'id'>): number => {
    const id = events.length + 1;
    events.push({ id, ...e });
    return id;
  };
  return {
    events,
    timer(startMs: number, timerMs: number, firedMs: number): void {
      const id = add({ type: 'TimerStarted', timeMs: startMs, timerMs });
      add({ type: 'TimerFired', timeMs: firedMs, refId: id });
    },
    activity(name: string, scheduledMs: number, startedMs: number, completedMs: number): void {
      const id = add({ type: 'ActivityTaskScheduled', timeMs: scheduledMs, activityType: name });
      add({ type: 'ActivityTaskStarted', timeMs: startedMs, refId: id });
      add({ type: 'ActivityTaskCompleted', timeMs: completedMs, refId: id });
    },
    /** The workflow task that reacts to what came before. */
    task(completedMs: number): void {
      add({ type: 'WorkflowTaskCompleted', timeMs: completedMs });
    },
  };
}

describe('summarize', () => {
  test('percentiles interpolate between ranks; nothing to summarize is undefined', () => {
    expect(summarize([])).toBeUndefined();
    const s = summarize([40, 10, 30, 20, 50])!;
    expect(s).toMatchObject({ count: 5, mean: 30, p50: 30, max: 50 });
    expect(s.p90).toBeCloseTo(46);
    expect(s.p99).toBeCloseTo(49.6);
  });
});

test('cadence lag counts from the end of the previous read plus one interval', () => {
  expect(cadenceLagMs(1_000, 10_000, 11_250)).toBe(250);
  expect(cadenceLagMs(1_000, 10_000, 11_000)).toBe(0);
});

describe('evaluationTimings', () => {
  test('each read after a timer: lag from the timer end, split into timer, workflow task and queue', () => {
    const h = history();
    h.timer(0, 10_000, 10_100);
    h.activity('evaluateHealth', 10_130, 10_180, 10_200);
    h.timer(10_220, 10_000, 20_220);
    h.activity('evaluateHealth', 20_900, 21_500, 21_600);
    const timings = evaluationTimings(h.events);
    expect(timings).toEqual([
      {
        intendedMs: 10_000,
        startedMs: 10_180,
        lagMs: 180,
        timerLateMs: 100,
        workflowTaskMs: 30,
        activityQueueMs: 50,
      },
      {
        intendedMs: 20_220,
        startedMs: 21_500,
        lagMs: 1_280,
        timerLateMs: 0,
        workflowTaskMs: 680,
        activityQueueMs: 600,
      },
    ]);
  });

  test('reads that no timer preceded, and other activities after a timer, are not evaluations', () => {
    const h = history();
    h.activity('evaluateHealth', 0, 10, 20); // a post-step check right after a step: not due at any timer
    h.timer(30, 1_000, 1_030);
    h.activity('recordAudit', 1_040, 1_050, 1_060);
    h.activity('evaluateHealth', 1_070, 1_080, 1_090);
    h.activity('evaluateHealth', 1_100, 1_110, 1_120);
    expect(evaluationTimings(h.events).map((t) => t.lagMs)).toEqual([50]);
  });
});

describe('splitTime', () => {
  test('time goes to the first of waits, steps, health reads, bookkeeping that runs; the rest is orchestration', () => {
    const h = history();
    h.timer(0, 1_000, 1_000); //                        0-1000 wait
    h.activity('evaluateHealth', 1_010, 1_020, 1_120); // 1020-1120 health
    h.activity('notify', 1_130, 1_140, 3_000); //        overlaps the step and the timer below
    h.activity('executeStep', 1_150, 1_200, 2_200); //   1200-2200 step (beats notify)
    h.timer(2_250, 500, 2_750); //                       2250-2750 wait (beats notify)
    const split = splitTime(h.events, 0, 3_100);
    expect(split).toEqual({
      policyWaits: 1_500,
      steps: 1_000,
      healthReads: 100,
      // notify alone: 1140-1200, 2200-2250, 2750-3000
      bookkeeping: 60 + 50 + 250,
      // 1000-1020, 1120-1140, 3000-3100
      orchestration: 20 + 20 + 100,
    });
    const total = Object.values(split).reduce((a, b) => a + b, 0);
    expect(total).toBe(3_100);
  });

  test('clips to the stretch asked for, and counts what still runs up to its end', () => {
    const h = history();
    h.events.push({ id: 1, type: 'TimerStarted', timeMs: 0, timerMs: 10_000 });
    expect(splitTime(h.events, 2_000, 5_000)).toMatchObject({ policyWaits: 3_000, orchestration: 0 });
    expect(splitTime(h.events, 5_000, 5_000).policyWaits).toBe(0);
  });
});

describe('rollbackTiming', () => {
  test('decision to first step from the deciding read; step gaps without the settle timer between them', () => {
    const h = history();
    h.timer(0, 1_000, 1_000);
    h.activity('evaluateHealth', 1_010, 1_020, 1_100); // the deciding read
    h.task(1_130);
    h.activity('recordAudit', 1_130, 1_140, 1_150);
    h.task(1_170);
    h.activity('buildRollbackPlan', 1_170, 1_180, 1_190);
    h.task(1_210);
    h.activity('recordAudit', 1_210, 1_220, 1_230);
    h.task(1_250);
    h.activity('executeStep', 1_250, 1_260, 2_000);
    h.activity('recordAudit', 2_020, 2_030, 2_040);
    h.timer(2_060, 3_000, 5_060); // settleSeconds
    h.activity('executeStep', 5_080, 5_090, 6_000);
    h.activity('executeStep', 6_030, 6_050, 6_500);
    expect(rollbackTiming(h.events)).toEqual({
      decisionToFirstStepMs: 160,
      // 1100-1140 orchestration, 1140-1150 audit, ... every gap is ripcord's own
      decisionToFirstStepOwnMs: 160,
      firstStepDispatchMs: 10,
      decisionToFirstStepWorkflowTasks: 4,
      decisionToFirstStepActivities: 3,
      decisionToFirstStepChildren: 0,
      stepToStepMs: [90, 50],
      stepToStepRawMs: [3_090, 50],
    });
  });

  test('a guardian that never planned a rollback has no rollback timing', () => {
    const h = history();
    h.timer(0, 1_000, 1_000);
    h.activity('evaluateHealth', 1_010, 1_020, 1_100);
    expect(rollbackTiming(h.events)).toBeUndefined();
  });
});
