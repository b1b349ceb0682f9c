import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../src/client/connect';
import { type GuardianHandle, sendAction, startGuardian } from '../../src/client/guardians';
import type { LoadedPolicy } from '../../src/policy';
import type { DeploymentInfo } from '../../src/model/guardian';
import { HOOK_SECRET_ENV, type PolicyAddresses } from './chaos-policy';
import { waitForStatus } from './chaos-poll';
import { type ChaosReceiver, startChaosReceiver } from './chaos-receiver';
import { type ChaosStack, type ChaosStackOptions, startChaosStack } from './chaos-stack';
import { ChaosTemporal } from './chaos-temporal';
import { ChaosWorkers, writeTargetsFile } from './chaos-worker';

export interface ChaosSetupOptions {
  /** Names the temporary directory and the task queue. */
  name: string;
  stack: Omit<ChaosStackOptions, 'dir'>;
  /** Keep the dev server's state in a file, so that it can be killed and restarted on it. */
  persistentServer?: boolean;
}

/**
 * What most chaos tests run on: a Temporal dev server, the deploy system's
 * stand-in (webhooks and notifications), the stack (nginx, the two hosts,
 * Prometheus), one `ripcord worker` process with the stack's targets and the
 * webhook target, and a client. `stop` takes down whatever was started, also
 * after a start that failed half-way, so call it from afterAll in any case.
 */
export class ChaosSetup {
  dir = '';
  secret = randomBytes(32).toString('hex');
  taskQueue = '';
  temporal: ChaosTemporal | undefined;
  receiver: ChaosReceiver | undefined;
  stack: ChaosStack | undefined;
  workers: ChaosWorkers | undefined;
  client: Client | undefined;

  async start(options: ChaosSetupOptions): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), `ripcord-chaos-${options.name}-`));
    this.temporal = await ChaosTemporal.start(
      options.persistentServer ? { dbFile: join(this.dir, 'temporal.db') } : {},
    );
    this.receiver = await startChaosReceiver({ secret: this.secret });
    this.stack = await startChaosStack({ dir: this.dir, ...options.stack });
    this.taskQueue = `chaos-${options.name}-${randomUUID()}`;
    this.workers = new ChaosWorkers({
      address: this.temporal.address,
      taskQueue: this.taskQueue,
      stateDir: join(this.dir, 'state'),
      targetsFile: writeTargetsFile(this.dir, {
        ...this.stack.targets,
        webhooks: { type: 'webhook', timeoutSeconds: 10 },
      }),
      env: { [HOOK_SECRET_ENV]: this.secret },
    });
    await this.workers.start();
    this.client = await connectClient({
      profileName: 'chaos',
      address: this.temporal.address,
      namespace: 'default',
      taskQueue: this.taskQueue,
    });
    return this;
  }

  /** Where the policy's sources and receivers point. */
  addresses(): PolicyAddresses {
    return {
      prometheusUrl: this.stack!.fleet.prometheus.url,
      hookUrl: this.receiver!.hookUrl,
      notifyUrl: this.receiver!.notifyUrl,
    };
  }

  async stop(): Promise<void> {
    await this.workers?.stop();
    await this.client?.connection.close().catch(() => undefined);
    await this.temporal?.stop();
    await this.stack?.stop();
    await this.receiver?.stop();
    if (this.dir !== '') rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The nginx target's step records (`<stateDir>/<key>.json`): snapshot, stages done, applied. */
export function nginxStepRecords(stateDir: string): Array<Record<string, unknown>> {
  return existsSync(stateDir)
    ? readdirSync(stateDir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => JSON.parse(readFileSync(join(stateDir, f), 'utf8')) as Record<string, unknown>)
    : [];
}

/**
 * Deploys 2.0.0 on the stack and has the owner roll it back by hand
 * (startAndRollBackByHand).
 */
export async function deployAndRollBackByHand(
  stack: ChaosStack,
  client: Client,
  taskQueue: string,
  loaded: Pick<LoadedPolicy, 'policy' | 'hash'>,
  name: string,
): Promise<{ handle: GuardianHandle; deployment: DeploymentInfo }> {
  const deployment = await stack.deploy(
    `${name}-${randomUUID().slice(0, 8)}`,
    loaded.policy.metadata.environment,
  );
  return { handle: await startAndRollBackByHand(client, taskQueue, deployment, loaded), deployment };
}

/**
 * Starts the deployment's guardian, waits for a first evaluation and has the
 * service's owner pull the cord by hand (rollbackNow): the plan is the
 * policy's, whatever the canary's health.
 */
export async function startAndRollBackByHand(
  client: Client,
  taskQueue: string,
  deployment: DeploymentInfo,
  { policy, hash }: Pick<LoadedPolicy, 'policy' | 'hash'>,
): Promise<GuardianHandle> {
  const handle = await startGuardian(client, taskQueue, {
    deployment,
    policy,
    policyHash: hash,
    watchSeconds: 600,
  });
  await waitForStatus(handle, 'the first evaluation', (s) => s.evaluations >= 1);
  const asked = await sendAction(handle, 'rollbackNow', {
    actor: 'team-payments',
    role: 'owner',
    reason: 'chaos drill',
  });
  if (!asked.accepted) throw new Error(`rollbackNow refused: ${asked.message}`);
  return handle;
}
