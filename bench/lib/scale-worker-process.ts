import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { BenchWorkerConfig, WorkerMessage } from './scale-worker-protocol';

/**
 * The benchmark's side of its worker process: starts it (with tsx, as the
 * benchmark itself runs), waits until it polls, keeps every report, and
 * stops it. A worker that does not stop in time is killed.
 */

const ENTRY = path.join(__dirname, 'scale-worker.ts');

export type WorkerStats = Extract<WorkerMessage, { type: 'stats' }>;

export interface BenchWorker {
  pid: number;
  heapLimitMiB: number;
  /** Every report so far, oldest first. */
  reports: WorkerStats[];
  /** Called on every report (progress lines). */
  onReport?: (stats: WorkerStats) => void;
  exited: Promise<number | null>;
  stop(): Promise<void>;
  /** SIGKILL, for exit paths that cannot wait. */
  killNow(): void;
}

export async function startBenchWorker(config: BenchWorkerConfig): Promise<BenchWorker> {
  const child: ChildProcess = fork(ENTRY, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, RIPCORD_BENCH_WORKER: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  const worker: BenchWorker = {
    pid: child.pid ?? -1,
    heapLimitMiB: 0,
    reports: [],
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    killNow: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'ready':
          worker.heapLimitMiB = message.heapLimitMiB;
          resolve();
          break;
        case 'stats':
          worker.reports.push(message);
          worker.onReport?.(message);
          break;
        case 'failed':
          reject(new Error(`the benchmark worker failed: ${message.message}`));
          break;
      }
    });
    void exited.then((code) =>
      reject(new Error(`the benchmark worker exited (code ${code}) before it was ready`)),
    );
  });
  return worker;
}
