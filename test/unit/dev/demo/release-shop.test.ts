import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type BehaviourInput,
  LATENCY_BUCKETS_SECONDS,
  parseBehaviour,
  phaseAt,
  sampleRequest,
  seededRandom,
} from '../../../../src/dev/fleet';
import {
  CHECKOUT_LOAD_PER_SECOND,
  HEALTHY_INTERVALS_BEFORE_FAULT,
  PAYMENTS_LOAD_PER_SECOND,
  SHOP_CANARY_WEIGHT,
  shopServices,
} from '../../../../src/dev/demo/release-shop';
import { parsePolicyText } from '../../../../src/policy';
import { decisionConfigFromPolicy } from '../../../../src/policy/decision-config';
import { judgeRelease } from '../../../../src/releases/judge';
import { RELEASE_SCENARIO_FORMAT, ReleaseScenario } from '../../../../src/releases/scenario';

/**
 * The release stories' tuning, without a stack: the shop's traffic drawn
 * request by request from the very behaviours the fleet runs (checkout calls
 * payments, payments calls db-proxy; a baseline calls its dependency's stable
 * lane, a canary its weighted upstream), counted per 3 s interval as
 * Prometheus would, and judged by the release judge under the demo's member
 * policies. Story release: payments 2.0 regresses, so payments alone is rolled
 * back (checkout's errors are its). Story release-outage: db-proxy fails under
 * every version, so the release escalates (systemic) and rolls nothing back.
 */

const POLICIES = resolve(__dirname, '../../../../policies/demo/release');
const policy = (file: string) =>
  parsePolicyText(readFileSync(join(POLICIES, file), 'utf8'), { filename: file }).policy;
const payments = policy('payments.yaml');
const checkout = policy('checkout.yaml');
const DT = payments.evaluation.intervalSeconds;
const INTERVALS = 25;
const BOUNDS_MS = LATENCY_BUCKETS_SECONDS.map((s) => Math.round(s * 1000));

type Group = 'baseline' | 'canary';
interface Counts {
  requests: number;
  errors: number;
  le: number[];
}
const empty = (): Counts => ({ requests: 0, errors: 0, le: BOUNDS_MS.map(() => 0) });

function simulate(fault: { service: string; role: Group } | undefined, seed: number): ReleaseScenario {
  const random = seededRandom(seed);
  const specs = shopServices();
  const behaviours = new Map<string, ReturnType<typeof parseBehaviour>>();
  for (const spec of specs) {
    behaviours.set(`${spec.service}/baseline`, parseBehaviour(spec.baseline.behaviour as BehaviourInput));
    if (spec.canary) behaviours.set(`${spec.service}/canary`, parseBehaviour(spec.canary.behaviour));
  }
  const series = new Map<string, Counts[]>();
  const at = (service: string, group: Group, t: number) => {
    const list = series.get(`${service}/${group}`) ?? [];
    series.set(`${service}/${group}`, list);
    return (list[t] ??= empty());
  };
  const weight = SHOP_CANARY_WEIGHT / 100;

  // One request to `service` entering on `lane`; returns whether it failed and how long it took.
  const serve = (
    service: string,
    lane: Group,
    t: number,
    faultOn: boolean,
  ): { error: boolean; ms: number } => {
    const spec = specs.find((s) => s.service === service)!;
    const group: Group = spec.canary && lane === 'canary' && random() < weight ? 'canary' : 'baseline';
    const behaviour = behaviours.get(`${service}/${group}`)!;
    let ms = 0;
    let error = false;
    if (spec.calls) {
      const call = serve(spec.calls, group, t, faultOn);
      ms += call.ms;
      error = call.error;
    }
    if (!error) {
      const faulty = faultOn && fault?.service === service && fault.role === group && behaviour.fault;
      const phase = faulty ? { fromSeconds: 0, ...behaviour.fault! } : phaseAt(behaviour, 0);
      const outcome = sampleRequest(phase, random, behaviour.maxLatencyMs);
      ms += outcome.latencyMs;
      error = outcome.error;
    }
    const counts = at(service, group, t);
    counts.requests += 1;
    if (error) counts.errors += 1;
    BOUNDS_MS.forEach((bound, i) => {
      if (ms <= bound) counts.le[i]! += 1;
    });
    return { error, ms };
  };

  for (let t = 0; t < INTERVALS; t++) {
    const faultOn = fault !== undefined && t >= HEALTHY_INTERVALS_BEFORE_FAULT;
    // Front door: checkout's weighted upstream; other callers: payments' weighted upstream.
    for (let i = 0; i < CHECKOUT_LOAD_PER_SECOND * DT; i++) serve('checkout', 'canary', t, faultOn);
    for (let i = 0; i < PAYMENTS_LOAD_PER_SECOND * DT; i++) serve('payments', 'canary', t, faultOn);
    for (const spec of specs) {
      at(spec.service, 'baseline', t);
      if (spec.canary) at(spec.service, 'canary', t);
    }
  }

  const seriesOf = (service: string, group: Group) => series.get(`${service}/${group}`) ?? [];
  const members: Record<string, unknown> = {};
  for (const spec of specs) {
    const groups: Group[] = spec.canary ? ['baseline', 'canary'] : ['baseline'];
    const named: Record<string, Partial<Record<Group, number[]>>> = {};
    const put = (name: string, pick: (c: Counts) => number) => {
      named[name] = Object.fromEntries(groups.map((g) => [g, seriesOf(spec.service, g).map(pick)]));
    };
    put('requests', (c) => c.requests);
    put('errors', (c) => c.errors);
    BOUNDS_MS.forEach((bound, i) => put(`latency_le_${bound}`, (c) => c.le[i]!));
    members[spec.service] = {
      inRelease: spec.canary !== undefined,
      dependsOn: spec.calls ? [spec.calls] : [],
      series: named,
    };
  }
  return ReleaseScenario.parse({
    format: RELEASE_SCENARIO_FORMAT,
    name: fault ? `${fault.service}-${fault.role}-${seed}` : `healthy-${seed}`,
    intervalSeconds: DT,
    members,
  });
}

const judge = (scenario: ReleaseScenario) =>
  judgeRelease(scenario, {
    config: decisionConfigFromPolicy(payments),
    memberConfigs: {
      payments: decisionConfigFromPolicy(payments),
      checkout: decisionConfigFromPolicy(checkout),
    },
  });

const SEEDS = [1, 2, 3, 4, 5, 6];

test.each(SEEDS)('story release (seed %i): payments 2.0 regresses, payments alone is rolled back', (seed) => {
  const judged = judge(simulate({ service: 'payments', role: 'canary' }, seed));
  expect({ decision: judged.decision, rollback: judged.rollback }).toEqual({
    decision: 'rollback',
    rollback: ['payments'],
  });
  expect(judged.members.checkout?.verdict).not.toBe('rolled-back');
  // Found within a few intervals of the onset (the confirmation window is 4 intervals).
  expect(judged.decidedAtIndex).toBeLessThanOrEqual(HEALTHY_INTERVALS_BEFORE_FAULT + 8);
});

test.each(SEEDS)(
  'story release-outage (seed %i): db-proxy fails, the release escalates and rolls nothing back',
  (seed) => {
    const judged = judge(simulate({ service: 'db-proxy', role: 'baseline' }, seed));
    expect({ decision: judged.decision, kind: judged.kind, rollback: judged.rollback }).toEqual({
      decision: 'escalate',
      kind: 'systemic',
      rollback: [],
    });
    expect(judged.decidedAtIndex).toBeLessThanOrEqual(HEALTHY_INTERVALS_BEFORE_FAULT + 3);
  },
);

test.each(SEEDS)('without a fault (seed %i), nothing is rolled back and nothing escalates', (seed) => {
  const judged = judge(simulate(undefined, seed));
  expect({ decision: judged.decision, rollback: judged.rollback }).toEqual({
    decision: 'no-rollback',
    rollback: [],
  });
});
