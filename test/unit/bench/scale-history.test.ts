import { msNumberToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { timedEvents } from '../../../bench/lib/scale-history';
import { evaluationTimings } from '../../../bench/lib/scale-timing';

const T = temporal.api.enums.v1.EventType;
const json = (value: unknown) => ({
  payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) }],
});
const at = (ms: number) => msNumberToTs(ms);
const seconds = (ms: number) => ({ seconds: ms / 1000, nanos: 0 });

/**
 * A guardian's evaluation since health reads became local activities: the
 * timer fires, one workflow task runs the read (a marker) and starts the next
 * timer. The published scale figures read these histories through timedEvents.
 */
function evaluationWithLocalRead(): temporal.api.history.v1.IHistoryEvent[] {
  // Ids and durations are Longs on the wire; plain numbers read the same for what the code does with them.
  const events: object[] = [
    {
      eventId: 5,
      eventType: T.EVENT_TYPE_TIMER_STARTED,
      eventTime: at(0),
      timerStartedEventAttributes: { startToFireTimeout: msNumberToTs(10_000) },
    },
    {
      eventId: 6,
      eventType: T.EVENT_TYPE_TIMER_FIRED,
      eventTime: at(10_020),
      timerFiredEventAttributes: { startedEventId: 5 },
    },
    { eventId: 7, eventType: T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, eventTime: at(10_300) },
    {
      eventId: 8,
      eventType: T.EVENT_TYPE_MARKER_RECORDED,
      eventTime: at(10_300),
      markerRecordedEventAttributes: {
        markerName: 'core_local_activity',
        details: {
          data: json({
            seq: 3,
            attempt: 1,
            activity_id: '3',
            activity_type: 'readHealthInterval',
            complete_time: seconds(10_250),
            backoff: null,
            original_schedule_time: seconds(10_200),
          }),
          result: json({ index: 1, observation: {} }),
        },
      },
    },
  ];
  return events as temporal.api.history.v1.IHistoryEvent[];
}

test('a local health read is told as the health activity it replaces, at the times its marker records', () => {
  const events = timedEvents(evaluationWithLocalRead());
  const [timing] = evaluationTimings(events);
  expect(timing).toEqual({
    intendedMs: 10_000,
    startedMs: 10_200,
    lagMs: 200,
    timerLateMs: 20,
    workflowTaskMs: 180,
    activityQueueMs: 0,
  });
  // Real history events keep positive ids (the benchmark counts those); the synthetic ones are negative.
  expect(events.filter((e) => e.id > 0).map((e) => e.id)).toEqual([5, 6, 7, 8]);
  expect(events.find((e) => e.id === 8)).toMatchObject({ type: 'ActivityTaskCompleted', timeMs: 10_250 });
});
