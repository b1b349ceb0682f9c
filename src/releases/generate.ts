import { drawIntervalHistogram, HISTOGRAM_BOUNDS_MS } from '../simulate/latency-histogram';
import { createRandom, mixSeed, type Random } from '../simulate/random';
import { dependencyClosure, type DependencyGraph } from './graph';
import {
  RELEASE_KINDS,
  RELEASE_SCENARIO_FORMAT,
  type ReleaseKind,
  type ReleaseScenario,
  type ReleaseTruth,
} from './scenario';

/**
 * Seeded release scenarios (ripcord.release-scenario/v1), following the
 * traffic model of the examples (test/fixtures/scenarios/release/README.md):
 *
 * - 2–3 members ship together; 1–2 services outside the release share their
 *   dependency graph, an acyclic graph of calls, each call made by a share of
 *   the caller's requests.
 * - A request that enters on the canary path stays on it: it reaches the
 *   canary of every member it reaches, directly or through services outside
 *   the release; a baseline-path request reaches only stable versions. A
 *   service outside the release serves both: a share of its traffic is
 *   canary-path.
 * - A request fails when the service itself fails it, or when a call it makes
 *   fails: failure = 1 − (1 − own) × Π over calls (1 − share × the callee's
 *   failure on the same path). So a member's failing canary shows in its
 *   callers' canaries in proportion to their calls, and in a service outside
 *   the release for its canary-path share. A caller sees a change one interval
 *   later or in the same interval (its own lag).
 * - Requests per interval are Poisson, errors Binomial, latency log-normal
 *   per service and group; the histogram `latency_le_<ms>` holds the requests
 *   at or under each bound, and `latency_p99_ms` is computed from it the way
 *   histogram_quantile does.
 *
 * What each kind changes: healthy (canaries differ a little; sometimes a
 * 1–3-interval canary error spike in one member), isolated (one member's
 * canary fails ×3–10 more or is ×1.5–3 slower, in an operation no one else
 * calls), cascade (one member's canary fails more, and that reaches the
 * members that call it), systemic (every version of several services fails
 * more, sometimes slower, for a while).
 */
export interface ReleaseGenerateOptions {
  kind: ReleaseKind;
  seed: number;
  /** Position within a batch: scenario i of a seed is its own random stream. */
  index: number;
  /** Interval length in seconds (default: 10, 15, 20 or 30). */
  intervalSeconds?: number;
}

/** Bucket bounds of the latency histogram, in ms: the deployment scenarios' (and the examples'). */
export const RELEASE_HISTOGRAM_BOUNDS_MS: readonly number[] = HISTOGRAM_BOUNDS_MS;

const SERVICE_NAMES = [
  'auth',
  'cart',
  'catalog',
  'checkout',
  'fulfillment',
  'gateway',
  'inventory',
  'ledger',
  'media',
  'notifications',
  'payments',
  'pricing',
  'profile',
  'search',
  'shipping',
  'tax',
] as const;

const LATENCY_SIGMA = 0.5;
const P99_Z = 2.3263478740408408;

type Path = 'canary' | 'baseline';

interface ServicePlan {
  name: string;
  inRelease: boolean;
  rps: number;
  base: number;
  p99: number;
  /** Services outside the release: the share of their requests on the canary path. */
  canaryShare: number;
  /** Intervals by which this service sees its callees' changes (0 or 1). */
  lag: number;
  /** Failure rate the service adds itself, per path and interval (passed on to its callers). */
  own: Record<Path, number[]>;
  /** Failure rate the service adds itself that no caller sees (an operation no one else calls). */
  local: Record<Path, number[]>;
  /** Log-scale latency shift, per path and interval. */
  latency: Record<Path, number[]>;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function pickDistinct<T>(random: Random, items: readonly T[], count: number): T[] {
  const pool = [...items];
  const chosen: T[] = [];
  while (chosen.length < count && pool.length > 0) {
    const i = random.integer(0, pool.length - 1);
    chosen.push(pool.splice(i, 1)[0] as T);
  }
  return chosen;
}

/**
 * A random acyclic call graph: services in a random order, each may call
 * those after it. For a cascade, `caller` reaches `culprit`, directly or
 * through a service outside the release.
 */
function callGraph(
  random: Random,
  plans: ServicePlan[],
  cascade: { caller: string; culprit: string } | null,
): Record<string, Record<string, number>> {
  const order = pickDistinct(random, plans, plans.length).map((p) => p.name);
  let through: string | null = null;
  if (cascade !== null) {
    // The caller goes first and the service it reaches the culprit through (if any) second, so both may call on.
    const outside = plans.filter((p) => !p.inRelease).map((p) => p.name);
    through = outside.length > 0 && random.uniform() < 0.3 ? random.pick(outside) : null;
    for (const name of [through, cascade.caller]) {
      if (name === null) continue;
      order.splice(order.indexOf(name), 1);
      order.unshift(name);
    }
  }
  const calls: Record<string, Record<string, number>> = Object.fromEntries(order.map((n) => [n, {}]));
  order.forEach((from, i) => {
    for (const to of order.slice(i + 1)) {
      if (random.uniform() < 0.35) (calls[from] as Record<string, number>)[to] = random.uniform(0.2, 0.8);
    }
  });
  if (cascade !== null) {
    const callerCalls = calls[cascade.caller] as Record<string, number>;
    if (through === null) {
      callerCalls[cascade.culprit] ??= random.uniform(0.3, 0.8);
    } else {
      callerCalls[through] ??= random.uniform(0.3, 0.8);
      (calls[through] as Record<string, number>)[cascade.culprit] ??= random.uniform(0.3, 0.8);
    }
  }
  return calls;
}

function planServices(random: Random, n: number): ServicePlan[] {
  const memberCount = random.integer(2, 3);
  const outsideCount = random.integer(1, 2);
  const names = pickDistinct(random, SERVICE_NAMES, memberCount + outsideCount);
  return names.map((name, i) => {
    const base = random.logUniform(0.002, 0.012);
    const inRelease = i < memberCount;
    const flat = (value: number) => new Array<number>(n).fill(value);
    return {
      name,
      inRelease,
      rps: random.logUniform(5, 80),
      base,
      p99: random.uniform(120, 400),
      canaryShare: inRelease ? 0 : random.uniform(0.2, 0.5),
      lag: random.integer(0, 1),
      own: { canary: flat(base), baseline: flat(base) },
      local: { canary: flat(0), baseline: flat(0) },
      latency: { canary: flat(0), baseline: flat(0) },
    };
  });
}

interface KindPlan {
  truth: ReleaseTruth;
  description: string;
  params: Record<string, unknown>;
}

function applyKind(
  kind: ReleaseKind,
  random: Random,
  plans: ServicePlan[],
  n: number,
  onset: number,
  culprit: ServicePlan,
  graph: DependencyGraph,
): KindPlan {
  const members = plans.filter((p) => p.inRelease);
  const callersOf = (service: string) =>
    plans
      .filter((p) => p.name !== service && dependencyClosure(graph, p.name).has(service))
      .map((p) => p.name);
  switch (kind) {
    case 'healthy': {
      const bias: Record<string, number> = {};
      for (const m of members) {
        bias[m.name] = random.uniform(0.9, 1.1);
        m.own.canary = m.own.canary.map((r) => r * (bias[m.name] ?? 1));
      }
      const spikes: Record<string, number>[] = [];
      let description = 'Healthy release';
      if (random.uniform() < 0.5) {
        const spiked = random.pick(members);
        const len = random.integer(1, 3);
        const at = random.integer(Math.floor(0.2 * n), Math.floor(0.8 * n));
        const mult = random.uniform(8, 15);
        for (let t = at; t < Math.min(n, at + len); t++) {
          spiked.own.canary[t] = Math.min(0.9, spiked.base * mult);
        }
        spikes.push({ at, len, mult: round(mult, 3) });
        description += `; a ${len}-interval canary error spike in ${spiked.name}`;
      }
      return {
        truth: { kind, culprits: [], onsetIndex: null, expect: 'no-rollback' },
        description,
        params: { bias, spikes },
      };
    }
    case 'isolated': {
      const errors = random.uniform() < 0.6;
      const mult = errors ? random.uniform(3, 10) : random.uniform(1.5, 3);
      for (let t = onset; t < n; t++) {
        if (errors) culprit.local.canary[t] = Math.min(0.9, culprit.base * (mult - 1));
        else culprit.latency.canary[t] = Math.log(mult);
      }
      return {
        truth: {
          kind,
          culprits: [culprit.name],
          onsetIndex: onset,
          expect: 'rollback',
          affected: [culprit.name],
        },
        description: `${culprit.name}'s canary: ${errors ? 'error rate' : 'p99'} x${mult.toFixed(1)} from onset; nothing else changes`,
        params: {
          regression: { service: culprit.name, type: errors ? 'errors' : 'latency', mult: round(mult, 3) },
        },
      };
    }
    case 'cascade': {
      const extra = random.logUniform(0.04, 0.25);
      for (let t = onset; t < n; t++) culprit.own.canary[t] = Math.min(0.9, culprit.base + extra);
      return {
        truth: {
          kind,
          culprits: [culprit.name],
          onsetIndex: onset,
          expect: 'rollback',
          affected: [culprit.name, ...callersOf(culprit.name)].sort(),
        },
        description: `${culprit.name}'s canary fails more from onset; its callers' canaries fail in proportion to their calls to it`,
        params: { regression: { service: culprit.name, type: 'errors', canaryExtraErr: round(extra, 4) } },
      };
    }
    case 'systemic': {
      const len = random.integer(8, 30);
      const everyone = random.uniform() < 0.5;
      const affected = everyone
        ? plans
        : [
            ...pickDistinct(random, members, random.integer(1, members.length)),
            ...pickDistinct(
              random,
              plans.filter((p) => !p.inRelease),
              1,
            ),
          ];
      const latMult = random.uniform() < 0.5 ? random.uniform(1.3, 2) : 1;
      const levels: Record<string, number> = {};
      for (const p of affected) {
        const level = random.logUniform(0.04, 0.25);
        levels[p.name] = round(level, 4);
        for (let t = onset + p.lag; t < Math.min(n, onset + p.lag + len); t++) {
          for (const path of ['canary', 'baseline'] as const) {
            p.own[path][t] = Math.min(0.9, p.base + level);
            p.latency[path][t] = Math.log(latMult);
          }
        }
      }
      const names = affected.map((p) => p.name).sort();
      return {
        truth: {
          kind,
          culprits: [],
          onsetIndex: onset,
          expect: 'no-rollback',
          acceptEscalate: true,
          affected: names,
        },
        description: `Platform incident for ${len} intervals: ${names.join(', ')} degrade in every version`,
        params: { incident: { len, latMult: round(latMult, 3), levels } },
      };
    }
  }
}

/**
 * Failure rate of a request on `path` at `service` in interval t, calls
 * included (the graph is acyclic, so the recursion ends).
 */
function failureRate(
  plans: Map<string, ServicePlan>,
  calls: Record<string, Record<string, number>>,
  service: string,
  path: Path,
  t: number,
  memo: Map<string, number>,
): number {
  const key = `${service}/${path}/${t}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const plan = plans.get(service) as ServicePlan;
  // A service outside the release has one version: its own failures do not depend on the path.
  const own = plan.own[plan.inRelease ? path : 'baseline'][t] ?? 0;
  let ok = 1 - own;
  for (const [callee, share] of Object.entries(calls[service] ?? {})) {
    const seen = Math.max(0, t - plan.lag);
    ok *= 1 - share * failureRate(plans, calls, callee, path, seen, memo);
  }
  const rate = 1 - ok;
  memo.set(key, rate);
  return rate;
}

export function generateReleaseScenario(options: ReleaseGenerateOptions): ReleaseScenario {
  const random = createRandom(
    mixSeed(options.seed, 1000 + RELEASE_KINDS.indexOf(options.kind), options.index),
  );
  const dt = options.intervalSeconds ?? random.pick([10, 15, 20, 30]);
  const n = Math.max(8, Math.round(random.uniform(20 * 60, 40 * 60) / dt));
  const onset = random.integer(Math.floor(0.25 * n), Math.floor(0.5 * n));
  const plans = planServices(random, n);
  const members = plans.filter((p) => p.inRelease);
  const culprit = random.pick(members);
  const caller = random.pick(members.filter((m) => m !== culprit));
  const calls = callGraph(
    random,
    plans,
    options.kind === 'cascade' ? { caller: caller.name, culprit: culprit.name } : null,
  );
  const graph: DependencyGraph = Object.fromEntries(
    plans.map((p) => [p.name, Object.keys(calls[p.name] ?? {}).sort()]),
  );
  const kind = applyKind(options.kind, random, plans, n, onset, culprit, graph);

  const byName = new Map(plans.map((p) => [p.name, p]));
  const memo = new Map<string, number>();
  const membersOut: ReleaseScenario['members'] = {};
  for (const plan of plans) {
    const groups: Path[] = plan.inRelease ? ['baseline', 'canary'] : ['baseline'];
    const series: Record<string, Record<string, (number | null)[]>> = {
      requests: {},
      errors: {},
      latency_p99_ms: {},
      ...Object.fromEntries(RELEASE_HISTOGRAM_BOUNDS_MS.map((b) => [`latency_le_${b}`, {}])),
    };
    for (const name of Object.keys(series))
      for (const g of groups) (series[name] as Record<string, number[]>)[g] = [];
    const logMedian = Math.log(plan.p99) - P99_Z * LATENCY_SIGMA;
    for (let t = 0; t < n; t++) {
      const wobble = random.normal(0, 0.03);
      for (const group of groups) {
        const requests = random.poisson(plan.rps * dt * random.uniform(0.95, 1.05));
        let failure: number;
        let shift: number;
        if (plan.inRelease) {
          failure =
            1 -
            (1 - failureRate(byName, calls, plan.name, group, t, memo)) * (1 - (plan.local[group][t] ?? 0));
          shift = plan.latency[group][t] ?? 0;
        } else {
          const share = plan.canaryShare;
          failure =
            share * failureRate(byName, calls, plan.name, 'canary', t, memo) +
            (1 - share) * failureRate(byName, calls, plan.name, 'baseline', t, memo);
          shift = plan.latency.baseline[t] ?? 0;
        }
        const errors = random.binomial(requests, Math.min(1, failure));
        // The deployment generator's histogram: one multinomial draw over the buckets by an exact binomial.
        const { cumulative, p99 } = drawIntervalHistogram(
          random,
          requests,
          [{ weight: 1, logMedian: logMedian + wobble + shift, sigma: LATENCY_SIGMA }],
          RELEASE_HISTOGRAM_BOUNDS_MS,
        );
        series.requests?.[group]?.push(requests);
        series.errors?.[group]?.push(errors);
        series.latency_p99_ms?.[group]?.push(p99 === null ? null : round(p99, 1));
        RELEASE_HISTOGRAM_BOUNDS_MS.forEach((b, k) =>
          series[`latency_le_${b}`]?.[group]?.push(cumulative[k] ?? 0),
        );
      }
    }
    membersOut[plan.name] = {
      inRelease: plan.inRelease,
      dependsOn: graph[plan.name] as string[],
      series: series as ReleaseScenario['members'][string]['series'],
    };
  }
  const sortedMembers = Object.fromEntries(
    Object.keys(membersOut)
      .sort()
      .map((k) => [k, membersOut[k]]),
  );
  return {
    format: RELEASE_SCENARIO_FORMAT,
    name: `release-${options.kind}-s${options.seed}-${String(options.index).padStart(3, '0')}`,
    description: kind.description,
    intervalSeconds: dt,
    members: sortedMembers as ReleaseScenario['members'],
    truth: kind.truth,
    params: {
      dt,
      intervals: n,
      onset,
      latencySigma: LATENCY_SIGMA,
      members: Object.fromEntries(
        plans.map((p) => [
          p.name,
          {
            rps: round(p.rps, 2),
            base: round(p.base, 5),
            p99: round(p.p99, 1),
            lag: p.lag,
            ...(p.inRelease ? {} : { canaryShare: round(p.canaryShare, 3) }),
          },
        ]),
      ),
      calls: Object.fromEntries(
        Object.entries(calls).flatMap(([from, to]) =>
          Object.entries(to).map(([callee, share]) => [`${from}->${callee}`, round(share, 4)]),
        ),
      ),
      ...kind.params,
    },
  };
}
