import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { parse, stringify } from 'yaml';
import { defaultActivityDeps } from '../../src/worker/composition';
import { findFreePort } from '../../src/dev/ports';
import { createWorker } from '../../src/worker';
import { CliProcess } from '../harness/cli';
import { bundleWorkflows, integrationCliEnv, integrationConnection, quietRuntime } from '../harness/temporal';

/**
 * Issue 17's repro, end to end: `ripcord guard --policy canary-p99-only.yaml … --watch
 * 1m --wait` with PROMETHEUS_TOKEN unset and Prometheus unreachable. Every
 * reading is an error, so the watch ends without evidence of health: the
 * guardian escalates (it promoted before), and the pipeline's `guard --wait`
 * exits 20 and prints why. A real worker (in this process) on the integration
 * tier's dev server; the CLI runs as a child process, as a pipeline runs it.
 */
jest.setTimeout(300_000);

const REPO_ROOT = resolve(__dirname, '..', '..');
const taskQueue = `evidence-${randomUUID()}`;
const service = `svc-${randomUUID().slice(0, 8)}`;
const deploymentId = `d-${randomUUID().slice(0, 8)}`;

let dir: string;
let policyFile: string;
let worker: Worker;
let running: Promise<void>;
let closeWorker: () => Promise<void>;
let savedToken: string | undefined;

beforeAll(async () => {
  quietRuntime();
  // The worker resolves the policy's ${secret:PROMETHEUS_TOKEN} from its own environment.
  savedToken = process.env.PROMETHEUS_TOKEN;
  delete process.env.PROMETHEUS_TOKEN;
  dir = mkdtempSync(join(tmpdir(), 'ripcord-evidence-'));
  // The canary example as written (the p99 variant the repro used, whose every series is one
  // Prometheus number), but for a service of this test's own and a Prometheus
  // address where nothing listens. An escalation waits for a person for the approval
  // timeout (an hour without an approval section): the shortest the schema allows, so
  // that the pipeline sees the ending within the test.
  const policy = parse(
    readFileSync(resolve(REPO_ROOT, 'policies', 'examples', 'canary-p99-only.yaml'), 'utf8'),
  );
  policy.metadata.service = service;
  policy.sources['prometheus-main'].url = `http://127.0.0.1:${await findFreePort()}`;
  policy.approval = { roles: ['sre'], quorum: 1, timeoutSeconds: 60, onTimeout: 'escalate' };
  policy.trustedKeys = { ...(policy.trustedKeys ?? {}), approvals: ['oncall-2026'] };
  policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, stringify(policy));
  const created = await createWorker({
    connection: integrationConnection(taskQueue),
    workflowBundle: await bundleWorkflows(),
    deps: defaultActivityDeps({ dryRun: true, stateDir: dir }),
  });
  worker = created.worker;
  closeWorker = created.close;
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await closeWorker?.();
  if (savedToken !== undefined) process.env.PROMETHEUS_TOKEN = savedToken;
  rmSync(dir, { recursive: true, force: true });
});

test('no usable health data: guard --watch 1m --wait ends escalated, exits 20 and says why', async () => {
  const env: NodeJS.ProcessEnv = {
    RIPCORD_PROFILE: '',
    ...integrationCliEnv(),
    RIPCORD_TASK_QUEUE: taskQueue,
    RIPCORD_ACTOR: '',
    RIPCORD_ROLE: '',
  };
  const args = ['guard', '--policy', policyFile, '--service', service, '--env', 'production'];
  args.push('--version', '2.0.0', '--previous', '1.9.0', '--deployment-id', deploymentId);
  const pipeline = new CliProcess([...args, '--watch', '1m', '--wait', '--poll', '0.5'], env);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 240_000)));
  const code = await Promise.race([pipeline.exited, timedOut]);
  clearTimeout(timer);
  if (code === 'timeout') await pipeline.stop('SIGINT');
  const output = `exit ${String(code)}\nstdout:\n${pipeline.stdout}\nstderr:\n${pipeline.stderr}`;

  expect({ code, output }).toMatchObject({ code: 20 });
  expect(pipeline.stdout).toContain('phase escalated');
  expect(pipeline.stdout).toContain(
    'outcome: escalated: the watch ended without evidence of health: ' +
      'no usable health data for error-rate (2 of 2 interval(s) failed to read); ' +
      'no usable health data for latency-p99 (2 of 2 interval(s) failed to read)',
  );
  expect(pipeline.stdout).not.toContain('promoted');
});
