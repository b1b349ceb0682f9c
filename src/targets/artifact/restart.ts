import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { PermanentStepError } from '../errors';
import type { LocalProcessService } from './config';

const MAX_OUTPUT_IN_MESSAGE = 300;

export interface RestartContext {
  service: string;
  version: string;
  releaseDir: string;
  /** The service's directory: the command's working directory. */
  cwd: string;
  signal: AbortSignal;
}

/**
 * Makes the service start the release `current` points to: runs the restart
 * command (execFile, never a shell, so nothing in the config is interpreted),
 * or signals the supervisor named by the pid file. A command that fails or a
 * pid that is not running is a plain (retryable) error: a supervisor that was
 * itself restarting may answer on the next attempt. A pid file that does not
 * hold a pid is a configuration fault no retry fixes.
 */
export async function restartService(
  restart: LocalProcessService['restart'],
  ctx: RestartContext,
): Promise<string> {
  if ('command' in restart) return runCommand(restart, ctx);
  return signalPid(restart, ctx);
}

function runCommand(
  restart: Extract<LocalProcessService['restart'], { command: string[] }>,
  ctx: RestartContext,
): Promise<string> {
  const [program, ...args] = restart.command as [string, ...string[]];
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      {
        cwd: ctx.cwd,
        timeout: restart.timeoutSeconds * 1000,
        signal: ctx.signal,
        maxBuffer: 1024 * 1024,
        // The command learns what it restarts into without parsing anything.
        env: {
          ...process.env,
          RIPCORD_SERVICE: ctx.service,
          RIPCORD_RELEASE_VERSION: ctx.version,
          RIPCORD_RELEASE_DIR: ctx.releaseDir,
        },
      },
      (error, _stdout, stderr) => {
        if (error === null) {
          resolve(`ran ${program}`);
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EACCES') {
          reject(new PermanentStepError(`restart command ${program} cannot be run (${code})`));
          return;
        }
        const how = error.killed
          ? `was stopped after ${restart.timeoutSeconds}s`
          : `failed (exit ${String(error.code ?? error.signal)})`;
        const output = stderr.toString().trim().slice(-MAX_OUTPUT_IN_MESSAGE);
        reject(new Error(`restart command ${program} ${how}${output ? `: ${output}` : ''}`));
      },
    );
  });
}

async function signalPid(
  restart: Extract<LocalProcessService['restart'], { pidFile: string }>,
  _ctx: RestartContext,
): Promise<string> {
  let text: string;
  try {
    text = await readFile(restart.pidFile, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read pid file ${restart.pidFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1) {
    throw new PermanentStepError(`pid file ${restart.pidFile} does not hold a process id`);
  }
  try {
    process.kill(pid, restart.signal);
  } catch (error) {
    throw new Error(
      `cannot signal pid ${pid} from ${restart.pidFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return `sent ${restart.signal} to pid ${pid}`;
}
