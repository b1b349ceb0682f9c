import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultActivityDeps } from '../activities';
import { connectClient } from '../client/connect';
import type { ResolvedConnection } from '../client/connection-profile';
import { type GuardianHandle, startGuardian, webUiLink } from '../client/guardians';
import type { LoadedPolicy, Policy } from '../policy';
import { type Scenario, scenarioLength } from '../simulate/scenario';
import { loadScenarioFile, ScenarioFileError } from '../simulate/scenario-files';
import type { RecordingTarget } from '../targets';
import { createWorker } from '../worker';
import { installRuntimeLogger } from '../worker/runtime';
import type { DeploymentInfo, GuardianInput } from '../workflows/messages';
import { findFreePort } from './ports';
import { type DevServer, startDevServer } from './temporal-dev-server';

/**
 * The tabletop exercise for a policy: the real guardian on a real Temporal
 * server, with a scenario file as its only health source and the recording
 * dry-run target instead of production, time compressed by `speed`.
 */

/** The inputs do not fit together (an unreadable scenario, another interval): a usage problem. */
export class RehearsalSetupError extends Error {}

/** The server or the worker could not be reached or started; the message says which and why. */
export class RehearsalStartError extends Error {}

/** Ctrl-C: the guardian is terminated and everything started is stopped. */
export class RehearsalInterrupted extends Error {
  constructor() {
    super('rehearsal interrupted');
  }
}

export interface PreparedRehearsal {
  loaded: LoadedPolicy;
  scenario: Scenario;
  /** Absolute, so that the worker finds it whatever its working directory. */
  scenarioFile: string;
  speed: number;
  /** The scenario's length in policy time: the guardian watches exactly as long as the data lasts. */
  watchSeconds: number;
}

/** Why a scenario cannot stand in for a policy's sources; empty when it can. */
export function rehearsalProblems(policy: Policy, scenario: Scenario): string[] {
  const problems: string[] = [];
  if (policy.evaluation.intervalSeconds !== scenario.intervalSeconds) {
    problems.push(
      `the policy evaluates every ${policy.evaluation.intervalSeconds} s (evaluation.intervalSeconds) but the ` +
        `scenario "${scenario.name}" has one value every ${scenario.intervalSeconds} s (intervalSeconds); ` +
        'a rehearsal replays one scenario value per evaluation, so they must be equal',
    );
  }
  const missing = Object.keys(policy.series).filter((name) => scenario.series[name] === undefined);
  if (missing.length > 0) {
    problems.push(
      `the scenario "${scenario.name}" has no series ${missing.map((m) => `"${m}"`).join(', ')} that the policy reads ` +
        `(it has ${Object.keys(scenario.series).join(', ')})`,
    );
  }
  return problems;
}

/** `speed` may depend on the scenario's interval (the CLI's default does). */
export async function prepareRehearsal(
  loaded: LoadedPolicy,
  scenarioFile: string,
  speed: number | ((intervalSeconds: number) => number),
): Promise<PreparedRehearsal> {
  let scenario: Scenario;
  try {
    scenario = (await loadScenarioFile(scenarioFile)).scenario;
  } catch (err) {
    if (err instanceof ScenarioFileError) throw new RehearsalSetupError(`invalid scenario ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    throw new RehearsalSetupError(
      `cannot read scenario ${scenarioFile}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  const problems = rehearsalProblems(loaded.policy, scenario);
  if (problems.length > 0) throw new RehearsalSetupError(problems.join('\n  '));
  return {
    loaded,
    scenario,
    scenarioFile: path.resolve(scenarioFile),
    speed: typeof speed === 'function' ? speed(scenario.intervalSeconds) : speed,
    watchSeconds: scenarioLength(scenario) * scenario.intervalSeconds,
  };
}

/** The guardian's input: a made-up deployment of the policy's service, the scenario as its only source. */
export function rehearsalInput(prepared: PreparedRehearsal, deploymentId: string, now: Date): GuardianInput {
  const { metadata } = prepared.loaded.policy;
  const deployment: DeploymentInfo = {
    deploymentId,
    service: metadata.service,
    environment: metadata.environment,
    // The scenario's groups are called baseline and canary; the versions say which is which.
    version: 'canary',
    previousVersion: 'baseline',
    deployer: 'ripcord-rehearse',
    deployedAt: now.toISOString(),
  };
  return {
    deployment,
    policy: prepared.loaded.policy,
    policyHash: prepared.loaded.hash,
    watchSeconds: prepared.watchSeconds,
    replay: { scenarioFile: prepared.scenarioFile },
    speed: prepared.speed,
  };
}

/** What the recording target did for this rehearsal: each step once, or the proof that it was not. */
export interface JournalSummary {
  file: string;
  steps: Array<{ index: number; name: string; applied: number; compensated: boolean }>;
}

export async function summariseJournal(
  recording: Pick<RecordingTarget, 'view' | 'journalFile'>,
  deploymentId: string,
): Promise<JournalSummary> {
  const view = await recording.view();
  const ours = view.entries.filter((e) => e.scope.deploymentId === deploymentId);
  const steps: JournalSummary['steps'] = [];
  for (const entry of ours) {
    if (entry.kind !== 'begin' || steps.some((s) => s.index === entry.index)) continue;
    const mine = ours.filter((e) => e.key === entry.key);
    steps.push({
      index: entry.index,
      name: entry.name,
      applied: mine.filter((e) => e.kind === 'applied').length,
      compensated: mine.some((e) => e.kind === 'compensated'),
    });
  }
  return { file: recording.journalFile, steps: steps.sort((a, b) => a.index - b.index) };
}

/** The running rehearsal, handed to whoever shows its progress. */
export interface RehearsalRun {
  client: Client;
  handle: GuardianHandle;
  link: string;
  server: string;
}

export interface RunRehearsalOptions<T> {
  prepared: PreparedRehearsal;
  /** A server of the user's (from a profile); absent: an embedded dev server on free ports. */
  connection?: ResolvedConnection;
  /** The rehearsal's own files: the dry-run journal and the audit trail. */
  stateDir: string;
  say: (line: string) => void;
  signal: AbortSignal;
  follow: (run: RehearsalRun) => Promise<T>;
}

export interface RehearsalReport<T> {
  value: T;
  deploymentId: string;
  journal: JournalSummary;
  auditFile: string;
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? '';
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new RehearsalInterrupted();
}

/** Runs one rehearsal from start to end and stops everything it started, also on Ctrl-C. */
export async function runRehearsal<T>(options: RunRehearsalOptions<T>): Promise<RehearsalReport<T>> {
  const { prepared, say, signal } = options;
  installRuntimeLogger('WARN');
  const id = randomUUID().slice(0, 8);
  const deploymentId = `rehearsal-${id}`;
  let server: DevServer | undefined;
  // If this process dies without unwinding (an uncaught error, a closed stdout), the embedded
  // server must not outlive it: 'exit' handlers run synchronously, so a plain kill is all there is.
  const killServer = () => {
    if (server && server.pid > 0) {
      try {
        process.kill(server.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  process.once('exit', killServer);
  try {
    let base = options.connection;
    if (!base) {
      say('starting an embedded Temporal dev server…');
      server = await startDevServer({ port: await findFreePort(), uiPort: await findFreePort() });
      base = {
        profileName: 'rehearsal',
        address: server.address,
        namespace: server.namespace,
        taskQueue: 'unused',
        webUi: server.uiUrl,
      };
      say(
        `embedded dev server on ${server.address}, Web UI ${server.uiUrl} (stopped when the rehearsal ends)`,
      );
    }
    throwIfAborted(signal);
    // A task queue of its own: no other worker ever picks up this guardian's tasks.
    const connection: ResolvedConnection = { ...base, taskQueue: `ripcord-rehearsal-${id}` };
    const deps = defaultActivityDeps({
      dryRun: true,
      stateDir: path.join(options.stateDir, deploymentId),
      pauseScale: 1 / prepared.speed,
    });
    const client = await connectClient(connection).catch((err: Error) => {
      throw new RehearsalStartError(
        `cannot reach Temporal at ${connection.address}: ${firstLine(err.message)}`,
      );
    });
    try {
      say('starting an in-process worker (bundling the workflows takes a few seconds)…');
      const { worker, close } = await createWorker({ connection, deps }).catch((err: Error) => {
        throw new RehearsalStartError(`cannot start the rehearsal's worker: ${firstLine(err.message)}`);
      });
      try {
        throwIfAborted(signal);
        const value = await worker.runUntil(async () => {
          const input = rehearsalInput(prepared, deploymentId, new Date());
          const handle = await startGuardian(client, connection.taskQueue, input);
          const interrupted = new Promise<never>((_, reject) => {
            if (signal.aborted) reject(new RehearsalInterrupted());
            signal.addEventListener('abort', () => reject(new RehearsalInterrupted()), { once: true });
          });
          try {
            return await Promise.race([
              options.follow({
                client,
                handle,
                link: webUiLink(
                  connection.webUi ?? 'http://127.0.0.1:8233',
                  connection.namespace,
                  handle.workflowId,
                ),
                server: connection.address,
              }),
              interrupted,
            ]);
          } catch (err) {
            // A dry run, so stopping it hard is safe; leaving it would keep a guardian nobody serves.
            if (err instanceof RehearsalInterrupted) {
              await handle.terminate('rehearsal interrupted').catch(() => undefined);
            }
            throw err;
          }
        });
        return {
          value,
          deploymentId,
          journal: await summariseJournal(deps.recording!, deploymentId),
          auditFile: path.join(options.stateDir, deploymentId, 'audit.jsonl'),
        };
      } finally {
        await close();
      }
    } finally {
      await client.connection.close();
    }
  } finally {
    await server?.stop();
    process.removeListener('exit', killServer);
  }
}
