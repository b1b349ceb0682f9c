import {
  findGuardian,
  startGuardian,
  type GuardianHandle,
  WorkflowExecutionAlreadyStartedError,
} from '../../client/guardians';
import { watchForWorker } from '../../client/task-queue';
import { prepareRehearsal, RehearsalSetupError } from '../../rehearsal/prepare';
import { EXIT, exitCodeForEnd } from '../exit-codes';
import { UserFacingError } from '../errors';
import type { LoadedPolicy } from '../../policy';
import type { GuardianInput } from '../../model/guardian';
import { defaultSpeed } from '../speed';
import { buildGuardianInput, type GuardFlags } from '../guard-input';
import { loadPolicyForCommand } from '../policy-input';
import { followGuardian } from '../../client/progress';
import { withSession } from '../temporal-session';
import { replayTimeNote } from '../../model/replay-cadence';
import { startTracing } from '../../tracing';
import { guardianTraceId } from '../../client/trace-id';

export interface GuardOptions extends GuardFlags {
  policy: string;
  wait?: boolean;
  profile?: string;
  poll: number;
  replay?: string;
  speed?: number;
}

/** A start this long after the run began joined an existing guardian (a retried pipeline step). */
const JOINED_AFTER_MS = 30_000;

/** A pipeline log that says nothing for long looks hung: say the guardian is still at it. */
const QUIET_MS = 5 * 60_000;

const say = (line: string) => process.stdout.write(`${line}\n`);
/** With the time, as --wait's progress lines have it. */
const sayNow = (line: string) => say(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/**
 * `ripcord guard`: starts (or joins) the deployment's guardian; with --wait, follows it to its end.
 * With OTEL_* set it traces (src/tracing): its span is a child of the pipeline's TRACEPARENT, the
 * guardian's workflow and activities join that trace, and it prints the trace id.
 */
export async function guard(opts: GuardOptions): Promise<void> {
  const loaded = await loadPolicyForCommand(opts.policy);
  const input = await withReplay(buildGuardianInput(loaded, opts, new Date()), loaded, opts);
  const { tracing } = startTracing('ripcord');
  const { deployment } = input;
  const span = tracing?.commandSpan(
    'ripcord guard',
    {
      'ripcord.deployment_id': deployment.deploymentId,
      'ripcord.service': deployment.service,
      'ripcord.environment': deployment.environment,
      'ripcord.version': deployment.version,
    },
    process.env,
  );
  const inSpan = <T>(fn: () => Promise<T>) => (span ? span.run(fn) : fn());
  await withSession(opts.profile, async ({ client, conn, link, serviceLink }) => {
    const askedAt = Date.now();
    let handle: GuardianHandle;
    try {
      handle = await inSpan(() => startGuardian(client, conn.taskQueue, input));
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // The deployment's guardian already ran to its end: report that one, never start a second.
      handle = await findGuardian(client, err.workflowId);
    } finally {
      // The start is the client's part of the story: its span leaves with the next batch, not when a long --wait ends.
      span?.end();
    }
    const described = await handle.describe();
    if (described.closeTime) {
      say(
        `guardian ${handle.workflowId} already guarded deployment ${input.deployment.deploymentId} ` +
          `and closed at ${described.closeTime.toISOString()} (${described.status.name.toLowerCase()}); nothing started`,
      );
    } else {
      const joined =
        described.startTime.getTime() < askedAt - JOINED_AFTER_MS ? '; this start joined it' : '';
      say(`guardian ${handle.workflowId} (running since ${described.startTime.toISOString()}${joined})`);
    }
    say(`Web UI   ${link(handle.workflowId)}`);
    const list = serviceLink(handle.workflowId);
    if (list) say(`Web UI   ${list}`);
    // The guardian's own trace (a joined guardian keeps the one it was started in); untraced: nothing.
    const traceId = tracing ? await guardianTraceId(client, handle.workflowId) : undefined;
    if (traceId) say(`trace    ${traceId}`);
    if (input.replay)
      say(`replaying ${input.replay.scenarioFile} instead of the policy's sources (use a --dry-run worker)`);
    if (input.replay && input.speed !== undefined)
      say(replayTimeNote(input.policy.evaluation.intervalSeconds, input.speed));
    if (!opts.wait) return;
    // Without a worker on its task queue the guardian never moves: say so, and how to start one.
    const stopWatching = new AbortController();
    const watching = described.closeTime
      ? Promise.resolve()
      : watchForWorker({ client, taskQueue: described.taskQueue, say: sayNow, signal: stopWatching.signal });
    try {
      const end = await followGuardian(client, handle, {
        pollMs: opts.poll * 1000,
        say,
        quietMs: QUIET_MS,
        namespace: conn.namespace,
      });
      process.exitCode = exitCodeForEnd(end);
    } finally {
      stopWatching.abort();
      await watching;
    }
  });
}

/**
 * `--replay`: the guardian reads a scenario instead of production, as in
 * `ripcord rehearse`, so that a pipeline's guard step can be exercised end to
 * end (docs/pipelines.md). Only the health data is replaced: the worker still
 * decides where steps go, so pair it with a --dry-run worker.
 */
async function withReplay(
  input: GuardianInput,
  loaded: LoadedPolicy,
  opts: GuardOptions,
): Promise<GuardianInput> {
  if (!opts.replay) {
    if (opts.speed !== undefined) throw new UserFacingError('--speed goes with --replay', EXIT.usage);
    return input;
  }
  try {
    const prepared = await prepareRehearsal(
      loaded,
      opts.replay,
      (interval) => opts.speed ?? defaultSpeed(interval),
    );
    return {
      ...input,
      replay: { scenarioFile: prepared.scenarioFile },
      speed: prepared.speed,
      watchSeconds: opts.watch ?? prepared.watchSeconds,
    };
  } catch (err) {
    if (err instanceof RehearsalSetupError) throw new UserFacingError(`--replay: ${err.message}`, EXIT.usage);
    throw err;
  }
}
