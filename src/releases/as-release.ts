import type { ReleaseScenario } from './scenario';

/**
 * A release scenario judged as the release a release file describes
 * (`ripcord simulate --release-scenario … --release release.yaml`): its
 * members, outside services and their dependsOn come from the release, the
 * series from the scenario. A scenario service the release does not list is
 * left out (a release reads only what its file names). Where the two do not
 * describe the same release, the problems name both.
 */
export interface ReleaseLayout {
  /** The release file, to name it in problems. */
  file: string;
  members: readonly { service: string; dependsOn: readonly string[] }[];
  outside: readonly { service: string; dependsOn: readonly string[] }[];
}

export type AsRelease = { ok: true; scenario: ReleaseScenario } | { ok: false; problems: string[] };

export function asRelease(scenario: ReleaseScenario, release: ReleaseLayout): AsRelease {
  const problems: string[] = [];
  const listed = new Set([...release.members, ...release.outside].map((s) => s.service));
  const scenarioMembers = Object.keys(scenario.members).filter(
    (s) => scenario.members[s]?.inRelease === true,
  );
  release.members.forEach((member, i) => {
    const entry = scenario.members[member.service];
    if (entry === undefined) {
      problems.push(
        `${release.file} members[${i}] "${member.service}" is not in scenario ${scenario.name} (its members: ${scenarioMembers.join(', ')})`,
      );
    } else if (!entry.inRelease) {
      problems.push(
        `${release.file} members[${i}] "${member.service}" is outside the release in scenario ${scenario.name} (inRelease: false): it has no canary to judge`,
      );
    }
  });
  for (const service of scenarioMembers) {
    if (release.members.some((m) => m.service === service)) continue;
    problems.push(
      `members.${service}: a member of scenario ${scenario.name} (inRelease: true) but not of ${release.file} (members: ${release.members.map((m) => m.service).join(', ')})` +
        (listed.has(service) ? ', which lists it outside the release' : ''),
    );
  }
  release.outside.forEach((outside, i) => {
    if (scenario.members[outside.service] !== undefined) return;
    problems.push(
      `${release.file} outside[${i}] "${outside.service}" has no series in scenario ${scenario.name} (its services: ${Object.keys(scenario.members).join(', ')})`,
    );
  });
  if (problems.length > 0) return { ok: false, problems };

  const members: ReleaseScenario['members'] = {};
  for (const [inRelease, services] of [
    [true, release.members],
    [false, release.outside],
  ] as const) {
    for (const s of services) {
      const entry = scenario.members[s.service];
      if (entry === undefined) continue;
      members[s.service] = { ...entry, inRelease, dependsOn: [...s.dependsOn] };
    }
  }
  const sorted = Object.fromEntries(
    Object.keys(members)
      .sort()
      .map((k) => [k, members[k] as ReleaseScenario['members'][string]]),
  );
  return { ok: true, scenario: { ...scenario, members: sorted } };
}
