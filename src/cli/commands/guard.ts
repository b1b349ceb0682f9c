import { type Command, Option } from 'commander';
import {
  findGuardian,
  startGuardian,
  type GuardianHandle,
  WorkflowExecutionAlreadyStartedError,
} from '../../client/guardians';
import { watchForWorker } from '../../client/task-queue';
import { prepareRehearsal, RehearsalSetupError } from '../../dev/rehearse';
import { durationWithUnit, parseDurationSeconds } from '../duration';
import { EXIT, exitCodeForEnd, OUTCOME_EXIT_CODES_HELP } from '../exit-codes';
import { UserFacingError } from '../errors';
import type { LoadedPolicy } from '../../policy';
import type { GuardianInput } from '../../workflows/messages';
import { defaultSpeed, parseSpeed } from './rehearse';
import { buildGuardianInput, type GuardFlags } from '../guard-input';
import { loadPolicyForCommand } from '../policy-input';
import { followGuardian } from '../progress';
import { withSession } from '../temporal-session';
import { replayTimeNote } from '../../model/replay-cadence';

interface GuardOptions extends GuardFlags {
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

export function registerGuardCommand(program: Command): void {
  program
    .command('guard')
    .description(
      'start the guardian of one deployment (from a pipeline); a retried start joins the running one',
    )
    .requiredOption(
      '--policy <file>',
      'rollback policy (YAML or JSON); its service and environment must match',
    )
    .requiredOption('--service <name>', 'service being deployed')
    .requiredOption('--env <name>', 'environment, e.g. production')
    .requiredOption('--version <version>', 'the new version')
    .requiredOption('--previous <version>', 'the version it replaces (the rollback target)')
    .requiredOption('--deployment-id <id>', 'unique id of this deployment')
    .option('--artifact <digest>', 'digest of the new artifact, sha256:<hex>')
    .option('--previous-digest <digest>', 'digest to return to on rollback, sha256:<hex>')
    .option('--deployer <who>', 'who deployed (may not approve the rollback unless the policy allows it)')
    .option(
      '--watch <duration>',
      'how long to watch before promoting, with a unit: 10m, 600s (default: from the policy)',
      durationWithUnit('--watch'),
    )
    .option('--wait', 'show progress and wait for the outcome; the exit code tells it (below)')
    .option('--profile <name|file>', 'connection profile (default: local or $RIPCORD_PROFILE)')
    .option(
      '--replay <scenario>',
      'pipeline rehearsal: replace every source of the policy by this scenario file (the worker reads it; ' +
        'run it with --dry-run); watches as long as the scenario lasts unless --watch says otherwise',
    )
    .option(
      '--speed <n>',
      'with --replay: time compression (default: one interval per second, as ripcord rehearse)',
      parseSpeed,
    )
    .addOption(
      new Option('--poll <duration>', 'how often --wait polls the status')
        .default(2)
        .argParser(parseDurationSeconds)
        .hideHelp(),
    )
    .addHelpText('after', `\n${OUTCOME_EXIT_CODES_HELP}\n  (without --wait: 0 once the guardian runs)`)
    .action(guard);
}

async function guard(opts: GuardOptions): Promise<void> {
  const loaded = await loadPolicyForCommand(opts.policy);
  const input = await withReplay(buildGuardianInput(loaded, opts, new Date()), loaded, opts);
  await withSession(opts.profile, async ({ client, conn, link, serviceLink }) => {
    const askedAt = Date.now();
    let handle: GuardianHandle;
    try {
      handle = await startGuardian(client, conn.taskQueue, input);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // The deployment's guardian already ran to its end: report that one, never start a second.
      handle = await findGuardian(client, err.workflowId);
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
