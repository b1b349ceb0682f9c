import { Context } from '@temporalio/activity';
import type { Logger } from '@temporalio/common';
import type { StepContext } from '../targets';
import type { DeploymentInfo } from '../model/guardian';

/** The running activity's context, or undefined when a function is called directly (unit tests, scripts). */
export function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

const silent: Logger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** The activity logger (it carries workflow and activity ids); silent outside an activity. */
export function activityLog(): Logger {
  return currentContext()?.log ?? silent;
}

/** What a rollback target may use, bound to the running activity (or inert outside one). */
export function stepContext(deployment: DeploymentInfo, planHash: string): StepContext {
  const context = currentContext();
  if (context === undefined) {
    return {
      deployment,
      planHash,
      heartbeat: () => undefined,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      signal: new AbortController().signal,
    };
  }
  return {
    deployment,
    planHash,
    heartbeat: (details) => context.heartbeat(details),
    sleep: (ms) => context.sleep(ms),
    signal: context.cancellationSignal,
  };
}
