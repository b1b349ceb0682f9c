import type { Client } from '@temporalio/client';
import type { GuardianHandle } from '../../../src/client/guardians';
import { followGuardian, stillLine } from '../../../src/client/progress';
import type { GuardianResult, GuardianStatus } from '../../../src/model/guardian';
import { status } from './helpers';

/**
 * The follow loop against a scripted guardian: each poll returns the next
 * status; the run ends when the script does. The clock moves one minute per
 * poll, so "quiet for a while" is deterministic.
 */
function scripted(statuses: GuardianStatus[], result: GuardianResult) {
  let polls = 0;
  let finish: (r: GuardianResult) => void = () => undefined;
  const done = new Promise<GuardianResult>((r) => (finish = r));
  const handle = {
    query: async () => {
      const current = statuses[Math.min(polls, statuses.length - 1)]!;
      polls += 1;
      if (polls >= statuses.length) finish(result);
      return current;
    },
    result: () => done,
  } as unknown as GuardianHandle;
  const client = {
    connection: { withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn() },
  } as unknown as Client;
  let minute = 0;
  const now = () => new Date(Date.UTC(2026, 0, 1, 12, minute++));
  return { handle, client, now };
}

const healthy = (evaluations: number) =>
  status({
    phase: 'watch',
    evaluations,
    waiting: { for: 'the next evaluation (every 30 s)' },
    lastVerdict: { index: evaluations - 1, verdict: 'healthy', reason: 'every signal healthy' },
  });

describe('following a guardian', () => {
  it('prints each change once, a reminder when quiet, and the outcome', async () => {
    const { handle, client, now } = scripted(
      [healthy(1), healthy(2), healthy(3), healthy(4), healthy(5), healthy(6)],
      { outcome: 'promoted', reason: 'the watch ended without a regression', evaluations: 6 },
    );
    const lines: string[] = [];
    const end = await followGuardian(client, handle, {
      pollMs: 1,
      say: (l) => lines.push(l.replace(/^\[\d\d:\d\d:\d\d\] /, '')),
      now,
      quietMs: 3 * 60_000,
    });
    expect(end).toEqual({
      kind: 'outcome',
      outcome: 'promoted',
      reason: 'the watch ended without a regression',
    });
    expect(lines[0]).toBe('verdict healthy at interval 0 (1 evaluation(s)): every signal healthy');
    expect(lines[1]).toBe('phase watch: waiting for the next evaluation (every 30 s)');
    expect(lines.filter((l) => l.startsWith('still watch'))).not.toHaveLength(0);
    expect(lines.filter((l) => l.startsWith('verdict'))).toHaveLength(1);
    expect(lines.at(-1)).toBe('outcome: promoted: the watch ended without a regression');
  });

  it('stops quietly when told to, without waiting for the end', async () => {
    const { handle, client, now } = scripted([healthy(1), healthy(2)], {
      outcome: 'promoted',
      reason: '',
      evaluations: 2,
    });
    (handle as unknown as { result: () => Promise<never> }).result = () =>
      new Promise<never>(() => undefined);
    const controller = new AbortController();
    const lines: string[] = [];
    const following = followGuardian(client, handle, {
      pollMs: 60_000,
      say: (l) => lines.push(l),
      now,
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await expect(following).resolves.toBeUndefined();
    expect(lines.some((l) => l.includes('outcome'))).toBe(false);
  });

  it('reminds with the phase, evaluations and last verdict', () => {
    expect(stillLine(healthy(42))).toBe('still watch: 42 evaluation(s), last verdict healthy');
    expect(stillLine(status({ phase: 'gate', paused: true }))).toBe('still gate (paused): 0 evaluation(s)');
  });
});
