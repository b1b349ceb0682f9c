import { z } from 'zod';
import { SCENARIO_FORMAT, type Scenario } from '../simulate/scenario';
import { findCycle } from './graph';
import { RELEASE_KINDS } from './kinds';

/**
 * Release scenario files (ripcord.release-scenario/v1): the series of several
 * services that ship together, and of services outside the release that share
 * their dependency graph, one value per interval. Each service's series have
 * the shape of a deployment scenario's (docs/architecture.md §4): members carry
 * `baseline` (stable version) and `canary` (new version); services outside
 * the release carry only `baseline`, which covers all their traffic.
 *
 * `truth` and `params` are for scoring only; nothing that decides reads them.
 * Examples: test/fixtures/scenarios/release/README.md.
 */
export const RELEASE_SCENARIO_FORMAT = 'ripcord.release-scenario/v1';

export { isReleaseKind, RELEASE_KINDS, type ReleaseKind } from './kinds';

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

const Value = z.number().finite().min(0, { error: 'must be a number of zero or more (or null)' }).nullable();

const ServiceSeries = z.strictObject({
  baseline: z.array(Value),
  canary: z.array(Value).optional(),
});

const Service = z.strictObject({
  inRelease: z.boolean({ error: 'must be true (a member of the release) or false (a service outside it)' }),
  dependsOn: z
    .array(z.string().min(1, { error: 'must name a service' }))
    .default([])
    .superRefine((names, ctx) => {
      names.forEach((name, i) => {
        if (names.indexOf(name) !== i) {
          ctx.addIssue({ code: 'custom', path: [i], message: `names "${name}" twice` });
        }
      });
    }),
  series: z.record(z.string(), ServiceSeries).refine((s) => Object.keys(s).length > 0, {
    error: 'must hold at least one series',
  }),
});

export const ReleaseTruth = z.looseObject({
  kind: z.enum(RELEASE_KINDS, { error: `must be one of: ${RELEASE_KINDS.join(', ')}` }),
  culprits: z.array(z.string()).optional(),
  onsetIndex: z.number().int().min(0).nullable().optional(),
  expect: z.enum(['rollback', 'no-rollback']).optional(),
  affected: z.array(z.string()).optional(),
  acceptEscalate: z.boolean().optional(),
});
export type ReleaseTruth = z.infer<typeof ReleaseTruth>;

export const ReleaseScenario = z
  .looseObject({
    format: z.literal(RELEASE_SCENARIO_FORMAT, { error: `must be "${RELEASE_SCENARIO_FORMAT}"` }),
    name: z.string().min(1),
    description: z.string().optional(),
    intervalSeconds: z.number().positive(),
    members: z.record(z.string(), Service),
    truth: ReleaseTruth.optional(),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((scenario, ctx) => {
    const services = Object.keys(scenario.members);
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });

    if (!services.some((s) => scenario.members[s]?.inRelease === true)) {
      issue(['members'], 'no service has inRelease: true: a release needs at least one member');
    }
    let length: { value: number; where: string } | null = null;
    for (const service of services) {
      const entry = scenario.members[service];
      if (entry === undefined) continue;
      if (!SERVICE_NAME.test(service)) {
        issue(
          ['members', service],
          'is not a service name (letters, digits, ".", "_" and "-", at most 63, starting with a letter or digit)',
        );
      }
      entry.dependsOn.forEach((dependency, i) => {
        if (dependency === service) {
          issue(['members', service, 'dependsOn', i], 'a service cannot depend on itself');
        } else if (scenario.members[dependency] === undefined) {
          issue(
            ['members', service, 'dependsOn', i],
            `unknown service "${dependency}": every dependency needs an entry in members (known: ${services.join(', ')})`,
          );
        }
      });
      for (const [name, groups] of Object.entries(entry.series)) {
        const where = `members.${service}.series.${name}.baseline`;
        if (length === null) {
          length = { value: groups.baseline.length, where };
          if (groups.baseline.length === 0)
            issue(['members', service, 'series', name, 'baseline'], 'has no intervals');
        }
        for (const group of ['baseline', 'canary'] as const) {
          const values = groups[group];
          if (values === undefined) {
            if (group === 'canary' && entry.inRelease) {
              issue(
                ['members', service, 'series', name],
                'has no canary: a member of the release (inRelease: true) needs baseline and canary',
              );
            }
            continue;
          }
          if (group === 'canary' && !entry.inRelease) {
            issue(
              ['members', service, 'series', name, 'canary'],
              'a service outside the release (inRelease: false) has one version: give only its baseline',
            );
            continue;
          }
          if (values.length !== length.value) {
            issue(
              ['members', service, 'series', name, group],
              `has ${values.length} values but ${length.where} has ${length.value}: every series needs one value per interval`,
            );
          }
        }
      }
      const requests = entry.series.requests;
      const errors = entry.series.errors;
      if (requests !== undefined && errors !== undefined) {
        for (const group of ['baseline', 'canary'] as const) {
          errors[group]?.forEach((e, i) => {
            const r = requests[group]?.[i];
            if (e !== null && r !== null && r !== undefined && r >= 0 && e > r) {
              issue(
                ['members', service, 'series', 'errors', group, i],
                `${e} errors but only ${r} requests in this interval`,
              );
            }
          });
        }
      }
    }

    const graph = Object.fromEntries(services.map((s) => [s, scenario.members[s]?.dependsOn ?? []]));
    const cycle = findCycle(graph);
    if (cycle !== null) {
      issue(
        ['members', cycle[0] as string, 'dependsOn'],
        `dependency cycle ${cycle.join(' → ')}: the graph must be acyclic`,
      );
    }

    const culprits = scenario.truth?.culprits ?? [];
    culprits.forEach((culprit, i) => {
      if (scenario.members[culprit]?.inRelease !== true) {
        issue(['truth', 'culprits', i], `"${culprit}" is not a member of the release`);
      }
    });
    const onset = scenario.truth?.onsetIndex;
    if (onset !== undefined && onset !== null && length !== null && onset >= length.value) {
      issue(['truth', 'onsetIndex'], `is ${onset} but the scenario has only ${length.value} intervals`);
    }
  });
export type ReleaseScenario = z.infer<typeof ReleaseScenario>;
export type ReleaseService = ReleaseScenario['members'][string];

export function releaseScenarioLength(scenario: ReleaseScenario): number {
  for (const service of Object.values(scenario.members)) {
    const first = Object.values(service.series)[0];
    if (first !== undefined) return first.baseline.length;
  }
  return 0;
}

/** The services that ship in the release, in name order. */
export function releaseMembers(scenario: ReleaseScenario): string[] {
  return Object.keys(scenario.members)
    .filter((s) => scenario.members[s]?.inRelease === true)
    .sort();
}

/**
 * One member's series as a deployment scenario: what its own guardian would
 * see, its canary against its baseline. Truth is not carried over.
 */
export function memberScenario(scenario: ReleaseScenario, service: string): Scenario {
  const entry = scenario.members[service];
  if (entry === undefined || !entry.inRelease) {
    throw new Error(`${service} is not a member of release scenario ${scenario.name}`);
  }
  return serviceScenario(scenario, service);
}

/**
 * Any service of the scenario as a deployment scenario, members and services
 * outside the release alike: what a release reads for it. A service outside
 * the release has only its serving version, the baseline; its canary is no data.
 */
export function serviceScenario(scenario: ReleaseScenario, service: string): Scenario {
  const entry = scenario.members[service];
  if (entry === undefined) throw new Error(`release scenario ${scenario.name} has no service ${service}`);
  const series: Scenario['series'] = {};
  for (const [name, groups] of Object.entries(entry.series)) {
    series[name] = { baseline: groups.baseline, canary: groups.canary ?? groups.baseline.map(() => null) };
  }
  return {
    format: SCENARIO_FORMAT,
    name: `${scenario.name}/${service}`,
    intervalSeconds: scenario.intervalSeconds,
    series,
  };
}
