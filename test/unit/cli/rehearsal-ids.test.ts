import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { findGuardian, startGuardian } from '../../../src/client/guardians';
import { guardianRef } from '../../../src/cli/guardian-lookup';
import type { GuardianInput } from '../../../src/model/guardian';

/**
 * Issue 17: a rehearsal with the same deployment id as a live guardian must
 * not collide with it (WorkflowExecutionAlreadyStarted, or joining the live
 * run), and lookups must still find both, the live one first.
 */

function fakeClient(rows: Array<{ workflowId: string; status: string; startTime: Date }> = []) {
  const started: Array<{ workflowId: string; memo?: unknown; staticSummary?: string }> = [];
  const client = {
    workflow: {
      start: async (
        _type: string,
        options: { workflowId: string; memo?: unknown; staticSummary?: string },
      ) => {
        started.push(options);
        return { workflowId: options.workflowId };
      },
      list: () =>
        (async function* () {
          for (const row of rows) yield { ...row, status: { name: row.status }, searchAttributes: {} };
        })(),
      getHandle: (workflowId: string) => ({
        workflowId,
        describe: async () => {
          if (!rows.some((r) => r.workflowId === workflowId))
            throw new WorkflowNotFoundError('not found', workflowId, undefined);
          return {};
        },
      }),
    },
  } as unknown as Client;
  return { client, started };
}

const input = (replay?: GuardianInput['replay']) =>
  ({
    deployment: {
      deploymentId: 'build-481',
      service: 'checkout',
      environment: 'production',
      version: '2.0.0',
      previousVersion: '1.9.0',
      deployedAt: '2026-01-01T00:00:00Z',
    },
    policy: {
      metadata: { service: 'checkout', environment: 'production', version: '3' },
      mode: 'enforce',
      deployment: { pattern: 'canary' },
    },
    policyHash: 'sha256:x',
    ...(replay ? { replay } : {}),
  }) as unknown as GuardianInput;

test('a replayed guard starts under its own id, never the live guardian id, and carries no memo (encrypted payloads every list would decode)', async () => {
  const { client, started } = fakeClient();
  await startGuardian(client, 'q', input());
  await startGuardian(client, 'q', input({ scenarioFile: '/tmp/s.json' }));
  expect(started.map((s) => s.workflowId)).toEqual([
    'ripcord/production/checkout/build-481',
    'ripcord-rehearsal/production/checkout/build-481',
  ]);
  expect(started[0]!.memo).toBeUndefined();
  expect(started[1]!.memo).toBeUndefined();
  expect(started[1]!.staticSummary).toMatch(/^Rehearsal: /);
});

test('a full rehearsal id is taken as is; a deployment id finds the live guardian before its rehearsal', async () => {
  expect(
    guardianRef('ripcord-rehearsal/production/checkout/build-481', { env: 'staging', service: 'x' }),
  ).toBe('ripcord-rehearsal/production/checkout/build-481');
  const { client } = fakeClient([
    {
      workflowId: 'ripcord-rehearsal/production/checkout/build-481',
      status: 'RUNNING',
      startTime: new Date(2),
    },
    { workflowId: 'ripcord/production/checkout/build-481', status: 'RUNNING', startTime: new Date(1) },
  ]);
  expect((await findGuardian(client, 'build-481')).workflowId).toBe('ripcord/production/checkout/build-481');
  expect((await findGuardian(client, 'ripcord-rehearsal/production/checkout/build-481')).workflowId).toBe(
    'ripcord-rehearsal/production/checkout/build-481',
  );
});

test("a live id with no live guardian finds its rehearsal (a --replay pipeline's report step)", async () => {
  const { client } = fakeClient([
    { workflowId: 'ripcord-rehearsal/production/checkout/gh-1', status: 'COMPLETED', startTime: new Date(1) },
  ]);
  expect((await findGuardian(client, 'ripcord/production/checkout/gh-1')).workflowId).toBe(
    'ripcord-rehearsal/production/checkout/gh-1',
  );
  await expect(findGuardian(client, 'ripcord/production/checkout/gh-2')).rejects.toThrow(
    'no guardian ripcord/production/checkout/gh-2',
  );
});
