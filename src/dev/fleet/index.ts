import type { KeyObject } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findFreePort } from '../ports';
import { type PrometheusServer, type ScrapeTarget, startPrometheus } from '../prometheus';
import {
  BEHAVIOUR_FILE,
  type BehaviourInput,
  type BehaviourPreset,
  behaviourPreset,
  goodBehaviour,
} from './behaviour';
import { type LoadGenerator, type LoadOptions, startLoad } from './load';
import { activateRelease, createRelease, type Release, signRelease } from '../../targets/artifact/releases';
import { superviseService, type SupervisedService, type SupervisorEvent } from './supervisor';

export * from './behaviour';
export * from './load';
export * from './supervisor';
export * from './release-fleet';
export { startDemoService, loadRelease, LATENCY_BUCKETS_SECONDS } from './demo-service';
export type { DemoService, DemoServiceOptions, LoadedRelease } from './demo-service';
export { RESTART_EXIT_CODE } from './protocol';

/**
 * The demo fleet: `checkout` on two "hosts" — a baseline instance on the old
 * version and a canary instance on the new one — each with its own releases
 * directory, supervisor and pid file; a real Prometheus scraping both (labels
 * group="baseline" / group="canary"); and steady load. The demo adds nginx in
 * front and the guardian; rolling the canary back is switching the canary
 * host's `current` to the old release and SIGHUP to its pid file — what the
 * artifact-revert target does, on the release layout of src/targets/artifact
 * (the same digest, so the target recognises the fleet's releases).
 *
 *   <dir>/baseline/<service>/releases/<old>/        current → releases/<old>
 *   <dir>/canary/<service>/releases/{<old>,<new>}/  current → releases/<new>
 *   <dir>/<role>/<service>/releases/<version>.sig   with signingKey: signature over the digest
 *   <dir>/run/<service>-{baseline,canary}.pid
 *   <dir>/prometheus/                               config and TSDB
 */

export type FleetRole = 'baseline' | 'canary';

export interface FleetOptions {
  dir: string;
  service?: string;
  baselineVersion?: string;
  canaryVersion?: string;
  /** How the canary's version behaves: degrading (default), transient, healthy. */
  canaryBehaviour?: BehaviourPreset;
  /** Seconds of good behaviour before the canary degrades or spikes (default 30). */
  warmupSeconds?: number;
  /** transient: length of the spike (default 20). */
  spikeSeconds?: number;
  /** Omitted = free ports. Choose them up front when a proxy config must name them first. */
  baselinePort?: number;
  canaryPort?: number;
  prometheusPort?: number;
  scrapeIntervalSeconds?: number;
  /** The canary is not started until startCanary() (the demo deploys it after Prometheus runs). */
  deferCanary?: boolean;
  /**
   * Traffic. Default: 40 req/s round-robin straight at the running instances.
   * `url`: at a front (nginx) instead. false: none yet (startLoad later).
   */
  load?: false | { url?: string | string[]; ratePerSecond?: number };
  /** Seeds the instances' request outcomes (each instance gets its own stream). */
  seed?: number;
  /**
   * Signs every installed release of each host (`<version>.sig`) so that an artifact target
   * trusting the public half will deploy them; omitted = unsigned (the target refuses those).
   */
  signingKey?: { kid: string; privateKey: KeyObject };
  onEvent?: (role: FleetRole, event: SupervisorEvent) => void;
  onPrometheusOutput?: (line: string) => void;
}

export interface FleetInstance {
  role: FleetRole;
  /** This host's releases directory (<releasesDir>/<service>/{releases,current}). */
  releasesDir: string;
  port: number;
  url: string;
  /** host:port, as Prometheus names the instance. */
  address: string;
  pidFile: string;
  /** Installed releases on this host, by version. */
  releases: Record<string, Release>;
  /** Undefined until the instance has been started. */
  supervisor: SupervisedService | undefined;
}

export interface Fleet {
  service: string;
  baselineVersion: string;
  canaryVersion: string;
  baseline: FleetInstance;
  canary: FleetInstance;
  prometheus: PrometheusServer;
  /** The load started by startFleet or startLoad, if any. */
  load: LoadGenerator | undefined;
  /** Starts the canary instance (if deferred) and adds it to Prometheus; resolves once it is scraped. */
  startCanary(): Promise<SupervisedService>;
  /** Starts (or replaces) the load generator. */
  startLoad(options: Partial<LoadOptions> & { targets?: string | string[] }): LoadGenerator;
  stop(): Promise<void>;
}

const DEFAULT_RATE = 40;

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const dir = resolve(options.dir);
  const service = options.service ?? 'checkout';
  const baselineVersion = options.baselineVersion ?? '1.9.0';
  const canaryVersion = options.canaryVersion ?? '2.0.0';
  if (baselineVersion === canaryVersion)
    throw new Error('startFleet: baseline and canary versions must differ');
  const canaryBehaviour = behaviourPreset(options.canaryBehaviour ?? 'degrading', {
    warmupSeconds: options.warmupSeconds,
    spikeSeconds: options.spikeSeconds,
  });
  const runDir = join(dir, 'run');
  mkdirSync(runDir, { recursive: true });

  const install = async (releasesDir: string, version: string, behaviour: BehaviourInput) => {
    const release = await createRelease({
      releasesDir,
      service,
      version,
      files: {
        VERSION: `${version}\n`,
        [BEHAVIOUR_FILE]: `${JSON.stringify(behaviour, null, 2)}\n`,
      },
      // A demo rerun in the same directory starts from fresh releases (and drops stale signatures).
      overwrite: true,
    });
    if (options.signingKey !== undefined) {
      await signRelease({ releasesDir, service, version, key: options.signingKey });
    }
    return release;
  };
  const instance = async (
    role: FleetRole,
    port: number | undefined,
    versions: [string, BehaviourInput][],
  ) => {
    const releasesDir = join(dir, role);
    const releases: FleetInstance['releases'] = {};
    for (const [version, behaviour] of versions) {
      releases[version] = await install(releasesDir, version, behaviour);
    }
    const chosen = port ?? (await findFreePort());
    return {
      role,
      releasesDir,
      port: chosen,
      url: `http://127.0.0.1:${chosen}`,
      address: `127.0.0.1:${chosen}`,
      pidFile: join(runDir, `${service}-${role}.pid`),
      releases,
      supervisor: undefined,
    } satisfies FleetInstance as FleetInstance;
  };

  const baseline = await instance('baseline', options.baselinePort, [[baselineVersion, goodBehaviour()]]);
  await activateRelease({ releasesDir: baseline.releasesDir, service, version: baselineVersion });
  const canary = await instance('canary', options.canaryPort, [
    [baselineVersion, goodBehaviour()],
    [canaryVersion, canaryBehaviour],
  ]);
  await activateRelease({ releasesDir: canary.releasesDir, service, version: canaryVersion });

  const supervise = (target: FleetInstance, seedOffset: number) =>
    superviseService({
      releasesDir: target.releasesDir,
      service,
      port: target.port,
      pidFile: target.pidFile,
      name: `${service} ${target.role}`,
      seed: options.seed === undefined ? undefined : options.seed + seedOffset,
      onEvent: (event) => options.onEvent?.(target.role, event),
    });
  const scrapeTarget = (target: FleetInstance): ScrapeTarget => ({
    job: service,
    targets: [target.address],
    labels: { group: target.role },
  });

  let prometheus: PrometheusServer | undefined;
  let load: LoadGenerator | undefined;
  const stopAll = async () => {
    await load?.stop();
    await Promise.all([prometheus?.stop(), baseline.supervisor?.stop(), canary.supervisor?.stop()]);
  };

  // Instances and Prometheus start together: Prometheus needs only their ports, and its first
  // scrape (several seconds: target discovery is batched) is most of the start-up time.
  const abandon = new AbortController();
  let prometheusStart: Promise<PrometheusServer> | undefined;
  try {
    const starting: Promise<unknown>[] = [supervise(baseline, 1).then((s) => (baseline.supervisor = s))];
    if (!options.deferCanary) starting.push(supervise(canary, 2).then((s) => (canary.supervisor = s)));
    const running = options.deferCanary ? [baseline] : [baseline, canary];
    prometheusStart = startPrometheus({
      dir: join(dir, 'prometheus'),
      port: options.prometheusPort,
      scrapeTargets: running.map(scrapeTarget),
      scrapeIntervalSeconds: options.scrapeIntervalSeconds ?? 2,
      onOutput: options.onPrometheusOutput,
      signal: abandon.signal,
    });
    starting.push(prometheusStart.then((p) => (prometheus = p)));
    // The first failure abandons the rest; allSettled then waits until nothing is half-started.
    for (const start of starting) start.catch(() => abandon.abort());
    const started = await Promise.allSettled(starting);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await stopAll();
    throw err;
  }
  const server = await (prometheusStart as Promise<PrometheusServer>);

  const directTargets = () => [baseline, canary].filter((i) => i.supervisor !== undefined).map((i) => i.url);
  let loadFollowsInstances = false;
  const startLoadOn = (loadOptions: Partial<LoadOptions> & { targets?: string | string[] }) => {
    void load?.stop();
    loadFollowsInstances = loadOptions.targets === undefined;
    load = startLoad({
      ...loadOptions,
      targets: loadOptions.targets ?? directTargets(),
      ratePerSecond: loadOptions.ratePerSecond ?? DEFAULT_RATE,
    });
    return load;
  };
  if (options.load !== false) {
    startLoadOn({ targets: options.load?.url, ratePerSecond: options.load?.ratePerSecond });
  }

  const fleet: Fleet = {
    service,
    baselineVersion,
    canaryVersion,
    baseline,
    canary,
    prometheus: server,
    get load() {
      return load;
    },
    startCanary: async () => {
      if (canary.supervisor !== undefined) return canary.supervisor;
      canary.supervisor = await supervise(canary, 2);
      await server.addScrapeTarget(scrapeTarget(canary));
      if (load !== undefined && loadFollowsInstances) load.setTargets(directTargets());
      return canary.supervisor;
    },
    startLoad: startLoadOn,
    stop: stopAll,
  };
  return fleet;
}
