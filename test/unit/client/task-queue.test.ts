import type { Client } from '@temporalio/client';
import {
  noWorkerHint,
  unservedTaskQueues,
  watchForWorker,
  workerPolls,
} from '../../../src/client/task-queue';

/**
 * Issue 17, "guard --wait hangs silently when no worker serves the task
 * queue": who polls a task queue, asked of Temporal, and the hint that
 * guard --wait, status and list give when nobody does.
 */
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const secondsAgo = (s: number) => ({ seconds: Math.floor((NOW - s * 1000) / 1000) });

function fakeClient(pollers: (queue: string) => Array<{ lastAccessTime?: { seconds: number } }> | Error) {
  const asked: unknown[] = [];
  const client = {
    options: { namespace: 'ns1' },
    workflowService: {
      describeTaskQueue: async (request: { taskQueue: { name: string } }) => {
        asked.push(request);
        const answer = pollers(request.taskQueue.name);
        if (answer instanceof Error) throw answer;
        return { pollers: answer };
      },
    },
  } as unknown as Client;
  return { client, asked };
}

test('the hint names the task queue, the namespace and the command', () => {
  expect(noWorkerHint('ns1', 'ripcord')).toBe(
    'no worker is polling task queue ripcord in namespace ns1: start one with `npx ripcord worker …` ' +
      'on the same connection profile (or with RIPCORD_TASK_QUEUE=ripcord)',
  );
});

test('a worker that polled within two minutes polls; older pollers do not; an error says nothing', async () => {
  const now = () => NOW;
  expect(await workerPolls(fakeClient(() => [{ lastAccessTime: secondsAgo(30) }]).client, 'q', now)).toBe(
    true,
  );
  expect(await workerPolls(fakeClient(() => [{ lastAccessTime: secondsAgo(600) }]).client, 'q', now)).toBe(
    false,
  );
  expect(await workerPolls(fakeClient(() => []).client, 'q', now)).toBe(false);
  expect(await workerPolls(fakeClient(() => new Error('unavailable')).client, 'q', now)).toBeUndefined();
  const { client, asked } = fakeClient(() => []);
  await workerPolls(client, 'guardians', now);
  // Workflow tasks of the normal task queue, in the client's namespace.
  expect(asked).toEqual([{ namespace: 'ns1', taskQueue: { name: 'guardians', kind: 1 }, taskQueueType: 1 }]);
});

test('list: the task queues of running guardians that nobody polls, each with its hint', async () => {
  const { client } = fakeClient((queue) => (queue === 'served' ? [{}] : []));
  const unserved = await unservedTaskQueues(client, [
    { status: 'RUNNING', taskQueue: 'served' },
    { status: 'RUNNING', taskQueue: 'nobody' },
    { status: 'RUNNING', taskQueue: 'nobody' },
    { status: 'COMPLETED', taskQueue: 'closed-only' },
  ]);
  expect([...unserved]).toEqual([['nobody', noWorkerHint('ns1', 'nobody')]]);
});

test('guard --wait: the hint once nobody polls, again while it lasts, and when a worker comes', async () => {
  let polling = false;
  let clock = NOW;
  const { client } = fakeClient(() => (polling ? [{ lastAccessTime: { seconds: clock / 1000 } }] : []));
  const lines: string[] = [];
  const stop = new AbortController();
  let checks = 0;
  const watching = watchForWorker({
    client,
    taskQueue: 'q',
    afterMs: 1,
    everyMs: 1,
    repeatMs: 60_000,
    now: () => clock,
    signal: stop.signal,
    say: (line) => {
      lines.push(line);
    },
  });
  // Each check moves the clock on 20 s: after 3 minutes without a worker, one comes.
  const advance = setInterval(() => {
    checks += 1;
    clock += 20_000;
    if (checks === 9) polling = true;
    if (checks === 12) stop.abort();
  }, 5);
  await watching;
  clearInterval(advance);
  const hint = `${noWorkerHint('ns1', 'q')}; still waiting`;
  expect(lines[0]).toBe(hint);
  expect(lines.filter((l) => l === hint).length).toBeGreaterThanOrEqual(2);
  expect(lines.at(-1)).toBe('a worker is polling task queue q now');
});

test('nothing is said while a worker polls', async () => {
  const { client } = fakeClient(() => [{}]);
  const lines: string[] = [];
  const stop = new AbortController();
  const watching = watchForWorker({
    client,
    taskQueue: 'q',
    afterMs: 1,
    everyMs: 1,
    signal: stop.signal,
    say: (l) => lines.push(l),
  });
  await new Promise((r) => setTimeout(r, 50));
  stop.abort();
  await watching;
  expect(lines).toEqual([]);
});
