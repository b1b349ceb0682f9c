import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * Whether anyone serves a guardian's task queue (issue 17: `guard --wait`
 * hung silently when no worker polled it). Temporal keeps a list of the
 * workers that polled a task queue recently; a worker's long poll lasts about
 * a minute, so one that polled within POLLED_WITHIN_MS is still there.
 */
export const POLLED_WITHIN_MS = 2 * 60_000;

/** The same sentence everywhere (guard --wait, status, list), naming the task queue and namespace. */
export function noWorkerHint(namespace: string, taskQueue: string): string {
  return (
    `no worker is polling task queue ${taskQueue} in namespace ${namespace}: start one with ` +
    `\`npx ripcord worker …\` on the same connection profile (or with RIPCORD_TASK_QUEUE=${taskQueue})`
  );
}

/**
 * True when a worker polled the task queue's workflow tasks recently, false
 * when none did, undefined when Temporal could not be asked (never a reason
 * to claim that no worker runs).
 */
export async function workerPolls(
  client: Client,
  taskQueue: string,
  now: () => number = Date.now,
): Promise<boolean | undefined> {
  try {
    const response = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (response.pollers ?? []).some((poller) => {
      const seconds = poller.lastAccessTime?.seconds;
      // No time recorded: Temporal listed it, so count it.
      if (seconds === undefined || seconds === null) return true;
      return now() - Number(seconds) * 1000 <= POLLED_WITHIN_MS;
    });
  } catch {
    return undefined;
  }
}

export interface WorkerWatchOptions {
  client: Client;
  taskQueue: string;
  say: (line: string) => void;
  /** First look after this long (default 10 s): a worker that is there picks the first task up at once. */
  afterMs?: number;
  /** Look again this often (default 5 s). */
  everyMs?: number;
  /** While still nobody polls, repeat the hint this often (default 60 s). */
  repeatMs?: number;
  signal: AbortSignal;
  now?: () => number;
}

/**
 * Says so when nobody polls the task queue, and keeps saying it (every
 * `repeatMs`) while the caller waits; says so again when a worker shows up.
 * Returns when `signal` aborts.
 */
export async function watchForWorker(options: WorkerWatchOptions): Promise<void> {
  const { client, taskQueue, say, signal } = options;
  const now = options.now ?? Date.now;
  const everyMs = options.everyMs ?? 5_000;
  const repeatMs = options.repeatMs ?? 60_000;
  let hintedAt: number | undefined;
  await sleep(options.afterMs ?? 10_000, signal);
  while (!signal.aborted) {
    const polls = await workerPolls(client, taskQueue, now);
    if (signal.aborted) return;
    if (polls === false && (hintedAt === undefined || now() - hintedAt >= repeatMs)) {
      say(`${noWorkerHint(client.options.namespace, taskQueue)}; still waiting`);
      hintedAt = now();
    } else if (polls === true && hintedAt !== undefined) {
      say(`a worker is polling task queue ${taskQueue} now`);
      hintedAt = undefined;
    }
    await sleep(everyMs, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The task queues of running guardians that no worker polls, each with its hint (for `ripcord list`). */
export async function unservedTaskQueues(
  client: Client,
  rows: ReadonlyArray<{ status: string; taskQueue?: string }>,
): Promise<Map<string, string>> {
  const queues = [
    ...new Set(rows.filter((r) => r.status === 'RUNNING' && r.taskQueue).map((r) => r.taskQueue!)),
  ];
  const polled = await Promise.all(queues.map((queue) => workerPolls(client, queue)));
  return new Map(
    queues
      .filter((_, i) => polled[i] === false)
      .map((queue) => [queue, noWorkerHint(client.options.namespace, queue)]),
  );
}
