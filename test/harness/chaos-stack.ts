import { join } from 'node:path';
import { type Fleet, type BehaviourPreset, startFleet, type SupervisorEvent } from '../../src/dev/fleet';
import { type NginxServer, startNginx } from '../../src/dev/nginx';
import { type PrometheusServer, startPrometheus } from '../../src/dev/prometheus';
import { findFreePort } from '../../src/dev/ports';
import { generateSigningKey, writeTrustedKeysFile } from '../../src/security/keys';
import { readRunningVersion } from '../../src/targets/artifact';
import { readServiceState, setCanaryWeight } from '../../src/targets/nginx';
import type { WorkerTargetsFile } from '../../src/worker/targets-file';
import type { DeploymentInfo } from '../../src/model/guardian';
import { waitUntil } from './chaos-poll';

/**
 * The real production stand-in of the chaos tier, as the demo builds it:
 * checkout 1.9.0 (baseline host) and 2.0.0 (canary host, which also holds the
 * signed 1.9.0 release to revert to) as local processes serving /metrics; a
 * real Prometheus scraping them every second; a real nginx splitting load
 * between them; and the worker targets that drive that nginx and those
 * releases. Counts what a person would check afterwards: restarts of the
 * canary host, the canary's nginx weight, the version the canary host runs.
 */

export const SERVICE = 'checkout';
export const OLD = '1.9.0';
export const NEW = '2.0.0';
export const RELEASE_KEY_ID = 'chaos-release-signing';

export interface ChaosStackOptions {
  dir: string;
  canaryBehaviour: BehaviourPreset;
  /** Seconds of good behaviour before a degrading canary turns (default 30). */
  warmupSeconds?: number;
  /** Requests per second through nginx (default 40). */
  loadPerSecond?: number;
  /** The canary's nginx weight once deployed (default 50). */
  canaryWeight?: number;
  /** How the artifact target restarts the canary host: SIGHUP to its pid file (default) or a command. */
  restartCommand?: string[];
}

export interface ChaosStack {
  fleet: Fleet;
  nginx: NginxServer;
  trustedKeysFile: string;
  digests: { old: string; new: string };
  targets: Pick<WorkerTargetsFile['targets'], 'traffic' | 'artifacts'>;
  /** Every start of the canary host's service (the deploy, then each restart). */
  canaryStarts(): Array<Extract<SupervisorEvent, { type: 'started' }>>;
  /**
   * The deploy: 2.0.0 starts on the canary host (its behaviour's clock starts now), Prometheus
   * scrapes it, nginx gives it its weight. Returns what the pipeline tells the guardian.
   */
  deploy(deploymentId: string, environment: string): Promise<DeploymentInfo>;
  canaryWeight(): Promise<number | undefined>;
  /** SIGKILL to Prometheus; resolves once it no longer answers. */
  killPrometheus(): Promise<void>;
  /** Prometheus again on the same port and TSDB, scraping both hosts; resolves once it has scraped them. */
  restartPrometheus(): Promise<void>;
  /** What the canary host says it runs. */
  canaryRuns(): Promise<string>;
  stop(): Promise<void>;
}

export async function startChaosStack(options: ChaosStackOptions): Promise<ChaosStack> {
  const releaseKey = generateSigningKey(RELEASE_KEY_ID);
  const starts: Array<Extract<SupervisorEvent, { type: 'started' }>> = [];
  const fleet = await startFleet({
    dir: join(options.dir, 'fleet'),
    service: SERVICE,
    baselineVersion: OLD,
    canaryVersion: NEW,
    canaryBehaviour: options.canaryBehaviour,
    warmupSeconds: options.warmupSeconds ?? 30,
    scrapeIntervalSeconds: 1,
    signingKey: releaseKey,
    deferCanary: true,
    load: false,
    onEvent: (role, event) => {
      if (role === 'canary' && event.type === 'started') starts.push(event);
    },
  });
  let nginx: NginxServer | undefined;
  try {
    const trustedKeysFile = join(options.dir, 'keys', 'releases.jwks.json');
    await writeTrustedKeysFile(trustedKeysFile, [releaseKey]);
    nginx = await startNginx({
      dir: join(options.dir, 'nginx'),
      port: await findFreePort(),
      services: [SERVICE],
    });
    const traffic: NonNullable<WorkerTargetsFile['targets']['traffic']> = {
      type: 'nginx',
      ...nginx.targetPaths,
      pauseScale: 1,
      reloadTimeoutSeconds: 10,
      services: {
        [SERVICE]: {
          pattern: 'canary',
          baseline: fleet.baseline.address,
          canary: fleet.canary.address,
          probe: { url: `${nginx.url}/`, count: 20, timeoutMs: 5000, version: { header: 'x-version' } },
        },
      },
    };
    const artifacts: NonNullable<WorkerTargetsFile['targets']['artifacts']> = {
      type: 'local-process',
      releasesDir: fleet.canary.releasesDir,
      trustedKeysFile,
      services: {
        [SERVICE]: {
          versionUrl: `${fleet.canary.url}/version`,
          restart: options.restartCommand
            ? { command: options.restartCommand, timeoutSeconds: 60 }
            : { pidFile: fleet.canary.pidFile, signal: 'SIGHUP' },
          readyTimeoutSeconds: 60,
        },
      },
    };
    await setCanaryWeight(traffic, SERVICE, 0);
    fleet.startLoad({ targets: `${nginx.url}/`, ratePerSecond: options.loadPerSecond ?? 40 });
    const digests = {
      old: fleet.canary.releases[OLD]!.digest,
      new: fleet.canary.releases[NEW]!.digest,
    };
    const server = nginx;
    let prometheus: PrometheusServer = fleet.prometheus;
    let replacement: PrometheusServer | undefined;
    return {
      fleet,
      nginx: server,
      trustedKeysFile,
      digests,
      targets: { traffic, artifacts },
      canaryStarts: () => [...starts],
      deploy: async (deploymentId, environment) => {
        await fleet.startCanary();
        await setCanaryWeight(traffic, SERVICE, options.canaryWeight ?? 50);
        return {
          deploymentId,
          service: SERVICE,
          environment,
          version: NEW,
          previousVersion: OLD,
          artifactDigest: digests.new,
          previousDigest: digests.old,
          deployer: 'chaos-pipeline',
          deployedAt: new Date().toISOString(),
        };
      },
      canaryWeight: async () => {
        const state = (await readServiceState(traffic, SERVICE)).state;
        return state?.pattern === 'canary' ? state.canaryWeight : undefined;
      },
      canaryRuns: async () => {
        const reading = await readRunningVersion(`${fleet.canary.url}/version`, AbortSignal.timeout(5000));
        return reading.ok ? reading.running.version : reading.problem;
      },
      killPrometheus: async () => {
        process.kill(prometheus.pid, 'SIGKILL');
        await waitUntil('Prometheus to go down', async () => {
          try {
            await fetch(`${prometheus.url}/-/ready`, { signal: AbortSignal.timeout(1000) });
            return false;
          } catch {
            return true;
          }
        });
      },
      restartPrometheus: async () => {
        replacement = await startPrometheus({
          dir: join(options.dir, 'fleet', 'prometheus'),
          port: prometheus.port,
          scrapeTargets: [fleet.baseline, fleet.canary].map((host) => ({
            job: SERVICE,
            targets: [host.address],
            labels: { group: host.role },
          })),
          scrapeIntervalSeconds: 1,
          readyTimeoutMs: 120_000,
        });
        prometheus = replacement;
      },
      stop: async () => {
        await replacement?.stop();
        await fleet.stop();
        await server.stop();
      },
    };
  } catch (error) {
    await fleet.stop();
    await nginx?.stop();
    throw error;
  }
}
