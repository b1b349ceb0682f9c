import { WorkflowExecutionAlreadyStartedError } from '../../client/guardians';
import { followGuardian } from '../../client/progress';
import { releaseStatus, startRelease, type ReleaseHandle } from '../../client/releases';
import { watchForWorker } from '../../client/task-queue';
import { deploymentProblems } from '../../activities/admit';
import type { ReleaseInput } from '../../model/release';
import { releaseWorkflowId } from '../../model/release';
import { loadReleaseFile, ReleaseFileError } from '../../releases/release-file';
import { releaseInputFrom } from '../../releases/release-input';
import { UserFacingError } from '../errors';
import { EXIT, exitCodeForEnd } from '../exit-codes';
import { withSession } from '../temporal-session';
import { startTracing } from '../../tracing';
import { guardianTraceId } from '../../client/trace-id';
import { defaultSpeed } from '../speed';
import { loadReleaseScenarioFile } from '../../releases/scenario-files';
import { ScenarioFileError } from '../../simulate/scenario-files';
import { resolve } from 'node:path';

export interface ReleaseOptions {
  file: string;
  releaseId: string;
  deployer?: string;
  wait?: boolean;
  profile?: string;
  poll: number;
  replay?: string;
  speed?: number;
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const sayNow = (line: string) => say(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** A pipeline log that says nothing for long looks hung: say the release is still at it. */
const QUIET_MS = 5 * 60_000;

/**
 * `ripcord release --file release.yaml --release-id <id> [--wait]`: starts (or
 * joins) the release's workflow, which guards every member with a child
 * guardian and judges them together. With --wait, follows it to its end; the
 * exit code tells the outcome as for `ripcord guard`.
 */
export async function release(opts: ReleaseOptions): Promise<void> {
  const input = await buildInput(opts);
  // With OTEL_* set, the release joins the pipeline's trace (TRACEPARENT), as `ripcord guard` does.
  const { tracing } = startTracing('ripcord');
  const span = tracing?.commandSpan(
    'ripcord release',
    {
      'ripcord.release_id': input.releaseId,
      'ripcord.release': input.name,
      'ripcord.environment': input.environment,
    },
    process.env,
  );
  await withSession(opts.profile, async ({ client, conn, link }) => {
    let handle: ReleaseHandle;
    try {
      handle = await (span
        ? span.run(() => startRelease(client, input, { taskQueue: conn.taskQueue }))
        : startRelease(client, input, { taskQueue: conn.taskQueue }));
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      handle = client.workflow.getHandle(releaseWorkflowId(input));
    } finally {
      span?.end();
    }
    const described = await handle.describe();
    if (described.closeTime) {
      say(
        `release ${handle.workflowId} already guarded release ${input.releaseId} and closed at ` +
          `${described.closeTime.toISOString()} (${described.status.name.toLowerCase()}); nothing started`,
      );
    } else {
      say(`release ${handle.workflowId} (running since ${described.startTime.toISOString()})`);
      for (const m of input.members)
        say(
          `  member ${m.deployment.service} ${m.deployment.previousVersion} → ${m.deployment.version}` +
            `${m.dependsOn.length ? ` (calls ${m.dependsOn.join(', ')})` : ''}`,
        );
      if (input.outside.length)
        say(`  outside the release: ${input.outside.map((o) => o.service).join(', ')}`);
      say(`  mode ${input.mode}`);
    }
    say(`Web UI   ${link(handle.workflowId)}`);
    const traceId = tracing ? await guardianTraceId(client, handle.workflowId) : undefined;
    if (traceId) say(`trace    ${traceId}`);
    if (!opts.wait) return;
    const stopWatching = new AbortController();
    const watching = described.closeTime
      ? Promise.resolve()
      : watchForWorker({ client, taskQueue: described.taskQueue, say: sayNow, signal: stopWatching.signal });
    try {
      const end = await followGuardian(client, handle as never, {
        pollMs: opts.poll * 1000,
        say,
        quietMs: QUIET_MS,
        namespace: conn.namespace,
      });
      if (end.kind === 'outcome') {
        const status = await releaseStatus(handle).catch(() => undefined);
        if (status) for (const m of status.release.members) say(`  ${m.service}: ${m.outcome ?? m.state}`);
      }
      process.exitCode = exitCodeForEnd(end);
    } finally {
      stopWatching.abort();
      await watching;
    }
  });
}

/** The release file, checked; then each member's deployment checked as admission would (exit 2 before anything starts). */
async function buildInput(opts: ReleaseOptions): Promise<ReleaseInput> {
  let loaded;
  try {
    loaded = await loadReleaseFile(opts.file);
  } catch (error) {
    if (error instanceof ReleaseFileError) throw new UserFacingError(error.message, EXIT.usage);
    throw error;
  }
  const input = releaseInputFrom(loaded, {
    releaseId: opts.releaseId,
    ...(opts.deployer !== undefined ? { deployer: opts.deployer } : {}),
    now: new Date(),
  });
  const problems = input.members.flatMap((m, i) =>
    deploymentProblems(m.deployment).map((p) =>
      p.startsWith('deployment.deploymentId')
        ? p.replace('deployment.deploymentId', '--release-id')
        : `${opts.file} members[${i}] (${m.deployment.service}): ${p.replace(/^deployment\./, '')}`,
    ),
  );
  const unique = [...new Set(problems)];
  if (unique.length === 1) throw new UserFacingError(unique[0]!, EXIT.usage);
  if (unique.length > 1)
    throw new UserFacingError(`${unique.length} problems:\n  ${unique.join('\n  ')}`, EXIT.usage);
  return withReplay(input, opts);
}

/**
 * `--replay`: a pipeline rehearsal of the release, as `guard --replay` is for
 * one deployment: every service reads the release scenario, which must hold
 * every member and outside service the release names.
 */
async function withReplay(input: ReleaseInput, opts: ReleaseOptions): Promise<ReleaseInput> {
  if (!opts.replay) {
    if (opts.speed !== undefined) throw new UserFacingError('--speed goes with --replay', EXIT.usage);
    return input;
  }
  const file = resolve(opts.replay);
  let scenario;
  try {
    scenario = (await loadReleaseScenarioFile(file)).scenario;
  } catch (err) {
    if (err instanceof ScenarioFileError)
      throw new UserFacingError(`--replay: ${file}: ${err.problems.join('; ')}`, EXIT.usage);
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserFacingError(
      `--replay: ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      EXIT.usage,
    );
  }
  const services = [
    ...input.members.map((m) => m.deployment.service),
    ...input.outside.map((o) => o.service),
  ];
  const missing = services.filter((service) => scenario.members[service] === undefined);
  if (missing.length > 0)
    throw new UserFacingError(
      `--replay: ${file} has no series for ${missing.join(', ')} (it has ${Object.keys(scenario.members).join(', ')})`,
      EXIT.usage,
    );
  const interval = input.members[0]!.policy.evaluation.intervalSeconds;
  return { ...input, replay: { releaseScenarioFile: file }, speed: opts.speed ?? defaultSpeed(interval) };
}
