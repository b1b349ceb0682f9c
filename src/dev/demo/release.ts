import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../client/connect';
import type { ResolvedConnection } from '../../client/connection-profile';
import { webUiLink } from '../../client/guardians';
import { type ReleaseHandle, releaseStatus, startRelease } from '../../client/releases';
import type { ReleaseResult } from '../../model/release';
import { shellWord } from '../../model/operator-commands';
import { loadReleaseFile } from '../../releases/release-file';
import { releaseInputFrom } from '../../releases/release-input';
import { generateActionKey, writeActionKey } from '../../security/action-keys';
import {
  type NginxTargetConfigInput,
  probeService,
  readServiceState,
  setCanaryWeight,
} from '../../targets/nginx';
import { createWorker } from '../../worker';
import { installRuntimeLogger } from '../../worker/runtime';
import { targetRegistryFromFile, type WorkerTargetsFile } from '../../worker/targets-file';
import { frontHosts, type LoadCounts, type ReleaseFleet, startReleaseFleet } from '../fleet';
import { type NginxServer, startNginx } from '../nginx';
import { findFreePort } from '../ports';
import { type DevServer, startDevServer } from '../temporal-dev-server';
import { type DeploySystem, startDeploySystem } from './deploy-system';
import { type DemoEncryption, startDemoEncryption } from './encryption';
import { demoPolicyText } from './policy';
import {
  errorsBetween,
  type ReleaseRead,
  releaseEvents,
  releaseStatusLine,
  ReleaseTimeline,
} from './release-board';
import {
  CHECKOUT_LOAD_PER_SECOND,
  HEALTHY_INTERVALS_BEFORE_FAULT,
  NEW,
  OLD,
  PAYMENTS_LOAD_PER_SECOND,
  SHOP_CANARY_WEIGHT,
  SHOP_FAULTS,
  SHOP_MEMBERS,
  shopServices,
} from './release-shop';
import { claimRunDir } from './run-dir';
import { RELEASE_STORIES, type ReleaseStory, type ReleaseStoryName } from './stories';

/**
 * The release stories on the embedded stack, every part real: the Temporal
 * dev server and Web UI; db-proxy 1.0.0, payments 1.9.0 and 2.0.0, checkout
 * 1.9.0 and 2.0.0 as local processes serving real /metrics, every call between
 * them through nginx (src/dev/fleet/release-fleet.ts); Prometheus scraping
 * them every second; load on checkout and on payments through nginx; the
 * stand-in deploy system; and a worker whose traffic target is that nginx.
 * The story deploys both canaries, starts one release (policies/demo/release/,
 * with this run's addresses), lets it watch a few healthy intervals, then
 * turns a fault on:
 *
 *   release         payments 2.0.0's new authorisation path fails one payment in five;
 *                   checkout 2.0.0's calls that reach it fail too. The release rolls back
 *                   payments alone; checkout, judged again on fresh data, is promoted.
 *   release-outage  db-proxy, outside the release, refuses half its queries under every
 *                   version. The release holds every member and escalates; the story, as
 *                   the person called, aborts it with `ripcord abort` (the CLI, signed with
 *                   the demo's key); nothing is rolled back and nginx is untouched.
 *
 * Then it prints what the release decided, what the stack looks like, the
 * timeline and the release's Web UI link.
 */

export interface ReleaseDemoOptions {
  story: ReleaseStoryName;
  port: number;
  uiPort: number;
  dbFile: string;
  stateDir: string;
  keepRunning: boolean;
  encryption?: boolean;
  say: (line: string) => void;
  status?: (line: string | undefined) => void;
  /** Where the abort command runs from (the repository); default the current directory. */
  cwd?: string;
  signal: AbortSignal;
  onStoryEnd?: (report: ReleaseDemoReport) => void;
}

export interface ReleaseDemoReport {
  story: ReleaseStoryName;
  releaseId: string;
  workflowId: string;
  link: string;
  result: ReleaseResult | undefined;
  timeline: string[];
  /** What the stack looked like at the end, for people: nginx, the deploy system, the load. */
  facts: string[];
  /** What the story expected and did not see; empty when it ended as it should. */
  problems: string[];
  auditFile: string;
  /** Seconds from the first line to the story's end (before any --keep-running wait). */
  seconds: number;
}

export class ReleaseDemoInterrupted extends Error {
  constructor() {
    super('demo interrupted');
  }
}

const DEPLOYER = 'demo-pipeline';
const APPROVAL_KEY_ID = 'demo-approvals';
const ABORTER = { subject: 'alice', role: 'sre' };
const HOOK_SECRET_ENV = 'RIPCORD_SECRET_DEMO_DEPLOY_HOOK_HMAC';
const POLICIES_DIR = resolve(__dirname, '..', '..', '..', 'policies', 'demo', 'release');
/** The ripcord command, run from the sources or dist/ as the CLI itself is (bin/ripcord.js decides). */
const RIPCORD_BIN = resolve(__dirname, '..', '..', '..', 'bin', 'ripcord.js');
const POLL_MS = 500;
const STATUS_TICK_MS = 500;
/** release-outage: how long the story waits for the release to escalate before it gives up and aborts anyway. */
const ESCALATION_PATIENCE_MS = 90_000;
/** release-outage: how long the held release is shown (nothing moves: no step, no weight) before the person acts. */
const HOLD_SHOWN_MS = 6_000;
/** How long past its watch a release may run before the story stops waiting and says what it was waiting for. */
const OVERRUN_MS = 120_000;

export async function runReleaseDemo(options: ReleaseDemoOptions): Promise<ReleaseDemoReport> {
  const { say, signal } = options;
  const began = Date.now();
  const story: ReleaseStory = RELEASE_STORIES[options.story];
  const { runId, dir } = claimRunDir(options.stateDir, new Date());
  const releaseId = `demo-${runId}`;
  const stoppers: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  };
  const check = () => {
    if (signal.aborted) throw new ReleaseDemoInterrupted();
  };
  const timeline = new ReleaseTimeline();
  const clock = () => new Date().toISOString().slice(11, 19);
  const event = (line: string) => say(`[${clock()}] ${line}`);

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
    if (encryption) say(`  payloads encrypted (AES-256-GCM, key ${encryption.keyId}), decoded in the Web UI`);
    check();

    // nginx first: every service calls its dependency through it, so they need its address.
    const services = shopServices();
    const nginx: NginxServer = await startNginx({
      dir: join(dir, 'nginx'),
      port: await findFreePort(),
      services: frontHosts(services),
    });
    stoppers.push(() => nginx.stop());
    const fleet: ReleaseFleet = await startReleaseFleet({
      dir: join(dir, 'fleet'),
      frontUrl: nginx.url,
      services,
      scrapeIntervalSeconds: 1,
    });
    stoppers.push(() => fleet.stop());
    for (const upstream of fleet.staticUpstreams()) {
      writeFileSync(join(nginx.upstreamsDir, `${upstream.name}.conf`), upstream.text);
    }
    const traffic = {
      type: 'nginx',
      ...nginx.targetPaths,
      pauseScale: 1,
      reloadTimeoutSeconds: 10,
      services: Object.fromEntries(
        SHOP_MEMBERS.map((service) => [
          service,
          {
            pattern: 'canary',
            baseline: fleet.instance(service, 'baseline').address,
            canary: fleet.instance(service, 'canary').address,
            probe: {
              url: `${nginx.url}/`,
              host: service,
              count: 20,
              timeoutMs: 2000,
              version: { header: 'x-version' },
            },
          },
        ]),
      ),
    } satisfies NginxTargetConfigInput;
    // Before the deploy every request is served by 1.9.0 (the canaries run, with no traffic).
    for (const service of SHOP_MEMBERS) await setCanaryWeight(traffic, service, 0);
    await nginx.reload();
    for (const instance of fleet.instances) {
      const calls = instance.callsHost === undefined ? '' : `, calls ${instance.callsHost}`;
      say(`  ${instance.service} ${instance.version} (${instance.role}) on ${instance.url}${calls}`);
    }
    say(`  nginx ${nginx.url} in front of every service and every call; Prometheus ${fleet.prometheus.url}`);
    const loads = {
      checkout: fleet.startLoad('checkout', {
        targets: `${nginx.url}/`,
        host: 'checkout',
        ratePerSecond: CHECKOUT_LOAD_PER_SECOND,
      }),
      payments: fleet.startLoad('payments', {
        targets: `${nginx.url}/`,
        host: 'payments',
        ratePerSecond: PAYMENTS_LOAD_PER_SECOND,
      }),
    };
    say(
      `  load through nginx: ${CHECKOUT_LOAD_PER_SECOND} requests/s to checkout, ${PAYMENTS_LOAD_PER_SECOND} requests/s to payments (its other callers)`,
    );

    const hookSecret = randomBytes(32).toString('hex');
    process.env[HOOK_SECRET_ENV] = hookSecret;
    const deploySystem: DeploySystem = await startDeploySystem({ secret: hookSecret });
    stoppers.push(() => deploySystem.stop());
    say(`  stand-in deploy system ${deploySystem.url} (checks each webhook's HMAC, acts once per key)`);
    const approvals = await writeActionKey(join(dir, 'keys'), await generateActionKey(APPROVAL_KEY_ID));

    // The release file and its policies, with this run's addresses, loaded as `ripcord release --file` loads them.
    const releaseFile = writeReleaseFiles(join(dir, 'release'), {
      prometheusUrl: fleet.prometheus.url,
      deployHookUrl: deploySystem.hookUrl,
      notifyUrl: deploySystem.notifyUrl,
    });
    const loaded = await loadReleaseFile(releaseFile);
    check();

    const connection: ResolvedConnection = {
      profileName: 'demo',
      address: server.address,
      namespace: server.namespace,
      taskQueue: `ripcord-demo-${runId}`,
      webUi: server.uiUrl,
    };
    const targets = {
      traffic,
      webhooks: { type: 'webhook', timeoutSeconds: 10 },
    } as WorkerTargetsFile['targets'];
    const dataConverter = encryption ? { dataConverter: encryption.dataConverter } : {};
    const client: Client = await connectClient(connection, dataConverter);
    stoppers.push(() => client.connection.close());
    // Only now: an installed SDK runtime keeps the process alive until its last worker or connection closes.
    installRuntimeLogger('WARN');
    // The worker builds its activities' dependencies itself, with its own Temporal client: a member
    // guardian asks its release for orders through it.
    const { worker, deps, close } = await createWorker({
      connection,
      depsOptions: {
        stateDir: dir,
        targets: targetRegistryFromFile({ apiVersion: 'ripcord/v1', kind: 'WorkerTargets', targets }, dir),
        approvalKeys: approvals.jwksFile,
      },
      ...dataConverter,
    });
    stoppers.push(close);
    const workerRun = worker.run();
    stoppers.push(async () => {
      worker.shutdown();
      await workerRun.catch(() => undefined);
    });
    say(`  worker on task queue ${connection.taskQueue}: ${deps.targets.describe()}`);
    check();

    // The deploy: each canary gets its share, the dependency first.
    const deployedAt = new Date();
    for (const service of SHOP_MEMBERS) {
      say(
        `deploying ${service} ${NEW} as a canary next to ${OLD}: ${await setCanaryWeight(traffic, service, SHOP_CANARY_WEIGHT)}`,
      );
    }
    timeline.mark(
      'deploy',
      `${SHOP_MEMBERS.map((s) => `${s} ${NEW}`).join(' and ')} canaries at ${SHOP_CANARY_WEIGHT}%`,
      deployedAt,
    );

    // As `ripcord release --file` builds it: every member's deployment id is the release id.
    const input = releaseInputFrom(loaded, { releaseId, deployer: DEPLOYER, now: deployedAt });
    const handle: ReleaseHandle = await startRelease(client, input, { taskQueue: connection.taskQueue });
    const link = webUiLink(server.uiUrl, server.namespace, handle.workflowId);
    timeline.mark('release started', `${loaded.name} (${releaseId}), ${loaded.members.length} members`);
    say(
      `release ${handle.workflowId}: ${input.members.map((m) => `${m.deployment.service} ${m.deployment.previousVersion} → ${m.deployment.version}`).join(', ')}; outside: ${input.outside.map((o) => o.service).join(', ')}`,
    );
    say(`watch it in the Web UI (its members are its children): ${link}`);

    // Follow the release: its status, the fault at the right moment, and (outage) the person's abort.
    let latest: ReleaseRead | undefined;
    let ended: { result?: ReleaseResult; error?: Error } | undefined;
    void handle.result().then(
      (result) => (ended = { result }),
      (error: Error) => (ended = { error }),
    );
    const loadCounts = (): Record<string, LoadCounts> => ({
      checkout: loads.checkout.counts(),
      payments: loads.payments.counts(),
    });
    const ticker = options.status
      ? setInterval(
          () =>
            options.status?.(
              latest?.outcome !== undefined
                ? undefined
                : releaseStatusLine({ status: latest, loads: loadCounts(), versions: [NEW, OLD] }),
            ),
          STATUS_TICK_MS,
        )
      : undefined;
    let faultOnAt: number | undefined;
    let atFault: Record<string, LoadCounts> | undefined;
    let evidenceShown = false;
    // What the callers saw since the fault, by version: the evidence people read next to the verdict.
    const sinceFault = () => {
      const now = loadCounts();
      for (const [service, counts] of Object.entries(now)) {
        const words = errorsBetween(atFault?.[service], counts, [NEW, OLD]);
        if (words !== undefined) say(`  callers of ${service} since the fault: ${words}`);
      }
    };
    let abortRun: Promise<void> | undefined;
    let heldSince: number | undefined;
    const problems: string[] = [];
    const giveUpAt = Date.now() + (input.watchSeconds ?? 0) * 1000 + OVERRUN_MS;
    try {
      while (ended === undefined) {
        check();
        if (Date.now() > giveUpAt) {
          throw new Error(
            `the release ${handle.workflowId} did not end ${OVERRUN_MS / 1000} s after its watch; last seen: ` +
              `phase ${latest?.phase ?? '?'}${latest?.waiting ? `, waiting for ${latest.waiting.for}` : ''}, ` +
              (latest?.release.members.map((m) => `${m.service} ${m.state}`).join(', ') ?? 'no status'),
          );
        }
        const read = await releaseStatus(handle).catch(() => undefined);
        if (read !== undefined) {
          const lines = releaseEvents(latest, read);
          for (const line of lines) event(line);
          if (faultOnAt !== undefined && !evidenceShown && read.release.verdicts.length > 0) {
            evidenceShown = true;
            sinceFault();
          }
          timeline.observe(read);
          latest = read;
        }
        if (faultOnAt === undefined && (latest?.evaluations ?? 0) >= HEALTHY_INTERVALS_BEFORE_FAULT) {
          const fault = SHOP_FAULTS[options.story];
          atFault = loadCounts();
          const what = await fleet.setFault(fault.service, fault.role, true);
          faultOnAt = Date.now();
          timeline.mark('onset', what);
          event(`after ${latest?.evaluations ?? 0} healthy evaluations, the story turns a fault on: ${what}`);
        }
        if (options.story === 'release-outage' && faultOnAt !== undefined && abortRun === undefined) {
          if (latest?.phase === 'escalated') heldSince ??= Date.now();
          const held = heldSince !== undefined && Date.now() - heldSince >= HOLD_SHOWN_MS;
          const late = Date.now() - faultOnAt > ESCALATION_PATIENCE_MS;
          if (held || late) {
            if (late && !held) problems.push('the release did not escalate on the outage in time');
            abortRun = abortAsAPerson({
              say,
              event,
              latest,
              releaseId,
              server,
              encryption,
              keyFile: approvals.privateKeyFile,
              cwd: options.cwd ?? process.cwd(),
            }).then(() => timeline.mark('aborted by a person', `${ABORTER.subject} (${ABORTER.role})`));
          }
        }
        await sleep(POLL_MS, signal);
      }
      await abortRun;
      // The last read, after the end: every member's final state.
      const read = await releaseStatus(handle).catch(() => undefined);
      if (read !== undefined) {
        for (const line of releaseEvents(latest, read)) event(line);
        timeline.observe(read);
        latest = read;
      }
    } finally {
      clearInterval(ticker);
      options.status?.(undefined);
    }
    check();
    const result = ended.result;
    if (ended.error) problems.push(`the release failed: ${ended.error.message}`);

    // What the pipeline does once the release ends: a promoted member's canary takes all its traffic.
    for (const [service, outcome] of Object.entries(result?.members ?? {})) {
      if (outcome === 'promoted')
        say(`promoting ${service} ${NEW}: ${await setCanaryWeight(traffic, service, 100)}`);
    }

    const weights: Record<string, number | undefined> = {};
    for (const service of SHOP_MEMBERS) {
      const state = await readServiceState(traffic, service);
      weights[service] = state.state?.pattern === 'canary' ? state.state.canaryWeight : undefined;
    }
    problems.push(...storyProblems(story, result, weights));

    const facts: string[] = [];
    for (const service of SHOP_MEMBERS) {
      const probe = await probeService(traffic, service).catch((err: Error) => ({
        description: err.message,
      }));
      facts.push(
        `nginx ${service}:`.padEnd(18) + `canary weight ${weights[service] ?? '?'}%; ${probe.description}`,
      );
    }
    facts.push(`deploy system:    ${describeDeploySystem(deploySystem)}`);
    for (const [service, counts] of Object.entries(loadCounts())) {
      facts.push(`load ${service}:`.padEnd(18) + describeLoad(counts));
    }
    const report: ReleaseDemoReport = {
      story: options.story,
      releaseId,
      workflowId: handle.workflowId,
      link,
      result,
      timeline: timeline.lines(),
      facts,
      problems,
      auditFile: join(dir, 'audit.jsonl'),
      seconds: (Date.now() - began) / 1000,
    };
    if (options.keepRunning && !signal.aborted) {
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

/** Copies release.yaml and the member policies into `dir`, the policies with this run's addresses. */
function writeReleaseFiles(
  dir: string,
  addresses: { prometheusUrl: string; deployHookUrl: string; notifyUrl: string },
): string {
  mkdirSync(dir, { recursive: true });
  for (const file of ['payments.yaml', 'checkout.yaml']) {
    const text = readFileSync(join(POLICIES_DIR, file), 'utf8');
    writeFileSync(join(dir, file), demoPolicyText(text, { pattern: 'canary', ...addresses }));
  }
  copyFileSync(join(POLICIES_DIR, 'release.yaml'), join(dir, 'release.yaml'));
  return join(dir, 'release.yaml');
}

/**
 * What the person called does in the outage story: reads the evidence, then
 * aborts the release from a shell with the ripcord CLI, signed with the demo's
 * key, exactly as the printed command says (the story runs it for them).
 */
async function abortAsAPerson(input: {
  say: (line: string) => void;
  event: (line: string) => void;
  latest: ReleaseRead | undefined;
  releaseId: string;
  server: DevServer;
  encryption: DemoEncryption | undefined;
  keyFile: string;
  cwd: string;
}): Promise<void> {
  const { say, event, latest } = input;
  const systemic = latest?.release.verdicts.find((v) => v.kind === 'systemic');
  say('');
  say('the release holds every member and waits for a person. The evidence:');
  say(`  ${systemic?.reason ?? latest?.reason ?? 'no verdict yet'}`);
  say(
    `  members: ${(latest?.release.members ?? []).map((m) => `${m.service} ${m.version} ${m.state}`).join(', ')}`,
  );
  const reason = 'platform incident: db-proxy is failing, not the release';
  const args = [
    'abort',
    input.releaseId,
    '--key',
    input.keyFile,
    '--as',
    ABORTER.subject,
    '--role',
    ABORTER.role,
    '--reason',
    reason,
  ];
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: input.server.address,
    TEMPORAL_NAMESPACE: input.server.namespace,
    RIPCORD_WEB_UI: input.server.uiUrl,
    ...(input.encryption ? { RIPCORD_CODEC_KEYS: input.encryption.keysFile } : {}),
  };
  // As a person types it in the repository: files under it named relative to it.
  const short = (word: string) => {
    const rel = relative(input.cwd, word);
    return isAbsolute(word) && rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : word;
  };
  say('the on-call engineer aborts the release from a shell (the demo runs it for them):');
  say(
    `  ${Object.entries(env)
      .map(([k, v]) => `${k}=${shellWord(short(v))}`)
      .join(' ')} npx ripcord ${args.map((a) => shellWord(short(a))).join(' ')}`,
  );
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.RIPCORD_PROFILE;
  delete childEnv.RIPCORD_TASK_QUEUE;
  delete childEnv.RIPCORD_TOKEN;
  const { code, output } = await new Promise<{ code: number | null; output: string }>((done) => {
    const child = spawn(process.execPath, [RIPCORD_BIN, ...args], {
      cwd: input.cwd,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr.on('data', (c: Buffer) => (text += c.toString()));
    child.once('error', (err) => done({ code: null, output: `${text}${err.message}` }));
    child.once('exit', (exitCode) => done({ code: exitCode, output: text }));
  });
  for (const line of output.trimEnd().split('\n')) say(`  | ${line}`);
  event(`ripcord abort exited ${code}`);
  say('');
}

function storyProblems(
  story: ReleaseStory,
  result: ReleaseResult | undefined,
  weights: Record<string, number | undefined>,
): string[] {
  if (result === undefined) return ['the release has no result'];
  const problems: string[] = [];
  const same = (a: readonly string[], b: readonly string[]) => a.join(',') === b.join(',');
  if (!same(result.rolledBack, story.expected.rolledBack)) {
    problems.push(
      `rolled back [${result.rolledBack.join(', ')}], expected [${story.expected.rolledBack.join(', ')}]`,
    );
  }
  for (const service of story.expected.promoted) {
    if (result.members[service] !== 'promoted')
      problems.push(`${service} ended ${result.members[service] ?? 'unknown'}, expected promoted`);
  }
  const first = result.verdicts.find((v) => v.kind !== 'healthy');
  if (first === undefined || !(story.expected.verdicts as readonly string[]).includes(first.kind)) {
    problems.push(
      `the release's first verdict was ${first?.kind ?? 'none'}, expected ${story.expected.verdicts.join(' or ')}`,
    );
  }
  if (story.expected.outcome !== undefined && result.outcome !== story.expected.outcome) {
    problems.push(`the release ended ${result.outcome}, expected ${story.expected.outcome}`);
  }
  // nginx: a rolled-back member drained, a promoted one at 100, anything else untouched.
  for (const [service, weight] of Object.entries(weights)) {
    const expected = result.rolledBack.includes(service)
      ? 0
      : result.members[service] === 'promoted'
        ? 100
        : SHOP_CANARY_WEIGHT;
    if (weight !== expected)
      problems.push(`nginx sends ${weight ?? '?'}% to ${service} ${NEW}, expected ${expected}%`);
  }
  return problems;
}

function describeDeploySystem(system: DeploySystem): string {
  const jobs = system
    .jobs()
    .map((j) => `${j.action} "${j.step}" of ${j.deploymentId} received ${j.deliveries}×, acted once`);
  const notified = system.notifications().map((n) => n.event);
  const counts = [...new Set(notified)].map((e) => `${e} ×${notified.filter((n) => n === e).length}`);
  return [
    jobs.length > 0 ? jobs.join('; ') : 'no rollback received',
    counts.length > 0 ? `notified: ${counts.join(', ')}` : 'no notification',
  ].join('; ');
}

function describeLoad(counts: LoadCounts): string {
  const parts = Object.entries(counts.byVersion).map(([version, statuses]) => {
    const total = Object.values(statuses).reduce((a, b) => a + b, 0);
    const errors = Object.entries(statuses)
      .filter(([status]) => Number(status) >= 500)
      .reduce((a, [, n]) => a + n, 0);
    return `${version}: ${total} requests, ${errors} errors`;
  });
  return `${counts.sent} sent; ${parts.join('; ')}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      clearTimeout(timer);
      done();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      done();
    }, ms);
    signal.addEventListener('abort', stop, { once: true });
  });
}
