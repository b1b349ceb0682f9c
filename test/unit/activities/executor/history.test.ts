import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { msNumberToTs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { EXECUTOR_SELECTION, temporalExecutorHistory } from '../../../../src/activities/executor';
import { decodeWorkflowRun } from '../../../../src/client/workflow-history';
import { decodeRun } from '../../../../src/report/history';

/**
 * The history the executor reads: decoded by the client layer's decoder (the
 * report's, moved down), with what the executor asks for and nothing else,
 * read once per run within one step call.
 */

const converter = loadDataConverter();
const payloads = (...values: unknown[]): { payloads: Payload[] } => ({
  payloads: values.map((v) => defaultPayloadConverter.toPayload(v)),
});
const time = (iso: string) => msNumberToTs(Date.parse(iso));
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const TOKEN = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJib2IifQ.c2ln';

const events = [
  {
    eventId: 1,
    eventTime: time(at(0)),
    workflowExecutionStartedEventAttributes: {
      input: payloads({ deployment: { deploymentId: 'd-1' } }),
      continuedExecutionRunId: 'run-0',
      parentWorkflowExecution: { workflowId: 'ripcord-release/production/shop/r-1', runId: 'release-run' },
    },
  },
  {
    eventId: 5,
    eventTime: time(at(1)),
    activityTaskScheduledEventAttributes: {
      activityType: { name: 'buildRollbackPlan' },
      input: payloads({ x: 1 }),
    },
  },
  {
    eventId: 7,
    eventTime: time(at(2)),
    activityTaskCompletedEventAttributes: { scheduledEventId: 5, result: payloads({ planHash: 'sha256:p' }) },
  },
  {
    eventId: 8,
    eventTime: time(at(3)),
    activityTaskScheduledEventAttributes: {
      activityType: { name: 'authorizeAction' },
      input: payloads({ action: 'approve', request: { token: TOKEN } }),
    },
  },
  {
    eventId: 9,
    eventTime: time(at(4)),
    activityTaskCompletedEventAttributes: { scheduledEventId: 8, result: payloads({ authorized: true }) },
  },
  {
    eventId: 10,
    eventTime: time(at(5)),
    activityTaskScheduledEventAttributes: {
      activityType: { name: 'executeStep' },
      input: payloads({ step: 1 }),
    },
  },
] as unknown as temporal.api.history.v1.IHistoryEvent[];

test("the executor's selection decodes plans and approve requests, their scheduling time and the run's parent; nothing else", async () => {
  const decoded = await decodeWorkflowRun(converter, 'run-1', events, EXECUTOR_SELECTION);
  expect(decoded.previousRunId).toBe('run-0');
  expect(decoded.parent).toEqual({ workflowId: 'ripcord-release/production/shop/r-1', runId: 'release-run' });
  expect(decoded.run.calls).toEqual([
    {
      type: 'buildRollbackPlan',
      scheduledAt: at(1),
      closedAt: at(2),
      state: 'completed',
      result: { planHash: 'sha256:p' },
    },
    {
      type: 'authorizeAction',
      scheduledAt: at(3),
      closedAt: at(4),
      state: 'completed',
      input: { action: 'approve', request: { token: TOKEN } },
    },
    { type: 'executeStep', scheduledAt: at(5), state: 'open' },
  ]);
});

test('the report, through the same decoder, still never decodes the approve requests', async () => {
  const { run } = await decodeRun(converter, 'run-1', events);
  expect(JSON.stringify(run)).not.toContain(TOKEN);
  expect(run.calls.find((c) => c.type === 'executeStep')?.input).toEqual({ step: 1 });
});

test('one history source reads each run once; a new one (the next step call) reads again', async () => {
  const fetched: string[] = [];
  const described: string[] = [];
  const client = {
    options: { loadedDataConverter: converter },
    workflow: {
      getHandle: (workflowId: string, runId?: string) => ({
        fetchHistory: () => {
          fetched.push(`${workflowId}@${runId}`);
          return Promise.resolve({ events });
        },
        describe: () => {
          described.push(`${workflowId}@${runId ?? 'latest'}`);
          return Promise.resolve({ type: 'guardian', memo: { claimedBy: 'g#r1' } });
        },
      }),
    },
  } as unknown as Client;
  const first = temporalExecutorHistory(client);
  await first.run('g', 'run-1');
  await first.run('g', 'run-1');
  expect(await first.workflowType('g', 'run-1')).toBe('guardian');
  expect(await first.workflowType('g', 'run-1')).toBe('guardian');
  expect(fetched).toEqual(['g@run-1']);
  await temporalExecutorHistory(client).run('g', 'run-1');
  expect(fetched).toEqual(['g@run-1', 'g@run-1']);
  expect(await first.tokenClaimedBy('jti-1')).toBe('g#r1');
  expect(described).toEqual(['g@run-1', 'ripcord-token/jti-1@latest']);
});
