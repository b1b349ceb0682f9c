/**
 * How often a guardian evaluates, in words that tell data time from wall time
 * (issue 17): "every 30 s" live; "every 30 s of data, replayed every 1 s" in a
 * rehearsal at `speed`, whose compression applies to the data only (approval
 * timeouts and escalations wait in real time). Pure: the workflow uses it too.
 */
export function cadenceWords(intervalSeconds: number, speed: number | undefined): string {
  if (speed === undefined || speed === 1) return `every ${seconds(intervalSeconds)}`;
  const wall = intervalSeconds / speed;
  // Timers fire about once a second: a shorter compressed interval still takes about that long.
  const replayed = wall < 1 ? 'about every 1 s' : `every ${seconds(wall)}`;
  return `every ${seconds(intervalSeconds)} of data, replayed ${replayed}`;
}

/** What a rehearsal says once at its start: the data's cadence, and that people keep real time. */
export function replayTimeNote(intervalSeconds: number, speed: number): string {
  return (
    `time at ${speed}x for the data only: ${cadenceWords(intervalSeconds, speed)}; ` +
    'approval timeouts and escalations wait in real time, as the policy says'
  );
}

function seconds(value: number): string {
  return `${Number(value.toPrecision(3))} s`;
}
