import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultActivityDeps, type DefaultActivityDeps } from '../../worker/composition';
import { connectClient } from '../../client/connect';
import type { ResolvedConnection } from '../../client/connection-profile';
import { type GuardianHandle, startGuardian, webUiLink } from '../../client/guardians';
import { followGuardian } from '../../client/progress';
import type { GuardianEnd } from '../../client/guardian-end';
import { generateActionKey, writeActionKey } from '../../security/action-keys';
import { generateSigningKey, writeTrustedKeysFile } from '../../security/keys';
import { signRelease } from '../../targets/artifact';
import { probeService, setCanaryWeight, setLiveColour } from '../../targets/nginx';
import { createWorker } from '../../worker';
import { installRuntimeLogger } from '../../worker/runtime';
import { targetRegistryFromFile, type WorkerTargetsFile } from '../../worker/targets-file';
import type { DeploymentInfo, GuardianOutcome, GuardianStatus } from '../../model/guardian';
import { type Fleet, startFleet } from '../fleet';
import { type NginxServer, startNginx } from '../nginx';
import { findFreePort } from '../ports';
import { type DevServer, startDevServer } from '../temporal-dev-server';
import { approvalCommand } from './approval-command';
import { guardiansListUrl } from '../../client/web-ui-links';
import { type DemoEncryption, startDemoEncryption } from './encryption';
import { claimRunDir } from './run-dir';
import { type DeploySystem, startDeploySystem } from './deploy-system';
import { demoPolicy } from './policy';
import { statusLine } from './status-line';
import {
  DEMO_CANARY_WEIGHT,
  DEMO_LOAD_PER_SECOND,
  DEMO_SPIKE_SECONDS,
  DEMO_STORIES,
  DEMO_WARMUP_SECONDS,
  type DemoStory,
  type DemoStoryName,
} from './stories';
import { Timeline } from './timeline';
import { formatSeconds, WaitTracker, waitLengthsFromPolicy } from './waits';

export { DEMO_STORIES, type DemoStoryName, isDemoStoryName } from './stories';
export { createBoard, type Board, type BoardOptions } from './board';

/**
 * The one-command story on the embedded stack, all of it real: the Temporal dev
 * server with its Web UI; `checkout` 1.9.0 and 2.0.0 as two local processes
 * serving real /metrics; Prometheus scraping them; nginx splitting live load
 * between them; a stand-in deploy system that receives signed webhooks; and a
 * worker whose targets are that nginx, those releases (signed, verified before
 * a revert) and that webhook. The guardian watches Prometheus, decides, rolls
 * back through the real targets and checks that health returned.
 *
 * Canary stories run 2.0.0 on the canary host next to 1.9.0 and split the
 * traffic by weight; the blue-green story runs 1.9.0 on blue (the baseline
 * host) and 2.0.0 on green (the canary host), and the deploy sends all the
 * traffic to green.
 */

export interface DemoOptions {
  story: DemoStoryName;
  port: number;
  uiPort: number;
  dbFile: string;
  stateDir: string;
  /** Keep the stack up after the story ends, so people can look at the Web UI. */
  keepRunning: boolean;
  /** Encrypt payloads (default true): history holds ciphertext, the Web UI decodes through a codec server. */
  encryption?: boolean;
  say: (line: string) => void;
  /**
   * The live status line (phase, verdict, counts, a bar for the current wait),
   * recomputed about twice a second while the guardian runs; undefined when
   * there is none. Omitted: only event lines, with a reminder when quiet.
   */
  status?: (line: string | undefined) => void;
  /** Where the printed approval command is meant to be run from (the repository). */
  cwd?: string;
  /** Aborted on Ctrl-C: everything started is stopped. */
  signal: AbortSignal;
  /** With keepRunning: the story's report, as soon as it ends and before the stack waits for Ctrl-C. */
  onStoryEnd?: (report: DemoReport) => void;
}

export interface DemoReport {
  end: GuardianEnd | undefined;
  expected: GuardianOutcome;
  deploymentId: string;
  timeline: string[];
  /** What the stack looked like at the end, for people: nginx, the canary host, the deploy system. */
  facts: string[];
  auditFile: string;
}

export class DemoInterrupted extends Error {
  constructor() {
    super('demo interrupted');
  }
}

const SERVICE = 'checkout';
const OLD = '1.9.0';
const NEW = '2.0.0';
const RELEASE_KEY_ID = 'demo-release-signing';
const APPROVAL_KEY_ID = 'demo-approvals';
/** high-risk: how long the rollback waits for the approval (time to read, copy and run the command). */
const APPROVAL_TIMEOUT_SECONDS = 300;
const APPROVER = { subject: 'alice', role: 'sre' };
/** How often the live status line is recomputed. */
const STATUS_TICK_MS = 500;
const HOOK_SECRET_ENV = 'RIPCORD_SECRET_DEMO_DEPLOY_HOOK_HMAC';

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const { say, signal } = options;
  const story: DemoStory = DEMO_STORIES[options.story];
  const { runId, dir } = claimRunDir(options.stateDir, new Date());
  const deploymentId = `demo-${runId}`;
  const stoppers: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  };
  const check = () => {
    if (signal.aborted) throw new DemoInterrupted();
  };
  const timeline = new Timeline();

  try {
    say(`story "${options.story}": ${story.summary}`);
    say(`starting the embedded stack in ${dir}`);
    let encryption: DemoEncryption | undefined;
    if (options.encryption !== false) {
      encryption = await startDemoEncryption({
        dir,
        runId,
        uiOrigins: [`http://127.0.0.1:${options.uiPort}`, `http://localhost:${options.uiPort}`],
      });
      stoppers.push(() => encryption!.stop());
    }
    const server: DevServer = await startDevServer({
      port: options.port,
      uiPort: options.uiPort,
      dbFile: options.dbFile,
      ...(encryption ? { codecEndpoint: encryption.codecUrl } : {}),
    });
    stoppers.push(() => server.stop());
    say(`  Temporal dev server ${server.address}, Web UI ${server.uiUrl}`);
    if (encryption) {
      say(
        `  payloads encrypted (AES-256-GCM, key ${encryption.keyId}); the Web UI decodes them through the codec server ${encryption.codecUrl}, which answers only its origin`,
      );
    }
    check();

    const fleet: Fleet = await startFleet({
      dir: join(dir, 'fleet'),
      service: SERVICE,
      baselineVersion: OLD,
      canaryVersion: NEW,
      canaryBehaviour: story.behaviour,
      warmupSeconds: DEMO_WARMUP_SECONDS,
      spikeSeconds: DEMO_SPIKE_SECONDS,
      scrapeIntervalSeconds: 1,
      deferCanary: true,
      load: false,
    });
    stoppers.push(() => fleet.stop());
    say(`  ${SERVICE} ${OLD} on ${fleet.baseline.url}; Prometheus ${fleet.prometheus.url}`);
    check();

    // Releases on the canary host are signed: the artifact target verifies the signature over the
    // digest of the release it deploys back, with a key the worker trusts, before it touches anything.
    const releaseKey = generateSigningKey(RELEASE_KEY_ID);
    const trustedKeysFile = join(dir, 'keys', 'releases.jwks.json');
    await writeTrustedKeysFile(trustedKeysFile, [releaseKey]);
    const signed: Record<string, string> = {};
    for (const version of [OLD, NEW]) {
      const result = await signRelease({
        releasesDir: fleet.canary.releasesDir,
        service: SERVICE,
        version,
        key: releaseKey,
      });
      signed[version] = result.digest;
    }

    const nginx: NginxServer = await startNginx({
      dir: join(dir, 'nginx'),
      port: await findFreePort(),
      services: [SERVICE],
    });
    stoppers.push(() => nginx.stop());
    const targets: WorkerTargetsFile['targets'] = {
      traffic: {
        type: 'nginx',
        ...nginx.targetPaths,
        pauseScale: 1,
        reloadTimeoutSeconds: 10,
        services: {
          [SERVICE]: {
            ...(story.pattern === 'canary'
              ? { pattern: 'canary', baseline: fleet.baseline.address, canary: fleet.canary.address }
              : { pattern: 'blue-green', blue: fleet.baseline.address, green: fleet.canary.address }),
            probe: { url: `${nginx.url}/`, count: 20, timeoutMs: 2000, version: { header: 'x-version' } },
          },
        },
      },
      artifacts: {
        type: 'local-process',
        releasesDir: fleet.canary.releasesDir,
        trustedKeysFile,
        services: {
          [SERVICE]: {
            versionUrl: `${fleet.canary.url}/version`,
            restart: { pidFile: fleet.canary.pidFile, signal: 'SIGHUP' },
            readyTimeoutSeconds: 30,
          },
        },
      },
      webhooks: { type: 'webhook', timeoutSeconds: 10 },
    } as WorkerTargetsFile['targets'];
    // Before the deploy, 1.9.0 serves everything: the canary's weight is 0, or blue is live.
    if (story.pattern === 'canary') await setCanaryWeight(targets.traffic!, SERVICE, 0);
    else await setLiveColour(targets.traffic!, SERVICE, 'blue');
    fleet.startLoad({ targets: `${nginx.url}/`, ratePerSecond: DEMO_LOAD_PER_SECOND });
    say(`  nginx ${nginx.url} in front, ${DEMO_LOAD_PER_SECOND} requests/s of load through it`);

    const hookSecret = randomBytes(32).toString('hex');
    process.env[HOOK_SECRET_ENV] = hookSecret;
    const deploySystem: DeploySystem = await startDeploySystem({ secret: hookSecret });
    stoppers.push(() => deploySystem.stop());
    say(`  stand-in deploy system ${deploySystem.url} (checks each webhook's HMAC, acts once per key)`);

    const approvals = await writeActionKey(join(dir, 'keys'), await generateActionKey(APPROVAL_KEY_ID));
    const loaded = demoPolicy({
      pattern: story.pattern,
      prometheusUrl: fleet.prometheus.url,
      deployHookUrl: deploySystem.hookUrl,
      notifyUrl: deploySystem.notifyUrl,
      ...(story.highRisk === true
        ? { highRisk: { approvalKeyId: APPROVAL_KEY_ID, timeoutSeconds: APPROVAL_TIMEOUT_SECONDS } }
        : {}),
    });
    check();

    const connection: ResolvedConnection = {
      profileName: 'demo',
      address: server.address,
      namespace: server.namespace,
      taskQueue: `ripcord-demo-${runId}`,
      webUi: server.uiUrl,
    };
    const deps: DefaultActivityDeps = defaultActivityDeps({
      stateDir: dir,
      targets: targetRegistryFromFile({ apiVersion: 'ripcord/v1', kind: 'WorkerTargets', targets }, dir),
      approvalKeys: approvals.jwksFile,
    });
    stoppers.push(() => deps.close());
    const dataConverter = encryption ? { dataConverter: encryption.dataConverter } : {};
    const client: Client = await connectClient(connection, dataConverter);
    stoppers.push(() => client.connection.close());
    // Only now: an installed SDK runtime keeps the process alive (and takes over SIGINT/SIGTERM) until
    // its last worker or native connection closes, so a failure before this point must not have one.
    installRuntimeLogger('WARN');
    const { worker, close } = await createWorker({ connection, deps, ...dataConverter });
    stoppers.push(close);
    say(`  worker on task queue ${connection.taskQueue}: ${deps.targets.describe()}`);
    check();

    // The deploy: 2.0.0 starts on the canary host (green) and gets its share of the traffic (all of it).
    await fleet.startCanary();
    const deployedAt = new Date();
    // The new version's behaviour counts from its own start, a little before the deploy is marked.
    const canaryStartedAt = (await serviceStartedAt(fleet)) ?? deployedAt;
    if (story.pattern === 'canary') {
      say(
        `deploying ${SERVICE} ${NEW} as a canary: ${await setCanaryWeight(targets.traffic!, SERVICE, DEMO_CANARY_WEIGHT)}`,
      );
      timeline.mark(
        'deploy',
        `${SERVICE} ${NEW} canary at ${DEMO_CANARY_WEIGHT}% next to ${OLD}`,
        deployedAt,
      );
    } else {
      say(
        `deploying ${SERVICE} ${NEW} blue-green: ${await setLiveColour(targets.traffic!, SERVICE, 'green')}; ${OLD} stays warm on blue`,
      );
      timeline.mark('deploy', `${SERVICE} ${NEW} live on green, ${OLD} warm on blue`, deployedAt);
    }
    if (story.behaviour !== 'healthy') {
      const what =
        story.behaviour === 'transient'
          ? `a ${DEMO_SPIKE_SECONDS} s burst of errors, then healthy again`
          : 'more errors, slower tail';
      timeline.mark(
        'onset',
        `${NEW} turns (${what}), as built`,
        new Date(canaryStartedAt.getTime() + DEMO_WARMUP_SECONDS * 1000),
      );
    }

    const deployment: DeploymentInfo = {
      deploymentId,
      service: SERVICE,
      environment: loaded.policy.metadata.environment,
      version: NEW,
      previousVersion: OLD,
      artifactDigest: signed[NEW]!,
      previousDigest: signed[OLD]!,
      deployer: 'demo-pipeline',
      deployedAt: deployedAt.toISOString(),
    };
    const workerRun = worker.run();
    stoppers.push(async () => {
      worker.shutdown();
      await workerRun.catch(() => undefined);
    });
    const handle: GuardianHandle = await startGuardian(client, connection.taskQueue, {
      deployment,
      policy: loaded.policy,
      policyHash: loaded.hash,
      watchSeconds: story.watchSeconds,
    });
    const link = webUiLink(server.uiUrl, server.namespace, handle.workflowId);
    say(`guardian ${handle.workflowId} (policy ${loaded.hash.slice(0, 19)}…)`);
    say(`watch it in the Web UI: ${link}`);
    // The list, kept to this service's guardians (the rollback locks and token claims stay out).
    const list = guardiansListUrl(server.uiUrl, server.namespace, SERVICE);
    say(`guardians of ${SERVICE} in the Web UI: ${list}`);

    let approvalShown = false;
    const waits = new WaitTracker(waitLengthsFromPolicy(loaded.policy, story.watchSeconds));
    let latest: GuardianStatus | undefined;
    const showStatus = () =>
      options.status?.(
        latest?.phase === 'close'
          ? undefined
          : statusLine({
              status: latest,
              wait: waits.current(new Date()),
              load: fleet.load?.counts(),
              versions: [NEW, OLD],
            }),
      );
    const ticker = options.status ? setInterval(showStatus, STATUS_TICK_MS) : undefined;
    let end: GuardianEnd | undefined;
    try {
      end = await followGuardian(client, handle, {
        pollMs: 500,
        say,
        signal,
        // The live status line shows the guardian is at it; without one, say so when it is quiet.
        ...(options.status ? {} : { quietMs: 10_000 }),
        onStatus: (status: GuardianStatus) => {
          const now = new Date();
          latest = status;
          // The progress lines show verdicts and phases; a dismissed breach shows only in a signal (its count).
          for (const entry of timeline.observe(status, now)) {
            if (entry.milestone === 'breach dismissed') say(`[${clock(now)}] ${entry.detail}`);
          }
          waits.observe(status, now);
          if (status.phase === 'gate' && status.plan && !approvalShown) {
            approvalShown = true;
            const command = approvalCommand({
              temporalAddress: server.address,
              namespace: server.namespace,
              webUi: server.uiUrl,
              deploymentId,
              service: SERVICE,
              environment: deployment.environment,
              planHash: status.plan.planHash,
              keyFile: approvals.privateKeyFile,
              approver: APPROVER.subject,
              role: APPROVER.role,
              cwd: options.cwd ?? process.cwd(),
              ...(encryption ? { codecKeysFile: encryption.keysFile } : {}),
            });
            // After this read's progress lines (the plan, the gate), which are said once this returns.
            queueMicrotask(() => {
              say('');
              say(
                `this rollback is high-risk: it waits up to ${formatSeconds(APPROVAL_TIMEOUT_SECONDS)} for a signed approval by an SRE.`,
              );
              say('approve it from another shell in this directory with:');
              say('');
              say(`  ${command}`);
              say('');
            });
          }
        },
      });
    } finally {
      clearInterval(ticker);
      options.status?.(undefined);
    }
    check();

    // What the pipeline does once the guardian promotes: the canary takes all the traffic (a
    // blue-green release is already whole).
    if (end?.kind === 'outcome' && end.outcome === 'promoted' && story.pattern === 'canary') {
      say(`promoting: ${await setCanaryWeight(targets.traffic!, SERVICE, 100)}`);
    }

    const facts = [
      `nginx:          ${(await probeService(targets.traffic!, SERVICE)).description}`,
      story.pattern === 'canary'
        ? `canary host:    ${await runningVersion(fleet)}`
        : `green host:     ${await runningVersion(fleet)}`,
      `deploy system:  ${describeJobs(deploySystem)}`,
      `load:           ${describeLoad(fleet)}`,
    ];
    const report: DemoReport = {
      end,
      expected: story.expected,
      deploymentId,
      timeline: timeline.lines(),
      facts,
      auditFile: join(dir, 'audit.jsonl'),
    };
    if (options.keepRunning && !signal.aborted) {
      // The story is told before the wait: the timeline must not depend on how the wait ends.
      if (options.onStoryEnd) options.onStoryEnd(report);
      else for (const line of facts) say(line);
      say(`the stack stays up for the Web UI at ${link} — Ctrl-C to stop`);
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    }
    return report;
  } finally {
    await stopAll();
    delete process.env[HOOK_SECRET_ENV];
  }
}

/** When the canary's service started its behaviour's clock (GET /version), or undefined if it does not say. */
async function serviceStartedAt(fleet: Fleet): Promise<Date | undefined> {
  try {
    const res = await fetch(`${fleet.canary.url}/version`, { signal: AbortSignal.timeout(2000) });
    const { startedAt } = (await res.json()) as { startedAt?: unknown };
    const at = typeof startedAt === 'string' ? new Date(startedAt) : undefined;
    return at !== undefined && Number.isFinite(at.getTime()) ? at : undefined;
  } catch {
    return undefined;
  }
}

async function runningVersion(fleet: Fleet): Promise<string> {
  try {
    const res = await fetch(`${fleet.canary.url}/version`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { version: string; digest: string };
    return `runs ${body.version} (${body.digest.slice(0, 19)}…)`;
  } catch (err) {
    return `does not answer (${(err as Error).message})`;
  }
}

function clock(at: Date): string {
  return at.toISOString().slice(11, 19);
}

function describeJobs(system: DeploySystem): string {
  const jobs = system.jobs();
  if (jobs.length === 0) return 'no rollback received';
  return jobs
    .map((j) => `${j.action} "${j.step}" received ${j.deliveries}×, acted once`)
    .concat(system.refused() > 0 ? [`${system.refused()} unsigned call(s) refused`] : [])
    .join('; ');
}

function describeLoad(fleet: Fleet): string {
  const counts = fleet.load?.counts();
  if (!counts) return 'none';
  const parts = Object.entries(counts.byVersion).map(([version, statuses]) => {
    const total = Object.values(statuses).reduce((a, b) => a + b, 0);
    const errors = Object.entries(statuses)
      .filter(([status]) => Number(status) >= 500)
      .reduce((a, [, n]) => a + n, 0);
    return `${version}: ${total} requests, ${errors} errors`;
  });
  return `${counts.sent} sent; ${parts.join('; ')}`;
}
