import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { currentLink, releaseDir } from '../../targets/artifact/releases';
import { assertPortFree } from '../ports';
import { exitOf, hasExited, killOnExit, OutputTail, stopChild } from '../child';
import type { DependencyCall } from './demo-service';
import { DEMO_SERVICE_ENTRY, isListeningMessage, RESTART_EXIT_CODE, tsxNodeArgs } from './protocol';

/**
 * Runs one demo service instance as a child process, the way a process
 * manager runs a service on a host: from a release directory at first, and
 * from the `current` symlink on every restart. The pid file holds the pid of
 * the running service; `kill -HUP $(cat <pidFile>)` (what an artifact revert
 * does after switching `current`) makes the service drain and exit, and the
 * supervisor starts it again from whatever `current` points at then.
 * `restart()` does the same from code. Other exits are reported, not hidden by
 * a restart. The child dies with this process (IPC channel closed, exit hook).
 */

export interface RunningRelease {
  pid: number;
  service: string;
  version: string;
  digest: string;
  /** The release directory served (symlinks resolved). */
  release: string;
  behaviour: string;
}

export type SupervisorEvent =
  | ({ type: 'started' } & RunningRelease)
  | {
      type: 'exited';
      pid: number;
      code: number | null;
      signal: NodeJS.Signals | null;
      /**
       * restart: after SIGHUP, started again from `current`; stopped: by stop(); exited: ended
       * cleanly on its own (SIGINT/SIGTERM from elsewhere, e.g. Ctrl-C); crashed: anything else.
       */
      reason: 'restart' | 'stopped' | 'exited' | 'crashed';
    }
  | { type: 'start-failed'; error: string };

export interface SuperviseOptions {
  releasesDir: string;
  service: string;
  /** The first start serves releases/<version>; omitted = `current`. Restarts always serve `current`. */
  version?: string;
  port: number;
  host?: string;
  /** Where the running service's pid is kept (rewritten on every start, removed on stop). */
  pidFile: string;
  /** baseline, canary: names the instance in messages. */
  name?: string;
  seed?: number;
  /** The dependency every business request calls first (kept across restarts: it is where the host is, not what it runs). */
  calls?: Pick<DependencyCall, 'url' | 'host'>;
  onEvent?: (event: SupervisorEvent) => void;
  onOutput?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface SupervisedService {
  name: string;
  url: string;
  port: number;
  pidFile: string;
  /** What runs now; undefined while restarting, after a crash, after stop. */
  running(): RunningRelease | undefined;
  /** Resolves with the next successful start (after a SIGHUP from anywhere, or restart()). */
  nextStart(): Promise<RunningRelease>;
  /** As SIGHUP: drain, then start again from `current`. Also revives a crashed instance. */
  restart(): Promise<RunningRelease>;
  stop(): Promise<void>;
}

export class SupervisorError extends Error {}

export async function superviseService(options: SuperviseOptions): Promise<SupervisedService> {
  const supervisor = new Supervisor(options);
  await assertPortFree(options.port, options.host ?? '127.0.0.1', `${supervisor.name} service`);
  await supervisor.launch(
    options.version === undefined
      ? currentLink(options.releasesDir, options.service)
      : releaseDir(options.releasesDir, options.service, options.version),
  );
  return supervisor;
}

interface Waiter {
  resolve: (running: RunningRelease) => void;
  reject: (err: Error) => void;
}

class Supervisor implements SupervisedService {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly pidFile: string;
  private child: ChildProcess | undefined;
  private current: RunningRelease | undefined;
  private stopping = false;
  /** A start is under way (it reads `current` itself, so a restart asked for meanwhile just waits for it). */
  private launching = false;
  /** No child runs and none is being started (crashed, exited, or its start failed). */
  private down = false;
  /** restart() was called while the child was already on its way out. */
  private restartRequested = false;
  private waiters: Waiter[] = [];

  constructor(private readonly options: SuperviseOptions) {
    this.name = options.name ?? options.service;
    this.port = options.port;
    this.url = `http://${options.host ?? '127.0.0.1'}:${options.port}`;
    this.pidFile = options.pidFile;
  }

  running(): RunningRelease | undefined {
    return this.current;
  }

  nextStart(): Promise<RunningRelease> {
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async restart(): Promise<RunningRelease> {
    if (this.stopping) throw new SupervisorError(`${this.name} is stopped`);
    const next = this.nextStart();
    // A start under way reads `current` itself: wait for it.
    if (this.launching) return next;
    const child = this.child;
    if (this.down || child === undefined) {
      void this.launch(this.currentLink()).catch(() => undefined); // the waiter hears the failure
    } else {
      // Alive: SIGHUP as from outside. Just exited and not yet handled: onExit relaunches.
      this.restartRequested = true;
      if (!hasExited(child)) child.kill('SIGHUP');
    }
    return next;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child !== undefined) await stopChild(child, 5_000);
    rmSync(this.pidFile, { force: true });
    this.settle(new SupervisorError(`${this.name} was stopped`));
  }

  private currentLink(): string {
    return currentLink(this.options.releasesDir, this.options.service);
  }

  /** Starts the service from `release` and waits until it listens. */
  async launch(release: string): Promise<RunningRelease> {
    const args = [...tsxNodeArgs(), DEMO_SERVICE_ENTRY, '--release', release, '--port', String(this.port)];
    if (this.options.host !== undefined) args.push('--host', this.options.host);
    if (this.options.seed !== undefined) args.push('--seed', String(this.options.seed));
    if (this.options.calls !== undefined) {
      args.push('--calls', this.options.calls.url);
      if (this.options.calls.host !== undefined) args.push('--calls-host', this.options.calls.host);
    }
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.child = child;
    this.launching = true;
    this.down = false;
    const tail = new OutputTail(20, this.options.onOutput);
    tail.attach(child);
    const unguard = killOnExit(child);
    const exited = exitOf(child);

    try {
      const running = await this.waitListening(child, exited, tail).finally(() => (this.launching = false));
      if (this.stopping) throw new SupervisorError(`${this.name} was stopped while starting`);
      this.current = running;
      mkdirSync(dirname(this.pidFile), { recursive: true });
      writeFileSync(this.pidFile, `${running.pid}\n`);
      this.options.onEvent?.({ type: 'started', ...running });
      this.settle(running);
      void exited.then(({ code, signal }) => {
        unguard();
        this.onExit(child, code, signal);
      });
      return running;
    } catch (err) {
      unguard();
      await stopChild(child, 1_000);
      const error = err instanceof SupervisorError ? err : new SupervisorError((err as Error).message);
      this.down = true;
      if (!this.stopping) this.options.onEvent?.({ type: 'start-failed', error: error.message });
      this.settle(error);
      throw error;
    }
  }

  private waitListening(
    child: ChildProcess,
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
    tail: OutputTail,
  ): Promise<RunningRelease> {
    const timeoutMs = this.options.startTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new SupervisorError(
              `${this.name} service did not listen within ${timeoutMs / 1000} s${tail.describe('the service')}`,
            ),
          ),
        timeoutMs,
      );
      child.on('message', (message) => {
        if (!isListeningMessage(message)) return;
        clearTimeout(timer);
        resolve({
          pid: child.pid ?? -1,
          service: message.service,
          version: message.version,
          digest: message.digest,
          release: message.release,
          behaviour: message.behaviour,
        });
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(
          new SupervisorError(
            `${this.name} service exited before it listened (${signal ?? `code ${code}`})${tail.describe('the service')}`,
          ),
        );
      });
    });
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.current = undefined;
    const pid = child.pid ?? -1;
    const reason = this.stopping
      ? 'stopped'
      : code === RESTART_EXIT_CODE || signal === 'SIGHUP'
        ? 'restart'
        : code === 0
          ? 'exited'
          : 'crashed';
    this.options.onEvent?.({ type: 'exited', pid, code, signal, reason });
    if (reason === 'stopped') return;
    rmSync(this.pidFile, { force: true });
    const relaunch = reason === 'restart' || this.restartRequested;
    this.restartRequested = false;
    if (relaunch)
      void this.launch(this.currentLink()).catch(() => undefined); // reported as start-failed
    else this.down = true;
  }

  private settle(outcome: RunningRelease | Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (outcome instanceof Error) waiter.reject(outcome);
      else waiter.resolve(outcome);
    }
  }
}
