import {
  CircuitBreakers,
  CircuitOpenError,
  type CircuitState,
  EndpointUnavailableError,
  endpointOf,
} from '../../../../src/targets/support/circuit-breaker';
import { PermanentStepError, StepVerificationError } from '../../../../src/targets/errors';

const FLAGS = 'https://flags.example.com/api/admin/projects/default/features/x';
const OPTIONS = { failureThresholdPercent: 50, minimumCalls: 4, windowMs: 60_000, resetTimeoutMs: 30_000 };

const down = () => Promise.reject(new EndpointUnavailableError('HTTP 503'));
const up = () => Promise.resolve('ok');

async function failTimes(breakers: CircuitBreakers, url: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await expect(breakers.call(url, down)).rejects.toThrow('HTTP 503');
}

describe('CircuitBreakers', () => {
  let breakers: CircuitBreakers;
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    breakers = new CircuitBreakers(OPTIONS);
  });
  afterEach(() => {
    breakers.shutdown();
    jest.useRealTimers();
  });

  it('stays closed while fewer calls than the minimum have been made, however many failed', async () => {
    await failTimes(breakers, FLAGS, 3);
    expect(breakers.state(FLAGS)).toBe('closed');
    await expect(breakers.call(FLAGS, up)).resolves.toBe('ok');
  });

  it('opens on a failing endpoint and then fails fast without calling it', async () => {
    await failTimes(breakers, FLAGS, 4);
    expect(breakers.state(FLAGS)).toBe('open');

    const call = jest.fn(up);
    const error = await breakers.call(FLAGS, call).catch((e: unknown) => e);
    expect(call).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect((error as CircuitOpenError).endpoint).toBe('https://flags.example.com');
    expect((error as Error).message).toContain('https://flags.example.com');
    expect((error as Error).message).toContain('2030-01-01T00:00:30.000Z');
    // A retryable error: not one of the step errors that stop the retries.
    expect(error).not.toBeInstanceOf(PermanentStepError);
  });

  it('names the endpoint by origin only: no credentials, path or query in the error', async () => {
    const secretUrl = 'https://deployer:hunter2@deploy.example.com:8443/hooks/roll?token=abc123';
    await failTimes(breakers, secretUrl, 4);
    const error = (await breakers.call(secretUrl, up).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('https://deploy.example.com:8443');
    for (const leak of ['hunter2', 'deployer', 'abc123', '/hooks/roll'])
      expect(error.message).not.toContain(leak);
  });

  it('half-opens after the reset timeout and closes again on a successful trial call', async () => {
    const seen: CircuitState[] = [];
    breakers.onStateChange((endpoint, state) => {
      if (endpoint === 'https://flags.example.com') seen.push(state);
    });
    await failTimes(breakers, FLAGS, 4);
    jest.advanceTimersByTime(29_000);
    expect(breakers.state(FLAGS)).toBe('open');
    jest.advanceTimersByTime(1_001);
    expect(breakers.state(FLAGS)).toBe('half-open');

    await expect(breakers.call(FLAGS, up)).resolves.toBe('ok');
    expect(breakers.state(FLAGS)).toBe('closed');
    expect(seen).toEqual(['open', 'half-open', 'closed']);
  });

  it('lets one trial call through when half-open and reopens when it fails', async () => {
    await failTimes(breakers, FLAGS, 4);
    jest.advanceTimersByTime(30_001);
    let release: () => void = () => undefined;
    const trial = breakers.call(
      FLAGS,
      () =>
        new Promise<never>(
          (_, reject) => (release = () => reject(new EndpointUnavailableError('still down'))),
        ),
    );
    // While the trial is out, nobody else gets through.
    await expect(breakers.call(FLAGS, up)).rejects.toBeInstanceOf(CircuitOpenError);
    release();
    await expect(trial).rejects.toThrow('still down');
    expect(breakers.state(FLAGS)).toBe('open');
    const error = (await breakers.call(FLAGS, up).catch((e: unknown) => e)) as CircuitOpenError;
    expect(error.retryAt.toISOString()).toBe('2030-01-01T00:01:00.001Z');
  });

  it('does not count answers from a healthy endpoint (refusals, mismatches) or cancelled calls', async () => {
    for (let i = 0; i < 3; i++) {
      await expect(
        breakers.call(FLAGS, () => Promise.reject(new PermanentStepError('flag not found'))),
      ).rejects.toThrow('flag not found');
      await expect(
        breakers.call(FLAGS, () => Promise.reject(new StepVerificationError('still on'))),
      ).rejects.toThrow('still on');
      const cancelled = new AbortController();
      cancelled.abort();
      await expect(
        breakers.call(FLAGS, () => Promise.reject(new Error('aborted')), cancelled.signal),
      ).rejects.toThrow('aborted');
    }
    expect(breakers.state(FLAGS)).toBe('closed');
    expect(breakers.snapshot()).toEqual([
      { endpoint: 'https://flags.example.com', state: 'closed', calls: 9, failures: 0, rejected: 0 },
    ]);
  });

  it('keeps one circuit per endpoint: other paths on the same origin share it, other origins do not', async () => {
    await failTimes(breakers, FLAGS, 4);
    await expect(breakers.call('https://flags.example.com/health', up)).rejects.toBeInstanceOf(
      CircuitOpenError,
    );
    await expect(breakers.call('https://deploy.example.com/hook', up)).resolves.toBe('ok');
    const states = Object.fromEntries(breakers.snapshot().map((s) => [s.endpoint, s.state]));
    expect(states).toEqual({ 'https://flags.example.com': 'open', 'https://deploy.example.com': 'closed' });
    expect(breakers.snapshot().find((s) => s.state === 'open')?.retryAt).toBe('2030-01-01T00:00:30.000Z');
  });

  it('forgets failures that fall out of the window', async () => {
    await failTimes(breakers, FLAGS, 3);
    jest.advanceTimersByTime(61_000);
    // Two of four in the new window: at the threshold, not over it. With the old three it would be five of seven.
    await expect(breakers.call(FLAGS, up)).resolves.toBe('ok');
    await expect(breakers.call(FLAGS, up)).resolves.toBe('ok');
    await failTimes(breakers, FLAGS, 2);
    expect(breakers.state(FLAGS)).toBe('closed');
  });
});

describe('endpointOf', () => {
  it.each([
    ['https://user:pw@example.com/a/b?c=d', 'https://example.com'],
    ['http://127.0.0.1:4242/api', 'http://127.0.0.1:4242'],
    ['HTTPS://Example.COM:443/', 'https://example.com'],
  ])('%s → %s', (url, origin) => expect(endpointOf(url)).toBe(origin));

  it('refuses something that is not a URL, without echoing it', () => {
    expect(() => endpointOf('not a url with secret123')).toThrow(PermanentStepError);
    expect(() => endpointOf('not a url with secret123')).not.toThrow(/secret123/);
  });
});
