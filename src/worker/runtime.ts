import { DefaultLogger, type LogLevel, Runtime } from '@temporalio/worker';

let installed = false;

/**
 * Sets the SDK's log level once per process. The default INFO level prints the
 * workflow bundler's webpack report and every worker state change, which buries
 * what a person running the CLI needs to read.
 */
export function installRuntimeLogger(level: LogLevel = 'WARN'): void {
  if (installed) return;
  installed = true;
  // Core (Rust) logs go to the same logger at the same level, instead of straight to stderr.
  Runtime.install({
    logger: new DefaultLogger(level),
    telemetryOptions: { logging: { filter: { core: level, other: level }, forward: {} } },
  });
}
