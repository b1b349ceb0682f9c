import { CircuitOpenError, EndpointUnavailableError } from '../../../../src/targets/support/circuit-breaker';
import { PermanentStepError, StepVerificationError } from '../../../../src/targets/errors';
import { pollUntilDone } from '../../../../src/targets/webhook/status-poll';
import type { StepContext } from '../../../../src/targets/types';
import { deployment, PLAN_HASH } from '../unleash/steps';

type Answer = { status: number; text: string } | Error;

/** A clock that moves only when the poller sleeps, and a status endpoint that plays a script. */
function harness(script: Answer[]) {
  let clock = 0;
  const sleeps: number[] = [];
  const beats: unknown[] = [];
  const ctx: StepContext = {
    deployment: deployment(),
    planHash: PLAN_HASH,
    heartbeat: (details) => beats.push(details),
    sleep: (ms) => {
      sleeps.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    signal: new AbortController().signal,
  };
  let polls = 0;
  const fetchStatus = () => {
    const answer = script[Math.min(polls, script.length - 1)];
    polls++;
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve(answer as { status: number; text: string });
  };
  const poll = (timeoutMs = 60_000) =>
    pollUntilDone({
      fetchStatus,
      what: 'the receiver at https://deploy.example.com',
      job: 'rollback',
      deadlineMs: timeoutMs,
      now: () => clock,
      ctx,
    });
  return { poll, sleeps, beats, polls: () => polls, clock: () => clock };
}

const json = (status: number, body: unknown) => ({ status, text: JSON.stringify(body) });

describe('pollUntilDone', () => {
  it('polls with growing pauses until the receiver reports success', async () => {
    const h = harness([
      json(200, { state: 'pending' }),
      json(200, { state: 'running' }),
      json(200, { state: 'pending' }),
      json(200, { state: 'succeeded', message: 'synced' }),
    ]);
    await expect(h.poll()).resolves.toEqual({ state: 'succeeded', message: 'synced' });
    expect(h.polls()).toBe(4);
    // 1 s, 1.5 s, 2.25 s, taken in slices of at most a second with a heartbeat after each.
    expect(h.clock()).toBe(1_000 + 1_500 + 2_250);
    expect(Math.max(...h.sleeps)).toBeLessThanOrEqual(1_000);
    expect(h.beats.length).toBeGreaterThanOrEqual(h.sleeps.length);
  });

  it('gives up at the deadline with a retryable verification error that says what it last saw', async () => {
    const h = harness([json(200, { state: 'pending', message: 'waiting for sync' })]);
    const error = (await h.poll(30_000).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(StepVerificationError);
    expect(error.message).toContain('did not report the rollback as succeeded in time');
    expect(error.message).toContain('state "pending": waiting for sync');
    expect(h.clock()).toBe(30_000);
  });

  it('looks again after a blip of the status endpoint', async () => {
    const h = harness([new EndpointUnavailableError('HTTP 502'), json(200, { state: 'succeeded' })]);
    await expect(h.poll()).resolves.toMatchObject({ state: 'succeeded' });
  });

  it('stops at once when the circuit of the receiver is open', async () => {
    const h = harness([new CircuitOpenError('https://deploy.example.com', new Date(60_000), 0)]);
    await expect(h.poll()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(h.polls()).toBe(1);
  });

  it.each([
    [json(404, { error: 'no such job' }), StepVerificationError, /no longer knows the rollback/],
    [json(403, { error: 'forbidden' }), PermanentStepError, /refused the status request: HTTP 403/],
    [
      json(200, { state: 'failed', message: 'image not found' }),
      StepVerificationError,
      /reports the rollback failed: image not found/,
    ],
  ])('turns %j into the right error', async (answer, type, message) => {
    const error = await harness([answer])
      .poll()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toMatch(message);
  });

  it('treats an answer without a known state as not finished', async () => {
    const h = harness([
      { status: 200, text: 'OK' },
      json(200, { state: 'queued' }),
      json(200, { state: 'succeeded' }),
    ]);
    await expect(h.poll()).resolves.toMatchObject({ state: 'succeeded' });
    expect(h.polls()).toBe(3);
  });

  it('takes an answer of another shape as not finished, and names its field when time runs out', async () => {
    const h = harness([json(200, { state: 'succeeded', message: { text: 'synced' } })]);
    const error = (await h.poll(5_000).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(StepVerificationError);
    expect(error.message).toBe(
      'the receiver at https://deploy.example.com did not report the rollback as succeeded in time ' +
        '(last: the webhook target could not read the status answer of the receiver at https://deploy.example.com: ' +
        'field "message": expected string, received object)',
    );
  });

  it('says when an answer has no state', async () => {
    const h = harness([json(200, { message: 'working on it' })]);
    await expect(h.poll(1_000)).rejects.toThrow(/field "state" is missing \(expected string\)\)$/);
  });
});
