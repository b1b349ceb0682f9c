import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { parseDocument } from 'yaml';
import { connectClient } from '../../src/client/connect';
import { findGuardian, listGuardians, sendAction } from '../../src/client/guardians';
import { releaseStatus, startRelease } from '../../src/client/releases';
import { type NginxServer, startNginx } from '../../src/dev/nginx';
import { findFreePort } from '../../src/dev/ports';
import type { AuditRecord } from '../../src/model/audit';
import type { ReleaseInput, ReleaseResult } from '../../src/model/release';
import { parsePolicyText } from '../../src/policy';
import { TargetRegistry } from '../../src/targets';
import {
  NginxTrafficTarget,
  type NginxTargetConfigInput,
  readServiceState,
  setCanaryWeight,
} from '../../src/targets/nginx';
import { createWorker } from '../../src/worker';
import { CliProcess } from '../harness/cli';
import { bundleWorkflows, integrationCliEnv, integrationConnection, quietRuntime } from '../harness/temporal';
import { judgeRelease } from '../../src/releases/judge';
import { decisionConfigFromPolicy } from '../../src/policy/decision-config';
import type { ReleaseScenario } from '../../src/releases/scenario';

/**
 * Releases end to end on the real dev server, a real worker and a real nginx
 * (the members' shift-traffic steps are real upstream changes): isolated,
 * cascade, systemic and together, side by side. Health is a replayed release
 * scenario (the worker accepts replay, as a rehearsal worker does); each test
 * asserts which members were rolled back, in which order, and that nothing
 * else was touched (nginx weights of the members kept, and the members'
 * outcomes).
 */
jest.setTimeout(300_000);

const REPO_ROOT = resolve(__dirname, '..', '..');
const taskQueue = `releases-${randomUUID()}`;
const INTERVAL = 10;
const SPEED = 10;
const LENGTH = 40;
/** The canary weight every member starts at: a member rolled back ends at 0, one kept stays here. */
const START_WEIGHT = 40;

let dir: string;
let nginx: NginxServer;
let traffic: NginxTargetConfigInput;
const backends: Server[] = [];
let worker: Worker;
let running: Promise<void>;
let closeWorker: () => Promise<void>;
let client: Client;
/** Notifications go to the old version's backend, which answers 200 to anything. */
let hookHost: string;

const KINDS = ['isolated', 'cascade', 'systemic', 'together'] as const;
/** `cli`: an isolated regression, driven through the ripcord CLI as a pipeline and an operator would. */
type Kind = (typeof KINDS)[number] | 'cli';
const svc = (kind: Kind, name: 'payments' | 'checkout' | 'db') => `${kind}-${name}`;

function backend(version: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'x-version': version });
    res.end(version);
  });
  backends.push(server);
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => done(`127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

beforeAll(async () => {
  quietRuntime();
  dir = mkdtempSync(join(tmpdir(), 'ripcord-releases-'));
  const [v1, v2] = await Promise.all([backend('1.9.0'), backend('2.0.0')]);
  hookHost = v1;
  process.env.RELEASES_TEST_HMAC = 'releases-test-hmac';
  const members = [...KINDS, 'cli' as const].flatMap((k) => [svc(k, 'payments'), svc(k, 'checkout')]);
  nginx = await startNginx({ dir: join(dir, 'nginx'), port: await findFreePort(), services: members });
  traffic = {
    type: 'nginx',
    ...nginx.targetPaths,
    pauseScale: 0.001,
    services: Object.fromEntries(
      members.map((m) => [m, { pattern: 'canary' as const, baseline: v1, canary: v2 }]),
    ),
  };
  for (const member of members) await setCanaryWeight(traffic, member, START_WEIGHT);
  const connection = integrationConnection(taskQueue);
  const created = await createWorker({
    connection,
    workflowBundle: await bundleWorkflows(),
    depsOptions: {
      stateDir: join(dir, 'state'),
      insecureClaims: true,
      acceptReplay: true,
      targets: new TargetRegistry({ 'shift-traffic': new NginxTrafficTarget(traffic) }),
    },
  });
  worker = created.worker;
  closeWorker = created.close;
  running = worker.run();
  client = await connectClient(connection);
}, 120_000);

afterAll(async () => {
  await client?.connection.close();
  worker?.shutdown();
  await running;
  await closeWorker?.();
  await nginx?.stop();
  await Promise.all(backends.map((s) => new Promise((done) => s.close(done))));
  rmSync(dir, { recursive: true, force: true });
});

/** The example p99 policy for one member: 10 s intervals, one real drain step, no approval. */
function memberPolicy(service: string) {
  return parsePolicyText(memberPolicyText(service), { filename: `canary-p99-only.yaml (${service})` });
}

function memberPolicyText(service: string): string {
  const file = resolve(REPO_ROOT, 'policies', 'examples', 'canary-p99-only.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.setIn(['metadata', 'service'], service);
  doc.setIn(['evaluation', 'intervalSeconds'], INTERVAL);
  doc.setIn(['evaluation', 'confirmationWindowSeconds'], 20);
  doc.setIn(['evaluation', 'maxInconclusiveSeconds'], 300);
  doc.setIn(['recovery', 'deadlineSeconds'], 60);
  doc.setIn(
    ['plan', 'steps'],
    doc.createNode([
      {
        name: 'drain-canary',
        type: 'shift-traffic',
        weights: [0],
        pauseSeconds: 0,
        timeoutSeconds: 60,
        verify: { targetState: true, settleSeconds: 0, timeoutSeconds: 30 },
      },
    ]),
  );
  doc.setIn(
    ['notifications'],
    doc.createNode([
      {
        name: 'hook',
        type: 'webhook',
        url: `http://${hookHost}/notify`,
        hmacSecret: '${secret:RELEASES_TEST_HMAC}',
      },
    ]),
  );
  doc.delete('trustedKeys');
  doc.delete('approval');
  return doc.toString();
}

type Series = Record<string, { baseline: Array<number | null>; canary?: Array<number | null> }>;

/** Counts per interval: 1,000 requests a group, errors as given (a small deterministic wobble). */
function series(errors: (i: number, group: 'baseline' | 'canary') => number, withCanary: boolean): Series {
  const values = (group: 'baseline' | 'canary', f: (i: number) => number) =>
    Array.from({ length: LENGTH }, (_, i) => f(i));
  const groups = (f: (i: number, group: 'baseline' | 'canary') => number) => ({
    baseline: values('baseline', (i) => f(i, 'baseline')),
    ...(withCanary ? { canary: values('canary', (i) => f(i, 'canary')) } : {}),
  });
  return {
    requests: groups(() => 1000),
    errors: groups(errors),
    latency_p99_ms: groups((i) => 300 + (i % 4) * 5),
  };
}

const wobble = (i: number, group: string) => 4 + ((i * 7 + (group === 'canary' ? 3 : 0)) % 4);
const ONSET = 6;

/**
 * One release scenario per kind: payments calls db (outside the release),
 * checkout calls payments. The cascade's checkout inherits part of payments'
 * errors until payments is rolled back (the interval the judge rolls it back
 * at, found by judging the scenario first), then recovers, as a real caller would.
 */
function scenarioFor(kind: Kind): ReleaseScenario {
  const payments = (i: number, g: string) =>
    kind !== 'systemic' && g === 'canary' && i >= ONSET
      ? 120
      : kind === 'systemic' && i >= ONSET
        ? 90
        : wobble(i, g);
  const checkout = (i: number, g: string) =>
    kind === 'cascade' && g === 'canary' && i >= ONSET
      ? 45
      : kind === 'systemic' && i >= ONSET
        ? 80
        : wobble(i, g);
  const db = (i: number, g: string) => (kind === 'systemic' && i >= ONSET ? 100 : wobble(i, g));
  const scenario: ReleaseScenario = {
    format: 'ripcord.release-scenario/v1',
    name: `${kind} release`,
    intervalSeconds: INTERVAL,
    members: {
      [svc(kind, 'db')]: { inRelease: false, dependsOn: [], series: series(db, false) },
      [svc(kind, 'payments')]: {
        inRelease: true,
        dependsOn: [svc(kind, 'db')],
        series: series(payments, true),
      },
      [svc(kind, 'checkout')]: {
        inRelease: true,
        dependsOn: [svc(kind, 'payments')],
        series: series(checkout, true),
      },
    },
  } as ReleaseScenario;
  if (kind === 'cascade') {
    const judged = judgeRelease(scenario, {
      config: decisionConfigFromPolicy(memberPolicy(svc(kind, 'payments')).policy),
      watchEnded: false,
    });
    const rolledBackAt = judged.decidedAtIndex!;
    const canary = scenario.members[svc(kind, 'checkout')]!.series.errors!.canary!;
    for (let i = rolledBackAt + 1; i < LENGTH; i++) canary[i] = wobble(i, 'canary');
  }
  return scenario;
}

function releaseInput(kind: Kind): ReleaseInput {
  const file = join(dir, `${kind}.json`);
  writeFileSync(file, JSON.stringify(scenarioFor(kind)));
  const member = (name: 'payments' | 'checkout', dependsOn: string[]) => {
    const service = svc(kind, name);
    const loaded = memberPolicy(service);
    return {
      deployment: {
        deploymentId: `r-${kind}-${randomUUID().slice(0, 6)}`,
        service,
        environment: 'production',
        version: '2.0.0',
        previousVersion: '1.9.0',
        deployedAt: new Date().toISOString(),
      },
      policy: loaded.policy,
      policyHash: loaded.hash,
      dependsOn,
    };
  };
  const payments = member('payments', [svc(kind, 'db')]);
  const checkout = member('checkout', [svc(kind, 'payments')]);
  const releaseId = payments.deployment.deploymentId;
  checkout.deployment.deploymentId = releaseId;
  return {
    releaseId,
    name: `shop-${kind}`,
    environment: 'production',
    mode: kind === 'together' ? 'together' : 'independent',
    startedAt: new Date().toISOString(),
    members: [payments, checkout],
    outside: [
      {
        service: svc(kind, 'db'),
        version: '1.0.0',
        policy: payments.policy,
        policyHash: payments.policyHash,
        dependsOn: [],
      },
    ],
    settleSeconds: 20,
    watchSeconds: (LENGTH - 4) * INTERVAL,
    replay: { releaseScenarioFile: file },
    speed: SPEED,
  };
}

async function weight(service: string): Promise<number | undefined> {
  const state = await readServiceState(traffic, service);
  return state.state?.pattern === 'canary' ? state.state.canaryWeight : undefined;
}

function auditOf(workflowId: string): AuditRecord[] {
  return readFileSync(join(dir, 'state', 'audit.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditRecord)
    .filter((r) => r.workflowId === workflowId);
}

async function run(kind: Kind): Promise<{ result: ReleaseResult; workflowId: string }> {
  const handle = await startRelease(client, releaseInput(kind), { taskQueue });
  return { result: await handle.result(), workflowId: handle.workflowId };
}

test('isolated, cascade and together: the culprit rolled back (dependents first only together), the rest kept', async () => {
  const [isolated, cascade, together] = await Promise.all([run('isolated'), run('cascade'), run('together')]);

  // Isolated: payments alone regressed; checkout is kept and promoted, its traffic untouched.
  expect(isolated.result).toMatchObject({
    outcome: 'rolled-back',
    rolledBack: [svc('isolated', 'payments')],
    members: { [svc('isolated', 'payments')]: 'rolled-back', [svc('isolated', 'checkout')]: 'promoted' },
  });
  expect(isolated.result.verdicts.map((v) => v.kind)).toEqual(['isolated']);
  expect(await weight(svc('isolated', 'payments'))).toBe(0);
  expect(await weight(svc('isolated', 'checkout'))).toBe(START_WEIGHT);

  // Cascade: checkout's errors are payments'; payments is rolled back, checkout judged again and kept.
  expect(cascade.result).toMatchObject({
    outcome: 'rolled-back',
    rolledBack: [svc('cascade', 'payments')],
    members: { [svc('cascade', 'payments')]: 'rolled-back', [svc('cascade', 'checkout')]: 'promoted' },
  });
  expect(cascade.result.verdicts.map((v) => v.kind)).toEqual(['cascade']);
  expect(await weight(svc('cascade', 'checkout'))).toBe(START_WEIGHT);
  const verdict = auditOf(cascade.workflowId).find((r) => r.kind === 'release-verdict');
  expect(verdict?.details).toMatchObject({
    verdict: 'cascade',
    rollback: [svc('cascade', 'payments')],
    members: expect.arrayContaining([
      expect.objectContaining({
        service: svc('cascade', 'checkout'),
        verdict: 'explained',
        explainedBy: [svc('cascade', 'payments')],
      }),
    ]),
  });

  // Together (a contract change): payments' regression rolls back both, the caller first.
  expect(together.result).toMatchObject({
    outcome: 'rolled-back',
    rolledBack: [svc('together', 'checkout'), svc('together', 'payments')],
  });
  expect(await weight(svc('together', 'payments'))).toBe(0);
  expect(await weight(svc('together', 'checkout'))).toBe(0);
  const members = auditOf(together.workflowId)
    .filter((r) => r.kind === 'release-member')
    .map((r) => (r.details as { service: string }).service);
  expect(members).toEqual([svc('together', 'checkout'), svc('together', 'payments')]);
});

test('systemic: stable versions degrade too, so nothing is rolled back; the release holds and escalates until a person aborts it', async () => {
  const input = releaseInput('systemic');
  const handle = await startRelease(client, input, { taskQueue });
  const deadline = Date.now() + 120_000;
  let status = await releaseStatus(handle);
  while (status.phase !== 'escalated' && status.phase !== 'close' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    status = await releaseStatus(handle);
  }
  expect({ phase: status.phase, verdicts: status.release.verdicts.map((v) => v.kind) }).toEqual({
    phase: 'escalated',
    verdicts: ['systemic'],
  });
  expect(status.release.members.map((m) => m.state)).toEqual(['held', 'held']);
  // The release is found by its id alone, as `ripcord abort <release-id>` finds it.
  const found = await findGuardian(client, input.releaseId);
  expect(found.workflowId).toBe(handle.workflowId);
  // A member refuses people: they address the release.
  const member = client.workflow.getHandle(status.release.members[0]!.workflowId);
  const refused = await sendAction(member as never, 'abort', {
    actor: 'oncall',
    role: 'sre',
    reason: 'direct',
  }).then(
    () => 'accepted',
    (error: Error & { cause?: Error }) => error.cause?.message ?? error.message,
  );
  expect(refused).toMatch(/is a member of release .*: send abort to the release/);
  const aborted = await sendAction(found, 'abort', {
    actor: 'team-payments',
    role: 'owner',
    reason: 'platform incident',
  });
  expect(aborted).toMatchObject({ accepted: true, message: 'abort requested' });
  const result = await handle.result();
  expect(result).toMatchObject({
    outcome: 'aborted',
    rolledBack: [],
    members: { [svc('systemic', 'payments')]: 'aborted', [svc('systemic', 'checkout')]: 'aborted' },
  });
  expect(await weight(svc('systemic', 'payments'))).toBe(START_WEIGHT);
  expect(await weight(svc('systemic', 'checkout'))).toBe(START_WEIGHT);
  // `list` shows the members under their release.
  const rows = await listGuardians(client, { types: ['guardian', 'release'], deploymentId: input.releaseId });
  expect(
    rows
      .filter((r) => r.parentWorkflowId === handle.workflowId)
      .map((r) => r.service)
      .sort(),
  ).toEqual([svc('systemic', 'checkout'), svc('systemic', 'payments')]);
});

/** One `ripcord` command, as a pipeline or a person runs it, against this file's server and task queue. */
async function ripcord(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = new CliProcess(args, {
    RIPCORD_PROFILE: '',
    ...integrationCliEnv(),
    RIPCORD_WEB_UI: process.env.RIPCORD_TEST_TEMPORAL_UI,
    RIPCORD_TASK_QUEUE: taskQueue,
  });
  const code = await cli.exited;
  return { code, stdout: cli.stdout, stderr: cli.stderr };
}

test('the CLI: ripcord release --wait from a release file, then status, list and report on the release id', async () => {
  const files = join(dir, 'cli');
  mkdirSync(files, { recursive: true });
  for (const name of ['payments', 'checkout'] as const) {
    writeFileSync(join(files, `${name}.yaml`), memberPolicyText(svc('cli', name)));
  }
  writeFileSync(
    join(files, 'release.yaml'),
    [
      'apiVersion: ripcord/v1',
      'kind: Release',
      'metadata: { name: shop-cli, environment: production }',
      'rollback: { mode: independent, settleSeconds: 20 }',
      `watchSeconds: ${(LENGTH - 4) * INTERVAL}`,
      'members:',
      `  - { service: ${svc('cli', 'payments')}, version: 2.0.0, previousVersion: 1.9.0, policy: payments.yaml, dependsOn: [${svc('cli', 'db')}] }`,
      `  - { service: ${svc('cli', 'checkout')}, version: 2.0.0, previousVersion: 1.9.0, policy: checkout.yaml, dependsOn: [${svc('cli', 'payments')}] }`,
      'outside:',
      `  - { service: ${svc('cli', 'db')}, version: 1.0.0 }`,
      '',
    ].join('\n'),
  );
  const scenario = join(files, 'scenario.json');
  writeFileSync(scenario, JSON.stringify(scenarioFor('cli')));
  const releaseId = `cli-${randomUUID().slice(0, 6)}`;

  const started = await ripcord([
    'release',
    '--file',
    join(files, 'release.yaml'),
    '--release-id',
    releaseId,
    '--replay',
    scenario,
    '--speed',
    String(SPEED),
    '--wait',
  ]);
  // Exit 10: rolled back, as `ripcord guard --wait` says it.
  expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 10, stderr: '' });
  expect(started.stdout).toMatch(/release verdict isolated at interval \d+: roll back cli-payments/);
  expect(started.stdout).toMatch(/member cli-payments: rolled-back/);
  expect(started.stdout).toMatch(/^ {2}cli-checkout: promoted$/m);

  const status = await ripcord(['status', releaseId]);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/^release +ripcord-release-rehearsal\/production\/shop-cli\//m);
  expect(status.stdout).toMatch(/cli-payments +1\.9\.0 → 2\.0\.0 +cli-db +rolled-back/);
  expect(status.stdout).toMatch(/^rolled back +cli-payments$/m);

  const list = await ripcord(['list', '--all', '--service', 'shop-cli']);
  expect(list.code).toBe(0);
  expect(list.stdout).toMatch(new RegExp(`^${releaseId} +release shop-cli `, 'm'));

  const report = await ripcord(['report', releaseId]);
  expect({ code: report.code, stderr: report.stderr }).toEqual({ code: 0, stderr: '' });
  expect(report.stdout).toMatch(/^Release report: shop-cli /m);
  expect(report.stdout).toMatch(/^ {2}\S+ {2}isolated at interval \d+: roll back cli-payments$/m);
  // At the verdict checkout had not regressed; it was kept, watched to the end and promoted.
  expect(report.stdout).toMatch(/^ {4}cli-checkout: not-decided/m);
  expect(report.stdout).toMatch(/^ {2}cli-checkout +1\.9\.0 → 2\.0\.0 +cli-payments +promoted +promoted$/m);
  expect(report.stdout).toMatch(/^rolled back +cli-payments$/m);
  // Each member's own report follows: its readings, plan and steps.
  expect(report.stdout).toMatch(/^──── member cli-payments ────$/m);
  expect(report.stdout).toMatch(/^──── member cli-checkout ────$/m);
});
