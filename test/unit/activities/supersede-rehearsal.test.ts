import type { Client } from '@temporalio/client';
import { supersedeOlderGuardians, verifySupersede } from '../../../src/activities/supersede';

/**
 * Issue 17, "a --replay rehearsal silently aborted the real guardian": a
 * rehearsal (replayed health) and the live guardians of the same service and
 * environment live apart. A live guardian never tells a rehearsal to stand
 * down, and never believes a supersede that a rehearsal sent (or that
 * reaches a rehearsal), whether the rehearsal is known by its id or
 * only by its own status.
 */

interface Execution {
  workflowId: string;
  runId: string;
  startTime: Date;
  memo?: Record<string, unknown>;
  /** What its status query answers; absent: it does not answer. */
  status?: { rehearsal?: true };
}

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute));
const live = (id: string, minute: number): Execution => ({
  workflowId: `ripcord/production/checkout/${id}`,
  runId: `r-${id}`,
  startTime: at(minute),
  status: {},
});

function fakeClient(executions: Execution[]) {
  const signals: string[] = [];
  const byId = (workflowId: string) => executions.find((e) => e.workflowId === workflowId);
  const client = {
    connection: { withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() },
    workflow: {
      list: () =>
        (async function* () {
          yield* executions;
        })(),
      getHandle: (workflowId: string) => ({
        describe: async () => {
          const e = byId(workflowId)!;
          return {
            ...e,
            type: 'guardian',
            status: { name: 'RUNNING' },
            taskQueue: 'q',
            typedSearchAttributes: {
              get: (key: { name: string }) =>
                key.name === 'RipcordService'
                  ? 'checkout'
                  : key.name === 'RipcordEnvironment'
                    ? 'production'
                    : '',
            },
          };
        },
        query: async () => {
          const status = byId(workflowId)?.status;
          if (status === undefined) throw new Error('no worker answered');
          return status;
        },
        signal: async () => {
          signals.push(workflowId);
        },
      }),
    },
  } as unknown as Client;
  return { client, signals };
}

const scope = { service: 'checkout', environment: 'production' };

describe('supersedeOlderGuardians: a live guardian never stands a rehearsal down', () => {
  test('rehearsals known by id or their own status are skipped; live ones are told', async () => {
    const me = live('build-482', 30);
    const olderLive = live('build-481', 0);
    const byId: Execution = {
      workflowId: 'ripcord-rehearsal/production/checkout/build-481',
      runId: 'r1',
      startTime: at(5),
      status: { rehearsal: true },
    };
    const byStatus: Execution = { ...live('rehearsal-raw', 7), status: { rehearsal: true } };
    const { client, signals } = fakeClient([me, olderLive, byId, byStatus]);
    const result = await supersedeOlderGuardians(client)({ workflowId: me.workflowId, ...scope });
    expect(result).toEqual({ superseded: [olderLive.workflowId] });
    expect(signals).toEqual([olderLive.workflowId]);
  });

  test('a rehearsal supersedes nobody, even if its activity runs', async () => {
    const me: Execution = {
      workflowId: 'ripcord-rehearsal/production/checkout/build-481',
      runId: 'r',
      startTime: at(30),
    };
    const { client, signals } = fakeClient([me, live('build-481', 0)]);
    expect(await supersedeOlderGuardians(client)({ workflowId: me.workflowId, ...scope })).toEqual({
      superseded: [],
    });
    expect(signals).toEqual([]);
  });
});

describe('verifySupersede: a supersede from or to a rehearsal is refused', () => {
  const me = live('build-481', 0);
  const check = (executions: Execution[], by: string, workflowId = me.workflowId) =>
    verifySupersede(fakeClient(executions).client)({ workflowId, by, ...scope });

  test('a newer live guardian is believed', async () => {
    const newer = live('build-482', 10);
    await expect(check([me, newer], newer.workflowId)).resolves.toMatchObject({ genuine: true });
  });

  test.each([
    ['its rehearsal id', { workflowId: 'ripcord-rehearsal/production/checkout/build-481', status: {} }],
    ['its own status (started with the raw client under a live id)', { status: { rehearsal: true } }],
  ])('a rehearsal sender known by %s is refused', async (_how, override) => {
    const sender: Execution = { ...live('replayed', 10), ...override } as Execution;
    const result = await check([me, sender], sender.workflowId);
    expect(result).toEqual({
      genuine: false,
      reason: `${sender.workflowId} is a rehearsal (replayed health): it never supersedes a guardian`,
    });
  });

  test('a sender that does not say whether it is a rehearsal is refused', async () => {
    const { status: _silent, ...sender } = live('build-482', 10);
    const result = await check([me, sender], sender.workflowId);
    expect(result.genuine).toBe(false);
    expect(result.reason).toContain('did not say whether it is a rehearsal');
  });

  test('a rehearsal is never superseded by a live guardian', async () => {
    const rehearsal: Execution = {
      workflowId: 'ripcord-rehearsal/production/checkout/build-481',
      runId: 'r',
      startTime: at(0),
    };
    const newer = live('build-482', 10);
    const result = await check([rehearsal, newer], newer.workflowId, rehearsal.workflowId);
    expect(result).toEqual({
      genuine: false,
      reason: 'this guardian is a rehearsal: no other guardian supersedes it',
    });
  });
});
