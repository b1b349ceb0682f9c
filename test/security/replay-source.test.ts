import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Client, type WorkflowHandle, WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { connectClient } from '../../src/client/connect';
import type { DevServer } from '../../src/dev/temporal-dev-server';
import { loadPolicyFile } from '../../src/policy';
import { createWorker } from '../../src/worker';
import type { GuardianInput } from '../../src/model/guardian';
import { startServer } from '../harness/security-stack';
import { bundleWorkflows, quietRuntime } from '../harness/temporal';

/**
 * Issue 16, "a policy source of type replay on a production worker reads any
 * file the worker can read". The attacker holds only the right to start a
 * workflow: with the raw Temporal client, a guardian whose policy (hashed the
 * way the loader hashes it) reads every series from a `replay` source naming a
 * file of the worker's. A production worker (not a dry run, no
 * --accept-replay) must refuse it at admission, naming the source, never
 * watch, and never put a byte of the file into history.
 */

const REPO_ROOT = resolve(__dirname, '..', '..');
const SECRET_LINE = 'AKIAIOSFODNN7EXAMPLE-replay-leak-canary';
const POLL_MS = 200;
const MAX_POLLS = 300;

let dir = '';
let taskQueue = '';
let server: DevServer | undefined;
let client: Client | undefined;
let worker: Worker | undefined;
let running: Promise<void> | undefined;
let closeWorker: (() => Promise<void>) | undefined;
const started: WorkflowHandle[] = [];

beforeAll(async () => {
  quietRuntime();
  dir = mkdtempSync(join(tmpdir(), 'ripcord-security-replay-'));
  taskQueue = `security-replay-${randomUUID()}`;
  const bundle = bundleWorkflows();
  server = await startServer();
  const connection = { profileName: 'security', address: server.address, namespace: 'default', taskQueue };
  // A production worker: real targets (none here), no dry run, no --accept-replay.
  const created = await createWorker({
    connection,
    workflowBundle: await bundle,
    depsOptions: { stateDir: join(dir, 'state') },
  });
  expect(created.deps.refuseReplay).toBe(true);
  worker = created.worker;
  closeWorker = created.close;
  running = worker.run();
  client = await connectClient(connection);
});

afterAll(async () => {
  for (const handle of started) await handle.terminate('security test over').catch(() => undefined);
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await closeWorker?.().catch(() => undefined);
  await client?.connection.close().catch(() => undefined);
  await server?.stop();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('a policy source of type replay on a production worker', () => {
  const targets: Array<[string, () => { file: string; content: string }]> = [
    [
      'a file with a secret-looking first line',
      () => {
        const file = join(dir, 'credentials');
        writeFileSync(file, `${SECRET_LINE}\nsecond line\n`);
        return { file, content: SECRET_LINE };
      },
    ],
    [
      'a JSON file whose keys are secrets',
      () => {
        const file = join(dir, 'config.json');
        writeFileSync(file, JSON.stringify({ [SECRET_LINE]: { baseline: [SECRET_LINE] } }));
        return { file, content: SECRET_LINE };
      },
    ],
  ];
  if (existsSync('/etc/hostname') && readFileSync('/etc/hostname', 'utf8').trim().length >= 4) {
    targets.push([
      '/etc/hostname',
      () => ({ file: '/etc/hostname', content: readFileSync('/etc/hostname', 'utf8').trim() }),
    ]);
  }

  test.each(targets)(
    'reading %s: refused at admission naming the source, never watched, nothing of the file in history',
    async (_label, target) => {
      const { file, content } = target();
      const handle = await startAttack(file);

      const end = await settle(handle);
      const history = await historyText(handle);
      // V8's JSON error quoted the first 10 characters of the text: check a prefix, not the whole line.
      expect(excerptAround(history, content.slice(0, 8))).toBeUndefined();
      expect(end.reachedWatch).toBe(false);
      expect(end.status).toBe('FAILED');
      const failure = await handle.result().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect(causeMessages(failure)).toContain(
        'policy.sources.leak: a replay source reads scenario files; this worker serves production ' +
          'and never reads replay data (only --dry-run or --accept-replay workers do)',
      );
      expect(history).not.toContain('"activityType":{"name":"evaluateHealth"}');
    },
  );
});

describe("a rehearsal's replayed scenario on a production worker", () => {
  test('is refused at admission, never watched, nothing of the file in history', async () => {
    const file = join(dir, 'credentials-rehearsal');
    writeFileSync(file, `${SECRET_LINE}\n`);
    // The canary policy as it is (Prometheus sources); the input asks to replay a file instead.
    const handle = await startAttack(undefined, { scenarioFile: file });

    const end = await settle(handle);
    const history = await historyText(handle);
    expect(excerptAround(history, SECRET_LINE.slice(0, 8))).toBeUndefined();
    expect(end.reachedWatch).toBe(false);
    expect(end.status).toBe('FAILED');
    const failure = await handle.result().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(causeMessages(failure)).toContain(
      'replay: a rehearsal replays a scenario file; this worker serves production and never reads replay data',
    );
  });
});

/**
 * What an attacker with start rights sends: the canary policy, every series read from a replay
 * "source" naming `file` (or, with `replay`, the policy as it is and a rehearsal's scenario).
 */
async function startAttack(
  file: string | undefined,
  replay?: GuardianInput['replay'],
): Promise<WorkflowHandle> {
  const raw = parseYaml(readFileSync(join(REPO_ROOT, 'policies/examples/canary.yaml'), 'utf8')) as Record<
    string,
    unknown
  >;
  const service = `sec-${randomUUID().slice(0, 8)}`;
  raw.metadata = { ...(raw.metadata as object), service, environment: 'production' };
  if (file !== undefined) {
    raw.sources = { leak: { type: 'replay', path: file } };
    const series = raw.series as Record<string, { source: string }>;
    for (const name of Object.keys(series)) series[name] = { ...series[name]!, source: 'leak' };
  }
  const policyFile = join(dir, `policy-${service}.yaml`);
  writeFileSync(policyFile, toYaml(raw));
  // The hash the loader computes is the one admission recomputes: the attack passes that check.
  const { policy, hash } = await loadPolicyFile(policyFile);
  const deploymentId = `d-${randomUUID().slice(0, 8)}`;
  const input: GuardianInput = {
    deployment: {
      deploymentId,
      service,
      environment: 'production',
      version: '2.0.0',
      previousVersion: '1.9.0',
      deployer: 'mallory',
      deployedAt: new Date().toISOString(),
    },
    policy,
    policyHash: hash,
    // One interval a second: on a worker that would watch, the file is read at once.
    speed: 30,
    ...(replay ? { replay } : {}),
  };
  const handle = await client!.workflow.start('guardian', {
    taskQueue,
    workflowId: `attack-${deploymentId}`,
    args: [input],
  });
  started.push(handle);
  return handle;
}

/**
 * Waits until the guardian closed, or read health (on the code before the fix it watches for good,
 * reading the file each interval: the history then shows what it read).
 */
async function settle(handle: WorkflowHandle): Promise<{ status: string; reachedWatch: boolean }> {
  let reachedWatch = false;
  for (let poll = 0; poll < MAX_POLLS; poll++) {
    const description = await handle.describe();
    const phase = description.searchAttributes?.RipcordPhase;
    reachedWatch ||= Array.isArray(phase) && phase[0] !== 'admit';
    const history = await historyText(handle);
    const readHealth = history.includes('readHealthInterval') || history.includes('evaluateHealth');
    reachedWatch ||= readHealth;
    if (description.status.name !== 'RUNNING' || readHealth) {
      return { status: description.status.name, reachedWatch };
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  if (reachedWatch) return { status: 'RUNNING', reachedWatch };
  throw new Error('the guardian neither closed nor watched');
}

/**
 * The history as text with every payload decoded: payload data is bytes, or base64 in the JSON form
 * of the history, where JSON.stringify alone would hide what the worker wrote.
 */
async function historyText(handle: WorkflowHandle): Promise<string> {
  const history = await handle.fetchHistory();
  const decoded: string[] = [];
  const visit = (value: unknown, key: string): void => {
    if (value instanceof Uint8Array) {
      decoded.push(Buffer.from(value).toString('utf8'));
    } else if (typeof value === 'string' && key === 'data') {
      decoded.push(Buffer.from(value, 'base64').toString('utf8'));
    } else if (Array.isArray(value)) {
      value.forEach((item) => visit(item, key));
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) visit(v, k);
    }
  };
  visit(history, '');
  return [JSON.stringify(history), ...decoded].join('\n');
}

/** Where `needle` occurs in `text`, with some context; undefined when it does not. */
function excerptAround(text: string, needle: string): string | undefined {
  const at = text.indexOf(needle);
  return at < 0 ? undefined : text.slice(Math.max(0, at - 150), at + needle.length + 50);
}

function causeMessages(error: unknown): string {
  const messages: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    messages.push(current.message);
    current = current.cause;
  }
  return messages.join(' <- ');
}
