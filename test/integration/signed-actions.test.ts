import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { JWK } from 'jose';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { defaultActivityDeps } from '../../src/worker/composition';
import type { AuditRecord } from '../../src/model/audit';
import { connectClient } from '../../src/client/connect';
import { type GuardianHandle, guardianStatus, startGuardian } from '../../src/client/guardians';
import { prepareRehearsal, rehearsalInput } from '../../src/rehearsal/prepare';
import { loadPolicyFile } from '../../src/policy';
import { generateActionKey, writeActionKey } from '../../src/security/action-keys';
import { type IssueActionTokenInput, issueActionToken } from '../../src/security/action-tokens';
import { createWorker } from '../../src/worker';
import type { GuardianStatus } from '../../src/model/guardian';
import { CliProcess, runCli } from '../harness/cli';
import { bundleWorkflows, integrationConnection, quietRuntime, integrationCliEnv } from '../harness/temporal';

/**
 * Signed approvals end to end: a real dev server, a worker that verifies
 * tokens against a JWKS, a guardian held at its approval gate (quorum 2), and
 * an operator's attempts through the CLI. Every bad token is refused with its
 * reason, recorded in the audit trail, and leaves the guardian as it was; two
 * good approvals from two people let the rollback run.
 */
const REPO_ROOT = resolve(__dirname, '..', '..');
const taskQueue = `signed-${randomUUID()}`;
const service = `svc-${randomUUID().slice(0, 8)}`;
const deploymentId = `build-${randomUUID().slice(0, 6)}`;
const KID = 'approvals-test';

let dir: string;
let trusted: JWK;
let trustedKeyFile: string;
let impostor: JWK;
let worker: Worker;
let running: Promise<void>;
let closeWorker: () => Promise<void>;
let client: Client;
let handle: GuardianHandle;
let planHash: string;
let policyFile: string;

const env = (): NodeJS.ProcessEnv => ({
  RIPCORD_PROFILE: '',
  ...integrationCliEnv(),
  RIPCORD_TASK_QUEUE: taskQueue,
  RIPCORD_ACTOR: '',
  RIPCORD_ROLE: '',
  RIPCORD_TOKEN: '',
});

async function ripcord(args: string[], extra: NodeJS.ProcessEnv = {}) {
  const cli = new CliProcess(args, { ...env(), ...extra });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 60_000)));
  const first = await Promise.race([cli.exited, timedOut]);
  clearTimeout(timer);
  if (first === 'timeout') {
    await cli.stop('SIGINT');
    throw new Error(
      `ripcord ${args.join(' ')} did not finish\nstdout:\n${cli.stdout}\nstderr:\n${cli.stderr}`,
    );
  }
  return { code: first, stdout: cli.stdout, stderr: cli.stderr };
}

function token(overrides: Partial<IssueActionTokenInput> = {}): Promise<string> {
  return issueActionToken({
    privateJwk: trusted,
    subject: 'bob',
    roles: ['sre'],
    action: 'approve',
    deployment: deploymentId,
    plan: planHash,
    ttlSeconds: 600,
    issuer: 'ripcord-test',
    ...overrides,
  });
}

function auditRecords(): AuditRecord[] {
  return readFileSync(join(dir, 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditRecord);
}

async function waitForStatus(until: (s: GuardianStatus) => boolean, what: string): Promise<GuardianStatus> {
  const deadline = Date.now() + 120_000;
  let status = await guardianStatus(handle);
  while (!until(status)) {
    if (Date.now() > deadline || status.phase === 'close') {
      throw new Error(`guardian never reached ${what}: ${JSON.stringify(status, null, 2)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
    status = await guardianStatus(handle);
  }
  return status;
}

beforeAll(async () => {
  quietRuntime();
  dir = mkdtempSync(join(tmpdir(), 'ripcord-signed-'));
  const key = await generateActionKey(KID);
  await writeActionKey(join(dir, 'keys'), key);
  trusted = key.privateJwk;
  trustedKeyFile = join(dir, 'keys', `${KID}.private.jwk.json`);
  // Someone who knows the key id but not the key.
  impostor = (await generateActionKey(KID)).privateJwk;

  // The canary example, made high-risk: every rollback waits for two approvers signed by our key.
  // Its p99 variant: the demo scenarios carry a p99 and no latency histogram.
  const raw = parseYaml(
    readFileSync(resolve(REPO_ROOT, 'policies/examples/canary-p99-only.yaml'), 'utf8'),
  ) as Record<string, Record<string, unknown>>;
  raw.metadata!.service = service;
  raw.risk = { highRiskWhen: [{ when: 'always' }] };
  raw.approval = { roles: ['sre', 'billing-lead'], quorum: 2, timeoutSeconds: 7200, onTimeout: 'escalate' };
  raw.trustedKeys = { approvals: [KID] };
  policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, toYaml(raw));

  const connection = integrationConnection(taskQueue);
  const created = await createTestWorker(connection);
  worker = created.worker;
  closeWorker = created.close;
  running = worker.run();
  client = await connectClient(connection);

  const prepared = await prepareRehearsal(
    await loadPolicyFile(policyFile),
    resolve(REPO_ROOT, 'src/dev/demo-scenarios/bad-canary.json'),
    30,
  );
  const input = rehearsalInput(prepared, deploymentId, new Date());
  input.deployment.deployer = 'dana';
  handle = await startGuardian(client, taskQueue, input);
  planHash = (await waitForStatus((s) => s.phase === 'gate', 'the approval gate')).plan!.planHash;
});

async function createTestWorker(connection: ReturnType<typeof integrationConnection>) {
  return createWorker({
    connection,
    workflowBundle: await bundleWorkflows(),
    deps: defaultActivityDeps({
      dryRun: true,
      stateDir: dir,
      pauseScale: 1 / 30,
      approvalKeys: join(dir, 'keys', 'jwks.json'),
    }),
  });
}

afterAll(async () => {
  await handle?.terminate('test over').catch(() => undefined);
  await client?.connection.close();
  worker?.shutdown();
  await running;
  await closeWorker?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const at = () => ['--service', service, '--env', 'production'];

test('bad tokens are refused with their reason, audited or kept out of history, and change nothing; two good approvals roll back', async () => {
  const denials: string[] = [];
  const tokensSeen: string[] = [];
  /** Refusals the update validator makes: the request never reaches history, so nothing is audited. */
  const beforeHistory = new Set(['expired token', 'replayed token id']);
  const refused = async (label: string, args: string[], reason: RegExp, extra: NodeJS.ProcessEnv = {}) => {
    const before = await guardianStatus(handle);
    const result = await ripcord(args, extra);
    if (result.code !== 1 || !reason.test(result.stdout)) {
      throw new Error(
        `${label}: expected a refusal matching ${reason}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
      );
    }
    const after = await guardianStatus(handle);
    expect({ label, phase: after.phase, approvals: after.approvals, plan: after.plan?.planHash }).toEqual({
      label,
      phase: 'gate',
      approvals: before.approvals,
      plan: planHash,
    });
    if (!beforeHistory.has(label)) denials.push(label);
  };

  const forged = await token({ privateJwk: impostor });
  tokensSeen.push(forged);
  await refused(
    'forged signature',
    ['approve', deploymentId, ...at(), '--token', forged],
    /^refused: the token was not accepted: the signature does not verify with key "approvals-test"/m,
  );

  const expired = await token({ now: () => new Date(Date.now() - 3_600_000) });
  tokensSeen.push(expired);
  // From the environment this time, as a pipeline would pass it.
  await refused('expired token', ['approve', deploymentId, ...at()], /^refused: token: expired$/m, {
    RIPCORD_TOKEN: expired,
  });

  const developer = await token({ subject: 'erin', roles: ['developer'] });
  tokensSeen.push(developer);
  await refused(
    'wrong role',
    ['approve', deploymentId, ...at(), '--token', developer],
    /^refused: role "developer" may not approve; allowed roles: sre, billing-lead/m,
  );

  const selfApproval = await token({ subject: 'dana' });
  tokensSeen.push(selfApproval);
  await refused(
    'self-approval',
    ['approve', deploymentId, ...at(), '--token', selfApproval],
    /^refused: dana deployed this version and may not approve its rollback/m,
  );

  const otherPlan = await token({ plan: `sha256:${'0'.repeat(64)}` });
  tokensSeen.push(otherPlan);
  await refused(
    'approval bound to another plan',
    ['approve', deploymentId, ...at(), '--token', otherPlan],
    new RegExp(
      `^refused: the token was not accepted: the token is bound to plan sha256:0{64}, but the guardian holds plan ${planHash}`,
      'm',
    ),
  );

  // The first real approval counts.
  const bobs = await token({ subject: 'bob' });
  tokensSeen.push(bobs);
  const first = await ripcord([
    'approve',
    deploymentId,
    ...at(),
    '--token',
    bobs,
    '--reason',
    'error rate x4',
  ]);
  expect(first.stdout).toContain('accepted: approval 1 of 2 recorded');
  expect(first.code).toBe(0);
  expect((await guardianStatus(handle)).approvals).toEqual([
    expect.objectContaining({ subject: 'bob', role: 'sre' }),
  ]);

  await refused(
    'replayed token id',
    ['approve', deploymentId, ...at(), '--token', bobs],
    /^refused: token: this token was already used$/m,
  );

  const bobsAgain = await token({ subject: 'bob' });
  tokensSeen.push(bobsAgain);
  await refused(
    'duplicate approver for quorum',
    ['approve', deploymentId, ...at(), '--token', bobsAgain],
    /^refused: bob has already approved$/m,
  );

  // Every refusal is in the audit trail, with its reason, and no token is.
  const denied = auditRecords().filter((r) => r.kind === 'action-denied');
  expect(denied).toHaveLength(denials.length);
  expect(denied.map((r) => r.summary)).toEqual([
    expect.stringContaining('the signature does not verify'),
    expect.stringContaining('role "developer" may not approve'),
    expect.stringContaining('dana deployed this version'),
    expect.stringContaining('bound to plan'),
    expect.stringContaining('bob has already approved'),
  ]);
  const trail = readFileSync(join(dir, 'audit.jsonl'), 'utf8');
  for (const t of tokensSeen) expect(trail).not.toContain(t.split('.')[2]);

  // The second approver signs on the fly with the key (as an on-call laptop might); quorum is met.
  const second = await ripcord([
    'approve',
    deploymentId,
    ...at(),
    '--key',
    trustedKeyFile,
    '--as',
    'carol',
    '--role',
    'billing-lead',
  ]);
  expect(second.stdout).toContain('accepted: approval 2 of 2 recorded');
  const result = await handle.result();
  expect(result.outcome).toBe('rolled-back');
  expect(
    auditRecords()
      .filter((r) => r.kind === 'approval')
      .map((r) => r.actor),
  ).toEqual(['bob', 'carol']);

  const verified = runCli(['audit', 'verify', join(dir, 'audit.jsonl')]);
  expect(verified.stdout).toMatch(/records verified/);
  expect(verified.code).toBe(0);
});

test('without a token nothing is accepted; a verified owning-team role may abort', async () => {
  const other = `build-${randomUUID().slice(0, 6)}`;
  const prepared = await prepareRehearsal(
    await loadPolicyFile(policyFile),
    resolve(REPO_ROOT, 'src/dev/demo-scenarios/healthy.json'),
    30,
  );
  const guardian = await startGuardian(client, taskQueue, rehearsalInput(prepared, other, new Date()));
  try {
    const unsigned = await ripcord(['pause', other, ...at(), '--as', 'team-payments', '--role', 'developer']);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stdout).toMatch(
      /^refused: token: required: this guardian's worker accepts only signed pause requests$/m,
    );
    expect((await guardianStatus(guardian)).paused).toBe(false);

    // A token for the first guardian does not work on this one.
    const elsewhere = await token({
      action: 'abort',
      plan: undefined,
      subject: 'olivia',
      roles: ['team-payments'],
    });
    const misdirected = await ripcord(['abort', other, ...at(), '--token', elsewhere]);
    expect(misdirected.stdout).toMatch(/^refused: token: it is for another deployment$/m);

    const owner = await token({
      action: 'abort',
      plan: undefined,
      subject: 'olivia',
      roles: ['team-payments'],
      deployment: guardian.workflowId,
    });
    const abort = await ripcord(['abort', other, ...at(), '--token', owner, '--reason', 'test over']);
    expect(abort.stdout).toContain('accepted: abort requested');
    expect(abort.code).toBe(0);
    expect((await guardian.result()).outcome).toBe('aborted');
  } finally {
    await guardian.terminate('test over').catch(() => undefined);
  }
});
