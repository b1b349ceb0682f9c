import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Client, type WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { JWK } from 'jose';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { connectClient } from '../../src/client/connect';
import { startGuardian } from '../../src/client/guardians';
import { findFreePort } from '../../src/dev/ports';
import { prepareRehearsal, rehearsalInput } from '../../src/rehearsal/prepare';
import { type DevServer, startDevServer } from '../../src/dev/temporal-dev-server';
import { requireTool } from '../../src/dev/tools';
import { type LoadedPolicy, loadPolicyFile } from '../../src/policy';
import { generateActionKey, writeActionKey } from '../../src/security/action-keys';
import { type IssueActionTokenInput, issueActionToken } from '../../src/security/action-tokens';
import { createWorker } from '../../src/worker';
import type { GuardianStatus } from '../../src/model/guardian';
import { bundleWorkflows, quietRuntime } from './temporal';

/**
 * The security tier's stack, one per test file: a Temporal dev server of its
 * own, one real worker (dry run: steps go to the recording target, but action
 * tokens are verified against the stack's JWKS), a key pair whose id the
 * policies trust, and a client. Attacks are sent with the raw Temporal client
 * (`stack.raw(id)`), by message name, exactly as anyone with signal and update
 * rights on the namespace could; ripcord's own helpers only start guardians
 * and read their status.
 */

const REPO_ROOT = resolve(__dirname, '..', '..');
export const KID = 'security-tier';
/** The service's owning team in every policy here (a verified role of that name may abort, pause, roll back). */
export const OWNER_TEAM = 'team-payments';
/** What one audit record may take, serialised, however hostile the request that caused it. */
export const MAX_AUDIT_LINE = 4096;
const POLL_MS = 200;

export interface AuditLine {
  seq?: number;
  kind: string;
  actor: string;
  summary: string;
  workflowId: string;
  details?: Record<string, unknown>;
  /** The line as stored, for size checks. */
  raw: string;
}

export interface PolicyOptions {
  /** Default: a fresh `sec-<random>` (locks and supersede are per service and environment). */
  service?: string;
  environment?: string;
  /** Every rollback plan is high-risk and waits for approvals from `approval`. */
  highRisk?: boolean;
  approval?: {
    roles?: string[];
    quorum?: number;
    timeoutSeconds?: number;
    onTimeout?: 'escalate' | 'rollback' | 'hold';
  };
  /** After this many (policy) seconds a confirmed regression escalates instead of rolling back. */
  automaticRollbackSeconds?: number;
  /** Pause between the traffic stages of the drain step (policy seconds; the worker scales recorded pauses). */
  trafficPauseSeconds?: number;
  /**
   * The canary's weight from the start. A rollback drains only through stages below the weight the canary
   * holds (5% in the example), so a drain that should pause between stages needs a canary above them.
   */
  canaryWeight?: number;
}

export interface GuardianOptions {
  deploymentId?: string;
  deployer?: string;
  /**
   * `healthy`: watches the whole scenario; `regression`: the canary's errors ×10 from the third interval;
   * `late-regression`: the same from the ninth (after a short automatic rollback window).
   */
  health: 'healthy' | 'regression' | 'late-regression';
  /** Time compression (default 30: one 30 s interval per second). */
  speed?: number;
}

export interface StackOptions {
  name: string;
  /** Multiplies the recording target's pauses between traffic stages (default 1/30, as the rehearsal speed). */
  pauseScale?: number;
  /** The worker's audit key (a private JWK file): every audit record is signed with it. */
  auditKey?: string;
  /**
   * `decide`: the stack's worker is a decide plane (issue #21): guardians send their steps to
   * `<taskQueue>--execute--<environment>`, which the test serves itself. Default: both planes.
   */
  plane?: 'decide';
}

/** An update's fate as the sender sees it: rejected by the validator (never in history), or answered. */
export type UpdateOutcome =
  | { rejected: true; message: string }
  | { rejected: false; accepted: boolean; message: string; phase: string };

/** One scenario value per 30 s interval; long enough that a healthy guardian watches all through a test file. */
const INTERVALS = 400;

function writeScenario(file: string, regressionFrom: number | undefined): string {
  const constant = (value: number) => Array.from({ length: INTERVALS }, () => value);
  const canaryErrors = Array.from({ length: INTERVALS }, (_, i) =>
    regressionFrom !== undefined && i >= regressionFrom ? 40 : 4,
  );
  writeFileSync(
    file,
    JSON.stringify({
      format: 'ripcord.scenario/v1',
      name: regressionFrom === undefined ? 'security-healthy' : 'security-regression',
      intervalSeconds: 30,
      series: {
        requests: { baseline: constant(600), canary: constant(600) },
        errors: { baseline: constant(4), canary: canaryErrors },
        latency_p99_ms: { baseline: constant(300), canary: constant(300) },
      },
    }),
  );
  return file;
}

export class SecurityStack {
  dir = '';
  taskQueue = '';
  server: DevServer | undefined;
  client!: Client;
  privateJwk!: JWK;
  private worker: Worker | undefined;
  private running: Promise<void> | undefined;
  private closeWorker: (() => Promise<void>) | undefined;
  private readonly guardians: string[] = [];
  private scenarios: Record<GuardianOptions['health'], string> = {
    healthy: '',
    regression: '',
    'late-regression': '',
  };

  /** Starts everything; call `stop` from afterAll whatever happened (it is safe after a half-done start). */
  async start(options: StackOptions): Promise<this> {
    quietRuntime();
    this.dir = mkdtempSync(join(tmpdir(), `ripcord-security-${options.name}-`));
    this.taskQueue = `security-${options.name}-${randomUUID()}`;
    const key = await generateActionKey(KID);
    await writeActionKey(join(this.dir, 'keys'), key);
    this.privateJwk = key.privateJwk;
    this.scenarios = {
      healthy: writeScenario(join(this.dir, 'healthy.json'), undefined),
      regression: writeScenario(join(this.dir, 'regression.json'), 2),
      'late-regression': writeScenario(join(this.dir, 'late-regression.json'), 8),
    };

    const bundle = bundleWorkflows();
    this.server = await startServer();
    const connection = {
      profileName: 'security',
      address: this.server.address,
      namespace: 'default',
      taskQueue: this.taskQueue,
    };
    const created = await createWorker({
      connection,
      workflowBundle: await bundle,
      ...(options.plane ? { plane: options.plane } : {}),
      // The worker passes its own client to the activities: supersede and lock checks ask Temporal.
      depsOptions: {
        dryRun: true,
        stateDir: join(this.dir, 'state'),
        approvalKeys: join(this.dir, 'keys', 'jwks.json'),
        pauseScale: options.pauseScale ?? 1 / 30,
        ...(options.auditKey ? { auditKey: options.auditKey } : {}),
      },
    });
    this.worker = created.worker;
    this.closeWorker = created.close;
    this.running = this.worker.run();
    this.client = await connectClient(connection);
    return this;
  }

  async stop(): Promise<void> {
    for (const id of this.guardians) {
      await this.client?.workflow
        .getHandle(id)
        .terminate('security test over')
        .catch(() => undefined);
    }
    if (this.worker && this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.running?.catch(() => undefined);
    await this.closeWorker?.().catch(() => undefined);
    await this.client?.connection.close().catch(() => undefined);
    await this.server?.stop();
    if (this.dir !== '') rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * The canary example as a policy of its own service, trusting the stack's key: its p99 variant,
   * since the stack's scenarios carry a p99 and no latency histogram.
   */
  async policy(options: PolicyOptions = {}): Promise<LoadedPolicy> {
    const example = join(REPO_ROOT, 'policies/examples/canary-p99-only.yaml');
    const raw = parseYaml(readFileSync(example, 'utf8')) as Record<string, Record<string, unknown>>;
    const service = options.service ?? `sec-${randomUUID().slice(0, 8)}`;
    raw.metadata = { ...raw.metadata, service, environment: options.environment ?? 'production' };
    raw.trustedKeys = { approvals: [KID] };
    if (options.highRisk) raw.risk = { highRiskWhen: [{ when: 'always' }] };
    raw.approval = {
      roles: options.approval?.roles ?? ['sre', 'billing-lead'],
      quorum: options.approval?.quorum ?? 2,
      timeoutSeconds: options.approval?.timeoutSeconds ?? 7200,
      onTimeout: options.approval?.onTimeout ?? 'escalate',
    };
    if (options.automaticRollbackSeconds !== undefined)
      raw.rollbackWindow = { automaticSeconds: options.automaticRollbackSeconds };
    if (options.canaryWeight !== undefined) {
      const deployment = raw.deployment as { steps: Array<{ weight: number; holdSeconds: number }> };
      deployment.steps = [
        { weight: options.canaryWeight, holdSeconds: 3600 },
        { weight: 100, holdSeconds: 0 },
      ];
    }
    if (options.trafficPauseSeconds !== undefined) {
      const plan = raw.plan as { steps: Array<Record<string, unknown>> };
      plan.steps[0] = {
        ...plan.steps[0],
        pauseSeconds: options.trafficPauseSeconds,
        // The policy checks the step's timeout against its pauses in policy time; the worker scales the pauses.
        timeoutSeconds: Math.min(3600, options.trafficPauseSeconds + 300),
      };
    }
    const file = join(this.dir, `policy-${service}-${randomUUID().slice(0, 6)}.yaml`);
    writeFileSync(file, toYaml(raw));
    return loadPolicyFile(file);
  }

  /** Starts a guardian of the policy's service the way a pipeline would; returns a raw handle. */
  async guardian(loaded: LoadedPolicy, options: GuardianOptions): Promise<WorkflowHandle> {
    const speed = options.speed ?? 30;
    const prepared = await prepareRehearsal(loaded, this.scenarios[options.health], speed);
    const input = rehearsalInput(
      prepared,
      options.deploymentId ?? `d-${randomUUID().slice(0, 8)}`,
      new Date(),
    );
    input.deployment.deployer = options.deployer ?? 'dana';
    // Approval timeouts and escalations pass at the rehearsal's speed here, as before issue 17 (see approvals.test.ts).
    input.humanWaitSpeed = speed;
    const started = await startGuardian(this.client, this.taskQueue, input);
    this.guardians.push(started.workflowId);
    return this.raw(started.workflowId);
  }

  /** What an attacker holds: a plain handle by workflow id. */
  raw(workflowId: string): WorkflowHandle {
    return this.client.workflow.getHandle(workflowId);
  }

  /** A token signed by the trusted key (what the issuer would mint for that person). */
  token(
    input: Pick<IssueActionTokenInput, 'subject' | 'roles' | 'action' | 'deployment'> &
      Partial<IssueActionTokenInput>,
  ): Promise<string> {
    return issueActionToken({
      privateJwk: this.privateJwk,
      ttlSeconds: 600,
      issuer: 'security-tier',
      ...input,
    });
  }

  /** Sends an update by name with the raw client: either the validator rejects it, or the guardian answers. */
  async update(handle: WorkflowHandle, name: string, request: unknown): Promise<UpdateOutcome> {
    try {
      const result = (await handle.executeUpdate(name, { args: [request] })) as {
        accepted: boolean;
        message: string;
        phase: string;
      };
      return { rejected: false, ...result };
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        return { rejected: true, message: error.cause?.message ?? error.message };
      }
      throw error;
    }
  }

  /** Sends a signal with the Temporal CLI (`temporal workflow signal`), as the issue's reproduction did. */
  cliSignal(workflowId: string, name: string, input: unknown): Promise<void> {
    const args = ['workflow', 'signal', '--address', this.server!.address, '--namespace', 'default'];
    args.push('--workflow-id', workflowId, '--name', name, '--input', JSON.stringify(input));
    return new Promise((resolvePromise, reject) => {
      execFile(requireTool('temporal'), args, { timeout: 30_000 }, (error, _stdout, stderr) =>
        error ? reject(new Error(`temporal ${args.join(' ')} failed: ${stderr}`)) : resolvePromise(),
      );
    });
  }

  status(handle: WorkflowHandle): Promise<GuardianStatus> {
    return handle.query<GuardianStatus>('status');
  }

  /** Polls the guardian's status until `until` holds; fails naming `what` when it closes first or never does. */
  async waitFor(
    handle: WorkflowHandle,
    what: string,
    until: (s: GuardianStatus) => boolean,
    timeoutMs = 90_000,
  ): Promise<GuardianStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.status(handle);
      if (until(status)) return status;
      if (status.phase === 'close' || Date.now() > deadline) {
        throw new Error(`${handle.workflowId} never reached ${what}; status: ${brief(status)}`);
      }
      await sleep(POLL_MS);
    }
  }

  /**
   * Waits until one of `conditions` holds (each a named check), up to
   * `timeoutMs`; returns the names that hold then (none after the timeout).
   * For "either the guardian refused it, or the attack took effect".
   */
  async firstOf(
    conditions: Record<string, () => Promise<boolean> | boolean>,
    timeoutMs = 30_000,
  ): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const holding: string[] = [];
      for (const [name, check] of Object.entries(conditions)) if (await check()) holding.push(name);
      if (holding.length > 0 || Date.now() > deadline) return holding;
      await sleep(POLL_MS);
    }
  }

  get auditFile(): string {
    return join(this.dir, 'state', 'audit.jsonl');
  }

  auditText(): string {
    return existsSync(this.auditFile) ? readFileSync(this.auditFile, 'utf8') : '';
  }

  /** The trail's records (of one guardian, when given). */
  audit(workflowId?: string): AuditLine[] {
    return this.auditText()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => ({ ...(JSON.parse(line) as Omit<AuditLine, 'raw'>), raw: line }))
      .filter((r) => workflowId === undefined || r.workflowId === workflowId);
  }

  /** The recording target's journal entries of one deployment (what the dry-run "production" saw). */
  journal(deploymentId: string): Array<{ kind: string; at: string; index?: number }> {
    const file = join(this.dir, 'state', 'dry-run', 'journal.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(
        (line) =>
          JSON.parse(line) as { kind: string; at: string; index?: number; scope: { deploymentId: string } },
      )
      .filter((e) => e.scope.deploymentId === deploymentId);
  }

  /** The workflow's whole history as text, payloads decoded (what anyone with read access sees). */
  async historyText(handle: WorkflowHandle): Promise<string> {
    const history = await handle.fetchHistory();
    return JSON.stringify(history, (_key, value: unknown) => {
      if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
      if (
        typeof value === 'object' &&
        value !== null &&
        (value as { type?: unknown }).type === 'Buffer' &&
        Array.isArray((value as { data?: unknown }).data)
      ) {
        return Buffer.from((value as { data: number[] }).data).toString('utf8');
      }
      return value;
    });
  }

  async historyLength(handle: WorkflowHandle): Promise<number> {
    return (await handle.describe()).historyLength;
  }
}

/** The dev server on free ports; a port taken between the check and the start is retried. */
export async function startServer(): Promise<DevServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startDevServer({
        port: await findFreePort(),
        uiPort: await findFreePort(),
        readyTimeoutMs: 120_000,
      });
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function brief(status: GuardianStatus): string {
  return JSON.stringify({
    phase: status.phase,
    outcome: status.outcome,
    reason: status.reason,
    waiting: status.waiting,
    evaluations: status.evaluations,
    approvals: status.approvals,
    plan: status.plan && { hash: status.plan.planHash, steps: status.plan.steps.map((s) => s.state) },
  });
}

/** Every record in the trail is bounded and carries no terminal control characters. */
export function expectAuditBounded(stack: SecurityStack): void {
  const text = stack.auditText();
  // eslint-disable-next-line no-control-regex
  expect(text).not.toMatch(/\x1b/);
  const long = stack
    .audit()
    .filter((r) => Buffer.byteLength(r.raw) >= MAX_AUDIT_LINE)
    .map((r) => `${r.kind} (${Buffer.byteLength(r.raw)} bytes): ${r.raw.slice(0, 200)}`);
  expect(long).toEqual([]);
}

/** The guardian's refused-message records (forged internal signals) whose text mentions `about`. */
export function refusedMessages(stack: SecurityStack, workflowId: string, about: RegExp): AuditLine[] {
  return stack.audit(workflowId).filter((r) => r.kind === 'message-refused' && about.test(r.raw));
}
