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
  Runtime.install({ logger: new DefaultLogger(level) });
}
