import { cadenceWords, replayTimeNote } from '../../../src/model/replay-cadence';

// Replay compresses only the data, not people (issue 17): progress says the real cadence.

describe('the cadence of a rehearsal, in data time and in wall time', () => {
  test.each([
    [30, undefined, 'every 30 s'],
    [30, 1, 'every 30 s'],
    [30, 30, 'every 30 s of data, replayed every 1 s'],
    [30, 10, 'every 30 s of data, replayed every 3 s'],
    [15, 60, 'every 15 s of data, replayed about every 1 s'],
  ])('interval %p s at speed %p: "%s"', (interval, speed, words) => {
    expect(cadenceWords(interval, speed)).toBe(words);
  });

  test('a rehearsal says once that people keep real time', () => {
    expect(replayTimeNote(30, 30)).toBe(
      'time at 30x for the data only: every 30 s of data, replayed every 1 s; ' +
        'approval timeouts and escalations wait in real time, as the policy says',
    );
  });
});
