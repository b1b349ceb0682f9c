import { randomUUID } from 'node:crypto';
import { connectClient } from '../client/connect';
import type { ResolvedConnection } from '../client/connection-profile';
import { startGuardian } from '../client/guardians';
import { statusQuery } from '../workflows/messages';
import { createWorker } from '../worker';
import { installRuntimeLogger } from '../worker/runtime';
import { startDevServer } from './temporal-dev-server';

export interface DemoOptions {
  port: number;
  uiPort: number;
  dbFile: string;
  watchSeconds: number;
  intervalSeconds: number;
  /** Keep the stack up after the story ends, so people can look at the Web UI. */
  keepRunning: boolean;
  say: (line: string) => void;
  /** Resolves when the user asks to stop (Ctrl-C). */
  stopRequested: Promise<void>;
}

/**
 * The one-command story on the embedded stack: a real Temporal dev server with
 * its Web UI, a worker, and one guardian from start to outcome, with progress
 * shown as it goes. Later issues add the sources, targets and rollback to it.
 */
export async function runDemo(options: DemoOptions): Promise<'promoted' | string> {
  const { say } = options;
  installRuntimeLogger('WARN');
  say(
    `starting the Temporal dev server (gRPC ${options.port}, Web UI ${options.uiPort}, db ${options.dbFile})…`,
  );
  const server = await startDevServer({ port: options.port, uiPort: options.uiPort, dbFile: options.dbFile });
  const connection: ResolvedConnection = {
    profileName: 'demo',
    address: server.address,
    namespace: server.namespace,
    taskQueue: 'ripcord-demo',
  };
  try {
    say('starting a worker (bundling the workflows takes a few seconds)…');
    const { worker, close } = await createWorker({ connection });
    const client = await connectClient(connection);
    try {
      const outcome = await worker.runUntil(async () => {
        const deployment = {
          deploymentId: `demo-${randomUUID().slice(0, 8)}`,
          service: 'checkout',
          environment: 'demo',
          version: '2.0.0',
          watchSeconds: options.watchSeconds,
          intervalSeconds: options.intervalSeconds,
        };
        const handle = await startGuardian(client, connection.taskQueue, deployment);
        const link = `${server.uiUrl}/namespaces/${server.namespace}/workflows/${encodeURIComponent(handle.workflowId)}`;
        say(`guardian started: ${handle.workflowId}`);
        say(`watch it in the Web UI: ${link}`);
        const result = handle.result();
        let done = false;
        void result.finally(() => (done = true)).catch(() => undefined);
        while (!done) {
          await Promise.race([result, new Promise((r) => setTimeout(r, options.intervalSeconds * 1000))]);
          if (done) break;
          const status = await handle.query(statusQuery);
          say(`  phase ${status.phase}, ${status.evaluations} evaluation(s)`);
        }
        const { outcome } = await result;
        say(`outcome: ${outcome}`);
        if (options.keepRunning) {
          say(`the stack stays up for the Web UI at ${server.uiUrl} — Ctrl-C to stop`);
          await options.stopRequested;
        }
        return outcome;
      });
      return outcome;
    } finally {
      await client.connection.close();
      await close();
    }
  } finally {
    await server.stop();
  }
}
