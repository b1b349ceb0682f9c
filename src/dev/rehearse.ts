import path from 'node:path';
import { firstLine } from '../text/lines';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { defaultActivityDeps } from '../worker/composition';
import { connectClient } from '../client/connect';
import type { ResolvedConnection } from '../client/connection-profile';
import { type GuardianHandle, startGuardian, webUiLink } from '../client/guardians';
import type { RecordingTarget } from '../targets';
import { createWorker } from '../worker';
import { installRuntimeLogger } from '../worker/runtime';
import { findFreePort } from './ports';
import { type DevServer, startDevServer } from './temporal-dev-server';
import { type PreparedRehearsal, rehearsalInput } from '../rehearsal/prepare';

/** The server or the worker could not be reached or started; the message says which and why. */
export class RehearsalStartError extends Error {}

/** Ctrl-C: the guardian is terminated and everything started is stopped. */
export class RehearsalInterrupted extends Error {
  constructor() {
    super('rehearsal interrupted');
  }
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
