import { Command, CommanderError } from 'commander';
import { UserFacingError } from './errors';
import { registerCommands } from './commands';
import { stopTracing } from '../tracing';

/** Builds the `ripcord` program. Exported so that tests can drive it in-process. */
export function buildProgram(): Command {
  const program = new Command('ripcord')
    .description('Automatic, trustworthy and secure deployment rollback on Temporal')
    .exitOverride();
  registerCommands(program);
  usageAfterErrors(program);
  return program;
}

/**
 * After a usage mistake (a missing flag, an unknown option, a bad value) the
 * error is followed by one usage line, not the whole help, which would bury it.
 */
function usageAfterErrors(command: Command): void {
  const usage = command.createHelp().commandUsage(command);
  const name = usage.slice(0, usage.length - command.usage().length).trim();
  command.showHelpAfterError(`Usage: ${usage}  (${name} --help lists every option)`);
  command.commands.forEach(usageAfterErrors);
}

/** Runs the CLI and returns the exit code; never throws, never prints a stack trace for user errors. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } finally {
    // A command that traced (OTEL_*) sends what is left before the process exits; one that did not pays nothing.
    await stopTracing(STOP_TRACING_WITHIN_MS);
  }
}

/** An unreachable collector delays the exit by at most this much (its exporter would wait 10 s). */
const STOP_TRACING_WITHIN_MS = 3_000;

async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed usage or help: 0 for --help, 2 for a usage error.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UserFacingError) {
      process.stderr.write(`ripcord: ${err.message}\n`);
      return err.exitCode;
    }
    // An unexpected failure is a bug: say so, with enough to report it.
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`ripcord: internal error (please report): ${detail}\n`);
    return 70;
  }
}
