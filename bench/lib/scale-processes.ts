import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { findFreePort } from '../../src/dev/ports';
import { type DevServer, startDevServer } from '../../src/dev/temporal-dev-server';
import { WORKFLOWS_PATH } from '../../src/worker';
import { WORKFLOW_TRACING_INTERCEPTORS } from '../../src/worker/tracing';

/**
 * The processes a benchmark starts — Temporal dev servers and worker
 * processes — and the promise that none of them outlives it: each is killed
 * when the benchmark exits, however it exits, and on Ctrl-C or SIGTERM.
 */

const children = new Set<number>();

function killAll(): void {
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  children.clear();
}

let installed = false;
const interruptHooks = new Set<() => Promise<void>>();

/**
 * Something that stops its own processes when interrupted (the demo's stack):
 * awaited (at most 30 s) before the registered children are killed.
 */
export function onInterrupt(hook: () => Promise<void>): () => void {
  interruptHooks.add(hook);
  return () => interruptHooks.delete(hook);
}

/** Kill every registered child on exit, Ctrl-C and SIGTERM (call once, early). */
export function killChildrenOnExit(say: (line: string) => void): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`\n${signal}: stopping everything the benchmark started`);
      const hooks = Promise.all([...interruptHooks].map((hook) => hook().catch(() => undefined)));
      const timeout = new Promise((r) => setTimeout(r, 30_000));
      void Promise.race([hooks, timeout]).finally(() => {
        killAll();
        process.exit(130);
      });
    });
  }
}

export function registerChild(pid: number): void {
  if (pid > 0) children.add(pid);
}

export function forgetChild(pid: number): void {
  children.delete(pid);
}

/** An in-memory dev server on free ports, registered for the kill on exit. */
export async function startBenchServer(): Promise<DevServer> {
  const server = await startDevServer({
    port: await findFreePort(),
    uiPort: await findFreePort(),
    readyTimeoutMs: 120_000,
  });
  registerChild(server.pid);
  return server;
}

export async function stopBenchServer(server: DevServer): Promise<void> {
  await server.stop();
  forgetChild(server.pid);
}

/**
 * The workflow bundle, built once and written to `dir` for every worker process of the run;
 * `tracing`: with the OpenTelemetry workflow interceptors a tracing worker runs (issue 21).
 */
export async function writeWorkflowBundle(dir: string, options: { tracing?: boolean } = {}): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    ...(options.tracing ? { workflowInterceptorModules: [WORKFLOW_TRACING_INTERCEPTORS] } : {}),
    logger: new DefaultLogger('ERROR'),
  });
  const file = path.join(dir, options.tracing ? 'workflow-bundle-traced.js' : 'workflow-bundle.js');
  writeFileSync(file, code);
  return file;
}
