import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * One run of a command, timed by bash's `time` keyword: wall clock, and the
 * CPU time (user + system) the kernel accounted to the command and whatever
 * it waited for (getrusage of the children), in milliseconds. The process's
 * own CPU cannot be read with process.cpuUsage (that is this process's), and
 * /proc's per-child tick counts are 10 ms coarse; bash reports microseconds
 * rounded to the millisecond, and starts timing after its own startup.
 */
export interface TimedRun {
  wallMs: number;
  cpuMs: number;
  code: number | null;
  /** What the command wrote to stderr (its stdout is discarded). */
  stderr: string;
}

const TIME_FORMAT = '%3R %3U %3S';

/** Parses the `%3R %3U %3S` line bash prints (seconds, three decimals). */
export function parseBashTime(line: string): { wallMs: number; cpuMs: number } {
  const parts = line.trim().split(/\s+/).map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n))) {
    throw new Error(`unexpected output of bash's time: ${JSON.stringify(line)}`);
  }
  const [real, user, sys] = parts as [number, number, number];
  return { wallMs: Math.round(real * 1000), cpuMs: Math.round((user + sys) * 1000) };
}

export function timeCommand(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): TimedRun {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ripcord-time-'));
  const stderrFile = path.join(dir, 'stderr');
  try {
    // The command's stderr goes to a file, so bash's stderr holds only the timing and the exit code.
    const script = `TIMEFORMAT='${TIME_FORMAT}'; time "$@" >/dev/null 2>"$TIMED_STDERR"; echo "exit $?" >&2`;
    const result = spawnSync('bash', ['-c', script, 'bash', ...argv], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env, TIMED_STDERR: stderrFile },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const lines = (result.stderr ?? '').trim().split('\n');
    const exit = /^exit (\d+)$/.exec(lines.at(-1) ?? '');
    const timing = lines.at(-2);
    if (!exit || timing === undefined) {
      throw new Error(`could not time ${argv.join(' ')}: ${result.error?.message ?? result.stderr}`);
    }
    return { ...parseBashTime(timing), code: Number(exit[1]), stderr: readFileSync(stderrFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
