import type { Observation } from '../decision';
import { RELEASE_SCENARIO_FORMAT, type ReleaseScenario } from './scenario';

/**
 * What a live release has read since its judgement last started afresh, in
 * the shape of a release scenario, so that the one judge (judge.ts) judges a
 * live release exactly as it judges a recorded one. Pure and deterministic:
 * the release workflow keeps it in memory.
 *
 * After a culprit's rollback the window starts again (`restart`): the
 * rolled-back services count as services outside the release from then on
 * (their serving version is their old one), and the members still in the
 * release are judged on fresh data only.
 */
export interface LiveWindow {
  name: string;
  intervalSeconds: number;
  /** The release's interval index of the window's first reading. */
  startIndex: number;
  length: number;
  services: Record<
    string,
    {
      inRelease: boolean;
      dependsOn: string[];
      series: Record<string, { baseline: Array<number | null>; canary: Array<number | null> }>;
    }
  >;
}

export interface WindowService {
  service: string;
  inRelease: boolean;
  dependsOn: readonly string[];
}

export function openWindow(
  name: string,
  intervalSeconds: number,
  services: readonly WindowService[],
  startIndex = 0,
): LiveWindow {
  return {
    name,
    intervalSeconds,
    startIndex,
    length: 0,
    services: Object.fromEntries(
      services.map((s) => [s.service, { inRelease: s.inRelease, dependsOn: [...s.dependsOn], series: {} }]),
    ),
  };
}

/**
 * Adds one interval. A reading with an error is no data (null), as a replayed
 * gap would be; a series seen for the first time (a histogram bucket that
 * appears) has no data before it, so every series keeps one value per interval.
 */
export function appendReadings(
  window: LiveWindow,
  observations: Readonly<Record<string, Observation>>,
): void {
  const at = window.length;
  for (const [service, entry] of Object.entries(window.services)) {
    const observation = observations[service] ?? {};
    for (const [name, reading] of Object.entries(observation)) {
      if (reading === undefined) continue;
      const series = (entry.series[name] ??= {
        baseline: new Array<number | null>(at).fill(null),
        canary: new Array<number | null>(at).fill(null),
      });
      const failed = reading.error !== undefined;
      series.baseline.push(failed ? null : reading.baseline);
      series.canary.push(failed || !entry.inRelease ? null : reading.canary);
    }
    for (const series of Object.values(entry.series)) {
      if (series.baseline.length === at) series.baseline.push(null);
      if (series.canary.length === at) series.canary.push(null);
    }
  }
  window.length = at + 1;
}

/** The window as a release scenario (services without any series yet are left out: nothing to judge). */
export function windowScenario(window: LiveWindow): ReleaseScenario {
  const members: ReleaseScenario['members'] = {};
  for (const [service, entry] of Object.entries(window.services)) {
    if (Object.keys(entry.series).length === 0) continue;
    members[service] = {
      inRelease: entry.inRelease,
      dependsOn: entry.dependsOn,
      series: Object.fromEntries(
        Object.entries(entry.series).map(([name, groups]) => [
          name,
          entry.inRelease
            ? { baseline: groups.baseline, canary: groups.canary }
            : { baseline: groups.baseline },
        ]),
      ),
    };
  }
  return {
    format: RELEASE_SCENARIO_FORMAT,
    name: window.name,
    intervalSeconds: window.intervalSeconds,
    members,
  } as ReleaseScenario;
}

/** Starts afresh at `startIndex`, the given services no longer in the release (rolled back). */
export function restartWindow(
  window: LiveWindow,
  retired: readonly string[],
  startIndex: number,
): LiveWindow {
  return openWindow(
    window.name,
    window.intervalSeconds,
    Object.entries(window.services).map(([service, entry]) => ({
      service,
      inRelease: entry.inRelease && !retired.includes(service),
      dependsOn: entry.dependsOn,
    })),
    startIndex,
  );
}
