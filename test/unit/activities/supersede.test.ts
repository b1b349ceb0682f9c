import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { runningGuardiansQuery, supersedeOlderGuardians } from '../../../src/activities/supersede';

interface Execution {
  workflowId: string;
  runId: string;
  startTime: Date;
}

/** Just enough of a Temporal client: list by query, describe self, signal others. */
function fakeClient(self: Execution, others: Execution[], gone: string[] = []) {
  const signals: Array<{ workflowId: string; runId?: string; name: string; arg: unknown }> = [];
  const queries: string[] = [];
  const client = {
    workflow: {
      list: ({ query }: { query: string }) => {
        queries.push(query);
        return (async function* () {
          yield* [self, ...others];
        })();
      },
      getHandle: (workflowId: string, runId?: string) => ({
        describe: async () => (workflowId === self.workflowId ? self : undefined),
        signal: async (definition: { name: string }, arg: unknown) => {
          if (gone.includes(workflowId)) throw new WorkflowNotFoundError('gone', workflowId, runId);
          signals.push({ workflowId, runId, name: definition.name, arg });
        },
      }),
    },
  } as unknown as Client;
  return { client, signals, queries };
}

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute));
const me: Execution = { workflowId: 'ripcord/production/checkout/d-3', runId: 'r3', startTime: at(30) };
const input = { workflowId: me.workflowId, service: 'checkout', environment: 'production' };

describe('supersedeOlderGuardians', () => {
  test('without a client there is nothing to do', async () => {
    await expect(supersedeOlderGuardians(undefined)(input)).resolves.toEqual({ superseded: [] });
  });

  test('signals the older running guardians of the same service and environment, not itself or newer ones', async () => {
    const older = [
      { workflowId: 'ripcord/production/checkout/d-1', runId: 'r1', startTime: at(0) },
      { workflowId: 'ripcord/production/checkout/d-2', runId: 'r2', startTime: at(10) },
    ];
    const newer = { workflowId: 'ripcord/production/checkout/d-4', runId: 'r4', startTime: at(31) };
    const { client, signals, queries } = fakeClient(me, [...older, newer]);
    const result = await supersedeOlderGuardians(client)(input);
    expect(result).toEqual({ superseded: older.map((o) => o.workflowId) });
    expect(signals).toEqual(
      older.map((o) => ({
        workflowId: o.workflowId,
        runId: o.runId,
        name: 'supersede',
        arg: { by: me.workflowId },
      })),
    );
    expect(queries).toEqual([
      'WorkflowType = "guardian" AND RipcordService = "checkout" AND RipcordEnvironment = "production" AND ExecutionStatus = "Running"',
    ]);
  });

  test('a guardian that finished in the meantime is skipped; a retry signals again harmlessly', async () => {
    const older = [
      { workflowId: 'ripcord/production/checkout/d-1', runId: 'r1', startTime: at(0) },
      { workflowId: 'ripcord/production/checkout/d-2', runId: 'r2', startTime: at(10) },
    ];
    const { client, signals } = fakeClient(me, older, ['ripcord/production/checkout/d-1']);
    const run = supersedeOlderGuardians(client);
    expect(await run(input)).toEqual({ superseded: ['ripcord/production/checkout/d-2'] });
    expect(await run(input)).toEqual({ superseded: ['ripcord/production/checkout/d-2'] });
    expect(signals).toHaveLength(2);
  });

  test('quotes values so that a stray quote cannot change the query', () => {
    expect(runningGuardiansQuery({ service: 'a" OR "1"="1', environment: 'e' })).toContain(
      'RipcordService = "a\\" OR \\"1\\"=\\"1"',
    );
  });
});
