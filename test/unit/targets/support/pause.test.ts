import { heartbeatingPause, PAUSE_HEARTBEAT_EVERY_MS } from '../../../../src/targets/support/pause';

/** A step context whose clock moves only when it sleeps; `cancelAfter` aborts it after that many sleeps. */
function context(options: { cancelAfter?: number } = {}) {
  const controller = new AbortController();
  const sleeps: number[] = [];
  const beats: unknown[] = [];
  return {
    sleeps,
    beats,
    ctx: {
      heartbeat: (details?: unknown) => void beats.push(details),
      sleep: (ms: number) => {
        sleeps.push(ms);
        if (sleeps.length === options.cancelAfter) controller.abort(new Error('activity cancelled'));
        return Promise.resolve();
      },
      signal: controller.signal,
    },
  };
}

describe('heartbeatingPause', () => {
  it('sleeps in slices of at most a second and heartbeats after each one', async () => {
    const { ctx, sleeps, beats } = context();
    await heartbeatingPause(3_500, ctx, { step: 2, pausingBefore: 1 });
    expect(sleeps).toEqual([1_000, 1_000, 1_000, 500]);
    expect(Math.max(...sleeps)).toBe(PAUSE_HEARTBEAT_EVERY_MS);
    expect(beats).toEqual(Array.from({ length: 4 }, () => ({ step: 2, pausingBefore: 1 })));
  });

  it('waits nothing and heartbeats nothing when there is nothing to wait', async () => {
    for (const ms of [0, -5]) {
      const { ctx, sleeps, beats } = context();
      await heartbeatingPause(ms, ctx, {});
      expect(sleeps).toEqual([]);
      expect(beats).toEqual([]);
    }
  });

  it('stops at the next slice once the activity is cancelled, even if sleep itself does not reject', async () => {
    const { ctx, sleeps, beats } = context({ cancelAfter: 2 });
    await expect(heartbeatingPause(10_000, ctx, { polling: 'rollback' })).rejects.toThrow(
      'activity cancelled',
    );
    expect(sleeps).toEqual([1_000, 1_000]);
    expect(beats).toHaveLength(2);
  });

  it("passes on the rejection of a sleep that cancellation cut short (Temporal's Context.sleep)", async () => {
    let calls = 0;
    const ctx = {
      heartbeat: jest.fn(),
      sleep: () => (++calls === 2 ? Promise.reject(new Error('cancelled mid-sleep')) : Promise.resolve()),
      signal: new AbortController().signal,
    };
    await expect(heartbeatingPause(5_000, ctx, {})).rejects.toThrow('cancelled mid-sleep');
    expect(calls).toBe(2);
    expect(ctx.heartbeat).toHaveBeenCalledTimes(1);
  });

  it('never starts when the activity is already cancelled', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled before the pause'));
    const sleep = jest.fn(() => Promise.resolve());
    const heartbeat = jest.fn();
    await expect(
      heartbeatingPause(2_000, { sleep, heartbeat, signal: controller.signal }, {}),
    ).rejects.toThrow('cancelled before the pause');
    expect(sleep).not.toHaveBeenCalled();
    expect(heartbeat).not.toHaveBeenCalled();
  });
});
