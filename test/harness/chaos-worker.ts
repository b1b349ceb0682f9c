import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { WorkerTargetsFile } from '../../src/worker/targets-file';
import { CliProcess } from './cli';

/**
 * `ripcord worker` as its own process, started the way an operator starts it
 * (`--targets`, `--state-dir`, `--insecure-claims` so that a test may ask for
 * a rollback without signing a token), so that a test can SIGKILL it in the
 * middle of a step and start another one. Workers of one test share the
 * state dir: the audit trail and each target's journal outlive any process.
 */
export interface ChaosWorkerOptions {
  address: string;
  taskQueue: string;
  stateDir: string;
  targetsFile: string;
  /** Secrets the steps reference (`${secret:NAME}` → RIPCORD_SECRET_NAME), and anything else. */
  env?: NodeJS.ProcessEnv;
}

export class ChaosWorkers {
  private current: CliProcess | undefined;
  /** Every worker started, for the failure message of a test. */
  private readonly all: CliProcess[] = [];
  /** Workers killed so far. */
  killed = 0;

  constructor(private readonly options: ChaosWorkerOptions) {}

  /** Starts a worker and waits until it polls its task queue. */
  async start(): Promise<void> {
    if (this.current !== undefined) throw new Error('a worker is already running');
    const { address, taskQueue, stateDir, targetsFile, env } = this.options;
    const worker = new CliProcess(
      ['worker', '--targets', targetsFile, '--insecure-claims', '--state-dir', stateDir],
      { ...env, TEMPORAL_ADDRESS: address, RIPCORD_TASK_QUEUE: taskQueue, RIPCORD_PROFILE: '' },
    );
    this.current = worker;
    this.all.push(worker);
    // Bundling the workflows takes a while on a busy machine.
    await worker.waitFor(/ripcord worker running/, 180_000);
  }

  /** SIGKILL: no shutdown, no chance to finish or report the activity it runs. */
  async kill(): Promise<void> {
    const worker = this.current;
    if (worker === undefined) throw new Error('no worker to kill');
    worker.child.kill('SIGKILL');
    await worker.exited;
    this.current = undefined;
    this.killed += 1;
  }

  /** Kills the running worker and starts the next one (which waits for the server to hand it the work). */
  async replace(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** What every worker said, and how each ended (for a failing assertion's message). */
  output(): string {
    return this.all
      .map((w, i) => {
        const ended =
          w.child.exitCode !== null || w.child.signalCode !== null
            ? `exited (${w.child.signalCode ?? `code ${w.child.exitCode}`})`
            : 'running';
        return `--- worker ${i + 1} (pid ${w.child.pid}, ${ended}) ---\n${w.stdout}\n${w.stderr}`;
      })
      .join('\n');
  }

  async stop(): Promise<void> {
    const worker = this.current;
    this.current = undefined;
    if (worker === undefined) return;
    const timer = setTimeout(() => worker.child.kill('SIGKILL'), 15_000);
    try {
      await worker.stop('SIGTERM');
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Writes the worker's targets file (`ripcord worker --targets`) into `dir`. */
export function writeTargetsFile(dir: string, targets: WorkerTargetsFile['targets']): string {
  const file = join(dir, 'targets.yaml');
  const document: WorkerTargetsFile = { apiVersion: 'ripcord/v1', kind: 'WorkerTargets', targets };
  writeFileSync(file, stringify(document));
  return file;
}
