import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ReadmeCommand, readmeCommands, shellBlockUnder } from './readme-commands';

/**
 * Issue 17's acceptance: the README's "Using it" block, run as written, in
 * order, by bash, in a fresh directory that holds only what a clone holds
 * (the policies, examples and fixtures) and `npx ripcord`. Commands the README
 * says to run in their own terminal keep running in the background; every
 * other one must exit 0. The only thing filled in is `<hash>`, which a person
 * copies from the `status` output above it, as this test does.
 */

const REPO_ROOT = resolve(__dirname, '..', '..');
const WALKTHROUGH_TIMEOUT_MS = 12 * 60_000;
/** How long a person would wait for a command in its own terminal to say it is up. */
const READY_TIMEOUT_MS = 90_000;
/** A guardian rolls back 4 dry-run steps with the example's pauses: about two minutes. */
const OUTCOME_TIMEOUT_MS = 6 * 60_000;

/** What each long-running command prints once it is ready for the next one. */
const READY: Array<[RegExp, RegExp]> = [
  [/ripcord dev server/, /ready: gRPC/],
  [/ripcord worker/, /ripcord worker running/],
  [/ripcord guard/, /phase watch/],
];

class Terminal {
  readonly child: ChildProcess;
  output = '';
  code: number | null | undefined;
  readonly exited: Promise<number | null>;

  constructor(
    readonly command: ReadmeCommand,
    cwd: string,
    env: NodeJS.ProcessEnv,
  ) {
    // Its own process group, so that stopping it stops npx, node and the Temporal binary under it.
    this.child = spawn('bash', ['-c', command.line], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (c: Buffer) => (this.output += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => (this.output += c.toString()));
    this.exited = new Promise((r) =>
      this.child.once('exit', (code) => {
        this.code = code;
        r(code);
      }),
    );
  }

  async waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (this.code !== undefined)
        throw new Error(
          `"${this.command.line}" exited ${this.code} before printing ${pattern}:\n${this.output}`,
        );
      if (Date.now() > deadline)
        throw new Error(
          `"${this.command.line}" did not print ${pattern} in ${timeoutMs} ms:\n${this.output}`,
        );
      await sleep(250);
    }
  }

  async outcome(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const result = await Promise.race([this.exited, timedOut]).finally(() => clearTimeout(timer));
    if (result === 'timeout') throw new Error(`"${this.command.line}" still running:\n${this.output}`);
    return result;
  }

  stop(signal: NodeJS.Signals): void {
    if (this.code !== undefined || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // already gone
    }
  }
}

let dir: string;
let env: NodeJS.ProcessEnv;
const terminals: Terminal[] = [];
const transcript: string[] = [];

beforeAll(async () => {
  // The README's commands use Temporal's default ports: nothing else may hold them.
  for (const port of [7233, 8233])
    if (!(await portFree(port)))
      throw new Error(
        `port ${port} is taken: the README walkthrough runs the dev server on its default ports`,
      );
  dir = mkdtempSync(join(tmpdir(), 'ripcord-readme-'));
  for (const tracked of ['policies', 'examples', 'test', 'docs'])
    symlinkSync(join(REPO_ROOT, tracked), join(dir, tracked));
  // `npx ripcord` in a clone runs the package's own bin; here a local bin stands in for it.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-walkthrough', private: true }));
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'bin', 'ripcord.js'), join(dir, 'node_modules', '.bin', 'ripcord'));
  env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('RIPCORD_')));
});

afterAll(async () => {
  for (const terminal of [...terminals].reverse()) terminal.stop('SIGINT');
  for (const terminal of terminals) await terminal.outcome(15_000).catch(() => terminal.stop('SIGKILL'));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  'the README "Using it" block runs as written, in order, on a fresh directory',
  async () => {
    const commands = readmeCommands(
      shellBlockUnder(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'), 'Using it'),
    );
    expect(commands.length).toBeGreaterThan(10);
    const guards: Terminal[] = [];
    let lastStatus: string | undefined;
    let lastOutput = '';

    for (const command of commands) {
      transcript.push(`$ ${command.line}`);
      if (command.ownTerminal) {
        if (/once that guard has exited/.test(command.comment))
          for (const guard of guards) await guard.outcome(OUTCOME_TIMEOUT_MS);
        const terminal = new Terminal(command, dir, env);
        terminals.push(terminal);
        if (/ripcord guard/.test(command.line)) guards.push(terminal);
        const ready = READY.find(([which]) => which.test(command.line));
        if (!ready) throw new Error(`no readiness line known for "${command.line}"`);
        await terminal.waitFor(ready[1], READY_TIMEOUT_MS);
        continue;
      }

      let line = command.line;
      if (line.includes('<hash>')) {
        const hash = await planHashFrom(lastOutput, lastStatus);
        line = line.replaceAll('<hash>', hash);
      }
      const result = run(line);
      transcript.push(result.output);
      if (result.code !== 0)
        throw new Error(
          `"${line}" exited ${result.code}:\n${result.output}\n--- so far ---\n${transcript.join('\n')}`,
        );
      if (/ripcord status /.test(line)) lastStatus = line;
      lastOutput = result.output;
    }

    // What the README says each guard ends with.
    expect(guards.map((g) => g.command.line.match(/--deployment-id (\S+)/)?.[1])).toEqual([
      'build-481',
      'build-482',
    ]);
    const [rolledBack, aborted] = guards as [Terminal, Terminal];
    expect(await rolledBack.outcome(OUTCOME_TIMEOUT_MS)).toBe(20);
    expect(rolledBack.output).toContain('approved by alice (billing-lead)');
    expect(rolledBack.output).toContain('approved by bob (sre-oncall)');
    expect(rolledBack.output).toMatch(/legacy-table-dropped.*frozen/);
    expect(await aborted.outcome(OUTCOME_TIMEOUT_MS)).toBe(30);
    expect(existsSync(join(dir, '.ripcord', 'reports', 'build-481.html'))).toBe(true);
    // Nothing the README generates lands outside .ripcord/ and keys/ (both git-ignored).
    expect(existsSync(join(dir, 'keys', 'oncall.private.jwk.json'))).toBe(true);
    const placedByThisTest = ['policies', 'examples', 'test', 'docs', 'package.json', 'node_modules'];
    expect(
      readdirSync(dir)
        .filter((entry) => !placedByThisTest.includes(entry))
        .sort(),
    ).toEqual(['.ripcord', 'keys']);
  },
  WALKTHROUGH_TIMEOUT_MS,
);

/**
 * The plan hash a person copies: from the output just above, or, while the
 * guardian is still building its plan, from running that `status` again.
 */
async function planHashFrom(output: string, statusCommand: string | undefined): Promise<string> {
  const deadline = Date.now() + 90_000;
  let text = output;
  for (;;) {
    const hash = /--plan (sha256:[0-9a-f]{64})/.exec(text)?.[1];
    if (hash) return hash;
    if (!statusCommand || Date.now() > deadline)
      throw new Error(`no approve command with a plan hash in the status output:\n${text}`);
    await sleep(2000);
    text = run(statusCommand).output;
  }
}

function run(line: string): { code: number | null; output: string } {
  const result = spawnSync('bash', ['-c', line], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePort(true)));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
