import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { activateRelease, createRelease } from '../../targets/artifact/releases';
import { findFreePort } from '../ports';
import { type PrometheusServer, type ScrapeTarget, startPrometheus } from '../prometheus';
import { BEHAVIOUR_FILE, type BehaviourInput } from './behaviour';
import { type LoadGenerator, type LoadOptions, startLoad } from './load';
import { superviseService, type SupervisedService, type SupervisorEvent } from './supervisor';
import type { FleetRole } from './index';

/**
 * The release demo's fleet: several services that call one another, each a
 * real process serving real /metrics, all of them scraped by one real
 * Prometheus, every call between them going through a front (nginx) that
 * routes by Host. A service in the release runs a baseline instance on its old
 * version and a canary instance on its new one; a service outside the release
 * runs one instance (its baseline).
 *
 * Calls and lanes. A canary instance calls `<dependency>`: the dependency's
 * weighted upstream, so the dependency's canary takes its share of them. A
 * baseline instance calls `<dependency>-stable` when the dependency has a
 * canary: requests that entered on the stable path stay on stable versions, as
 * a service mesh's stable lane keeps them. The release judge counts on it (a
 * member's baseline never reaches a canary, so a baseline that degrades says
 * the platform is failing, not the release). A dependency without a canary is
 * called as `<dependency>`.
 *
 * The front's upstreams: `<service>` of a service with a canary belongs to the
 * nginx traffic target (the deploy and the rollback set its weight); the
 * others (the stable lanes, the services with one instance) never change, and
 * `staticUpstreams()` gives their text.
 *
 *   <dir>/<service>/<role>/<service>/releases/<version>/   current → releases/<version>
 *   <dir>/run/<service>-<role>.pid
 *   <dir>/prometheus/
 */

export interface ReleaseFleetVersion {
  version: string;
  behaviour: BehaviourInput;
}

export interface ReleaseFleetService {
  service: string;
  baseline: ReleaseFleetVersion;
  /** A member of the release: its new version, next to the baseline. */
  canary?: ReleaseFleetVersion;
  /** The service this one calls on every business request, through the front. */
  calls?: string;
}

export interface ReleaseFleetOptions {
  dir: string;
  /** The front every call between services goes through (routing by Host): http://host:port. */
  frontUrl: string;
  services: ReleaseFleetService[];
  scrapeIntervalSeconds?: number;
  /** Seeds the instances' request outcomes (each instance gets its own stream). */
  seed?: number;
  onEvent?: (service: string, role: FleetRole, event: SupervisorEvent) => void;
  onPrometheusOutput?: (line: string) => void;
}

export interface ReleaseFleetInstance {
  service: string;
  role: FleetRole;
  version: string;
  releasesDir: string;
  port: number;
  url: string;
  /** host:port, as Prometheus and nginx name the instance. */
  address: string;
  pidFile: string;
  /** The Host it sends its calls with (undefined: it calls nothing). */
  callsHost: string | undefined;
  supervisor: SupervisedService | undefined;
}

export interface ReleaseFleet {
  instances: ReleaseFleetInstance[];
  /** The instance of `service` in `role`; throws when there is none. */
  instance(service: string, role: FleetRole): ReleaseFleetInstance;
  prometheus: PrometheusServer;
  /** Upstream blocks of the front that nothing changes: stable lanes and single-instance services. */
  staticUpstreams(): Array<{ name: string; text: string }>;
  /** Turns the fault switch of one instance on or off (see behaviour.ts `fault`); says what it did. */
  setFault(service: string, role: FleetRole, on: boolean): Promise<string>;
  /** Starts (or replaces) the load generator called `name`. */
  startLoad(name: string, options: LoadOptions): LoadGenerator;
  loads(): Record<string, LoadGenerator>;
  stop(): Promise<void>;
}

/** The Host of the stable lane of a service with a canary. */
export function stableLane(service: string): string {
  return `${service}-stable`;
}

/** Every Host the front must route for these services: each service, and each called service's stable lane. */
export function frontHosts(services: readonly ReleaseFleetService[]): string[] {
  const hosts = services.map((s) => s.service);
  for (const s of services) {
    const lane = laneOf(services, s.calls, 'baseline');
    if (lane !== undefined && !hosts.includes(lane)) hosts.push(lane);
  }
  return hosts;
}

/** The Host an instance in `role` calls `dependency` by (see the lanes above). */
function laneOf(
  services: readonly ReleaseFleetService[],
  dependency: string | undefined,
  role: FleetRole,
): string | undefined {
  if (dependency === undefined) return undefined;
  const target = services.find((s) => s.service === dependency);
  if (target === undefined)
    throw new Error(`release fleet: a service calls ${dependency}, which is not in the fleet`);
  return role === 'baseline' && target.canary !== undefined ? stableLane(dependency) : dependency;
}

export async function startReleaseFleet(options: ReleaseFleetOptions): Promise<ReleaseFleet> {
  const dir = resolve(options.dir);
  const runDir = join(dir, 'run');
  mkdirSync(runDir, { recursive: true });
  const frontHost = new URL(options.frontUrl);
  if (frontHost.protocol !== 'http:')
    throw new Error(`release fleet: the front must be http:// (${options.frontUrl})`);

  const instances: ReleaseFleetInstance[] = [];
  for (const spec of options.services) {
    const roles: Array<[FleetRole, ReleaseFleetVersion]> = [['baseline', spec.baseline]];
    if (spec.canary !== undefined) {
      if (spec.canary.version === spec.baseline.version)
        throw new Error(`release fleet: ${spec.service}'s baseline and canary versions must differ`);
      roles.push(['canary', spec.canary]);
    }
    for (const [role, { version, behaviour }] of roles) {
      const releasesDir = join(dir, spec.service, role);
      await createRelease({
        releasesDir,
        service: spec.service,
        version,
        files: { VERSION: `${version}\n`, [BEHAVIOUR_FILE]: `${JSON.stringify(behaviour, null, 2)}\n` },
        overwrite: true,
      });
      await activateRelease({ releasesDir, service: spec.service, version });
      const port = await findFreePort();
      instances.push({
        service: spec.service,
        role,
        version,
        releasesDir,
        port,
        url: `http://127.0.0.1:${port}`,
        address: `127.0.0.1:${port}`,
        pidFile: join(runDir, `${spec.service}-${role}.pid`),
        callsHost: laneOf(options.services, spec.calls, role),
        supervisor: undefined,
      });
    }
  }

  const loads: Record<string, LoadGenerator> = {};
  let prometheus: PrometheusServer | undefined;
  const stopAll = async () => {
    await Promise.all(Object.values(loads).map((l) => l.stop()));
    await Promise.all([prometheus?.stop(), ...instances.map((i) => i.supervisor?.stop())]);
  };

  const abandon = new AbortController();
  try {
    const starting: Promise<unknown>[] = instances.map((target, i) =>
      superviseService({
        releasesDir: target.releasesDir,
        service: target.service,
        port: target.port,
        pidFile: target.pidFile,
        name: `${target.service} ${target.role}`,
        ...(options.seed === undefined ? {} : { seed: options.seed + i + 1 }),
        ...(target.callsHost === undefined
          ? {}
          : { calls: { url: `${frontHost.origin}/`, host: target.callsHost } }),
        onEvent: (event) => options.onEvent?.(target.service, target.role, event),
      }).then((s) => (target.supervisor = s)),
    );
    const scrapeTargets: ScrapeTarget[] = instances.map((target) => ({
      job: target.service,
      targets: [target.address],
      labels: { group: target.role },
    }));
    starting.push(
      startPrometheus({
        dir: join(dir, 'prometheus'),
        scrapeTargets,
        scrapeIntervalSeconds: options.scrapeIntervalSeconds ?? 1,
        ...(options.onPrometheusOutput ? { onOutput: options.onPrometheusOutput } : {}),
        signal: abandon.signal,
      }).then((p) => (prometheus = p)),
    );
    for (const start of starting) start.catch(() => abandon.abort());
    const started = await Promise.allSettled(starting);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await stopAll();
    throw err;
  }

  const instance = (service: string, role: FleetRole) => {
    const found = instances.find((i) => i.service === service && i.role === role);
    if (found === undefined) throw new Error(`release fleet: no ${role} instance of ${service}`);
    return found;
  };

  return {
    instances,
    instance,
    prometheus: prometheus as PrometheusServer,
    staticUpstreams: () =>
      frontHosts(options.services)
        .filter((host) => !options.services.some((s) => s.service === host && s.canary !== undefined))
        .map((name) => {
          const lane = options.services.find((s) => stableLane(s.service) === name && s.canary !== undefined);
          const baseline = instance(lane?.service ?? name, 'baseline');
          const what =
            lane === undefined
              ? `${name} outside the release, one instance`
              : `the stable lane of ${lane.service}, its baseline only`;
          return {
            name,
            text: [
              `# Written by the ripcord demo (src/dev/fleet/release-fleet.ts): ${what}; nothing changes it.`,
              `upstream ${name} {`,
              `    server ${baseline.address};  # ${baseline.service} ${baseline.version}`,
              '}',
              '',
            ].join('\n'),
          };
        }),
    setFault: async (service, role, on) => {
      const target = instance(service, role);
      const res = await fetch(`${target.url}/fault/${on ? 'on' : 'off'}`, {
        method: 'POST',
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) throw new Error(`${service} ${role}: the fault switch answered ${res.status}`);
      const body = (await res.json()) as { effect: string };
      return `${service} ${target.version} (${role}): ${body.effect} ${on ? 'on' : 'off'}`;
    },
    startLoad: (name, loadOptions) => {
      void loads[name]?.stop();
      loads[name] = startLoad(loadOptions);
      return loads[name];
    },
    loads: () => ({ ...loads }),
    stop: stopAll,
  };
}
