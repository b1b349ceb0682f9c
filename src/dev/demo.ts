import { resolve } from 'node:path';
import { followGuardian } from '../cli/progress';
import type { GuardianEnd } from '../cli/exit-codes';
import { loadPolicyFile } from '../policy';
import type { GuardianOutcome } from '../workflows/messages';
import { installRuntimeLogger } from '../worker/runtime';
import { type JournalSummary, prepareRehearsal, runRehearsal } from './rehearse';
import { startDevServer } from './temporal-dev-server';

/**
 * The one-command story on the embedded stack: the real Temporal dev server
 * with its Web UI, a worker, and one guardian from deploy to outcome, watching
 * a canary whose telemetry is replayed from a scenario, rolling back through
 * the recording dry-run target. (Real Prometheus, nginx and a demo fleet
 * replace the replay and the dry run with the sources and targets issue.)
 */

export const DEMO_STORIES = {
  'bad-canary': { scenario: 'bad-canary.json', expected: 'rolled-back' },
  healthy: { scenario: 'healthy.json', expected: 'promoted' },
} as const satisfies Record<string, { scenario: string; expected: GuardianOutcome }>;
export type DemoStory = keyof typeof DEMO_STORIES;

const DEMO_POLICY = resolve(__dirname, '..', '..', 'policies', 'examples', 'canary.yaml');
/** One 30-second interval of the story per second of demo. */
const DEMO_SPEED = 30;

export interface DemoOptions {
  story: DemoStory;
  port: number;
  uiPort: number;
  dbFile: string;
  stateDir: string;
  /** Keep the stack up after the story ends, so people can look at the Web UI. */
  keepRunning: boolean;
  say: (line: string) => void;
  /** Aborted on Ctrl-C: everything started is stopped. */
  signal: AbortSignal;
}

export interface DemoReport {
  end: GuardianEnd | undefined;
  expected: GuardianOutcome;
  journal: JournalSummary;
  auditFile: string;
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const { say, signal } = options;
  const story = DEMO_STORIES[options.story];
  installRuntimeLogger('WARN');
  const loaded = await loadPolicyFile(DEMO_POLICY);
  const prepared = await prepareRehearsal(
    loaded,
    resolve(__dirname, 'demo-scenarios', story.scenario),
    DEMO_SPEED,
  );

  say(
    `starting the Temporal dev server (gRPC ${options.port}, Web UI ${options.uiPort}, db ${options.dbFile})…`,
  );
  const server = await startDevServer({ port: options.port, uiPort: options.uiPort, dbFile: options.dbFile });
  try {
    say(`Web UI: ${server.uiUrl}`);
    say(
      `story "${options.story}": checkout 2.0.0 goes out as a canary next to 1.9.0, guarded by ` +
        `policies/examples/canary.yaml (${loaded.hash.slice(0, 19)}…); one 30 s interval per second`,
    );
    const report = await runRehearsal({
      prepared,
      connection: {
        profileName: 'demo',
        address: server.address,
        namespace: server.namespace,
        taskQueue: 'unused',
        webUi: server.uiUrl,
      },
      stateDir: options.stateDir,
      say,
      signal,
      follow: async ({ client, handle, link }) => {
        say(`guardian ${handle.workflowId}`);
        say(`watch it in the Web UI: ${link}`);
        return followGuardian(client, handle, { pollMs: 500, say, signal, quietMs: 15_000 });
      },
    });
    if (options.keepRunning && !signal.aborted) {
      say(`the stack stays up for the Web UI at ${server.uiUrl} — Ctrl-C to stop`);
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    }
    return {
      end: report.value,
      expected: story.expected,
      journal: report.journal,
      auditFile: report.auditFile,
    };
  } finally {
    await server.stop();
  }
}
