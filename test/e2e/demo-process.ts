import { type ChildProcess, spawn } from 'node:child_process';
import { RIPCORD_BIN } from '../harness/cli';

/**
 * `ripcord demo` running in the background, as from a terminal: its output is
 * collected for the assertions and for failure messages, and it is stopped the
 * way a person stops it, with Ctrl-C (SIGINT).
 */
export class DemoProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [RIPCORD_BIN, ...args], {
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (c: Buffer) => (this.stdout += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((r) =>
      this.child.once('exit', (code) => {
        this.exitCode = code;
        r(code);
      }),
    );
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Everything the demo said, for a failure message. */
  output(): string {
    return `--- demo stdout ---\n${this.stdout}\n--- demo stderr ---\n${this.stderr}`;
  }

  /** Waits until stdout matches; fails early when the demo exits, with everything it said. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = this.stdout.match(pattern);
      if (match) return match;
      if (!this.running) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(
      `the demo never printed ${pattern} (${this.running ? `still running after ${timeoutMs / 1000} s` : `exited ${this.exitCode}`})\n${this.output()}`,
    );
  }

  /** Ctrl-C; resolves with the exit code, or fails when the demo does not end within `timeoutMs`. */
  async interrupt(timeoutMs: number): Promise<number | null> {
    if (this.running) this.child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`the demo did not end within ${timeoutMs / 1000} s of Ctrl-C\n${this.output()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** For cleanup after a failure: Ctrl-C, then SIGKILL if it does not listen. */
  async stopForGood(): Promise<void> {
    if (!this.running) return;
    try {
      await this.interrupt(60_000);
    } catch {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
