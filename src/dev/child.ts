import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Small pieces every long-lived child of the local stack needs. */

/** Keeps the last lines a child wrote (for error reports) and forwards each line if asked. */
export class OutputTail {
  private readonly lines: string[] = [];

  constructor(
    private readonly max = 40,
    private readonly onLine?: (line: string) => void,
  ) {}

  attach(child: ChildProcess): void {
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        this.lines.push(line);
        if (this.lines.length > this.max) this.lines.shift();
        this.onLine?.(line);
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  }

  /** "\nlast output of <what>:\n  ..." or '' when it said nothing. */
  describe(what: string): string {
    return this.lines.length ? `\nlast output of ${what}:\n  ${this.lines.join('\n  ')}` : '';
  }

  text(): string {
    return this.lines.join('\n');
  }
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves when the child has exited (also when it never started). */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolvePromise) => {
    if (hasExited(child)) {
      resolvePromise({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => resolvePromise({ code, signal }));
    child.once('error', () => resolvePromise({ code: null, signal: null }));
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (hasExited(child) || child.pid === undefined) return;
  const exited = exitOf(child);
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(killer);
  }
}

/**
 * Kills the child if this process exits without stopping it (an uncaught
 * error, process.exit): 'exit' handlers are synchronous, so SIGKILL is all
 * there is. Returns the function that removes the guard.
 */
export function killOnExit(child: ChildProcess): () => void {
  const kill = () => {
    if (!hasExited(child)) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  return () => process.removeListener('exit', kill);
}

const SETPRIV = '/usr/bin/setpriv';

/**
 * The command line that runs `command` so the kernel sends it SIGTERM when
 * this process dies, however it dies (SIGKILL included), via util-linux
 * setpriv --pdeathsig, which sets the signal and execs the command (same pid).
 * For children without an IPC channel to notice a vanished parent by; where
 * setpriv is missing, the command runs as it is and the exit hook remains.
 */
export function dyingWithParent(command: string, args: string[]): [string, string[]] {
  if (process.platform !== 'linux' || !existsSync(SETPRIV)) return [command, args];
  return [SETPRIV, ['--pdeathsig', 'TERM', '--', command, ...args]];
}
