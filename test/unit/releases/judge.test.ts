import type { DecisionConfig, RatioSignalConfig } from '../../../src/decision';
import { judgeRelease, resultLine, type ReleaseJudgement } from '../../../src/releases/judge';
import { RELEASE_SCENARIO_FORMAT, ReleaseScenario } from '../../../src/releases/scenario';
import { createRandom } from '../../../src/simulate/random';
import { formatReleaseJudgement } from '../../../src/releases/timeline';
import { canaryConfig, releaseFixture, releaseFixtureNames } from './support';

/** The fixtures' truth, read by the test only. */
function expectAsTruth(scenario: ReleaseScenario, judgement: ReleaseJudgement): void {
  const truth = scenario.truth;
  if (truth === undefined) throw new Error(`${scenario.name} has no truth`);
  const culprits = truth.culprits ?? [];
  if (truth.expect === 'rollback') {
    expect(judgement.decision).toBe('rollback');
    expect(judgement.rollback).toEqual(culprits);
    expect(judgement.decidedAtIndex).toBeGreaterThanOrEqual(truth.onsetIndex ?? 0);
  } else {
    expect(judgement.rollback).toEqual([]);
    expect(judgement.decision).toBe(truth.acceptEscalate === true ? 'escalate' : 'no-rollback');
  }
  expect(judgement.kind).toBe(truth.kind);
}

describe('the release judge on the example release scenarios', () => {
  describe.each(['histogram', 'p99'] as const)('latency judged on the %s', (latency) => {
    it.each(releaseFixtureNames())('%s ends as its truth expects, and rolls back no other member', (name) => {
      const scenario = releaseFixture(name);
      const judgement = judgeRelease(scenario, { config: canaryConfig(latency) });
      expectAsTruth(scenario, judgement);
      for (const [service, member] of Object.entries(judgement.members)) {
        if (!(scenario.truth?.culprits ?? []).includes(service)) {
          expect([service, member.rolledBackAtIndex]).toEqual([service, null]);
        }
      }
    });
  });

  it('cascade: rolls back the deepest regressed dependency, and keeps the caller whose regression it explains', () => {
    const judgement = judgeRelease(releaseFixture('cascade-00'), { config: canaryConfig('histogram') });
    expect(resultLine(judgement)).toEqual({
      scenario: 'cascade-00',
      decision: 'rollback',
      rollback: ['tax'],
      decidedAtIndex: 31,
      reason: expect.stringMatching(
        /^cascade: tax regressed on its own .*rolling back tax; then at interval 32 ledger regressed, explained by tax: kept$/,
      ),
    });
    const { ledger, tax } = judgement.members;
    expect(tax).toMatchObject({
      verdict: 'rolled-back',
      rolledBackAtIndex: 31,
      own: { decision: 'rollback' },
    });
    // Its own guardian would have rolled ledger back too; the release keeps it.
    expect(ledger).toMatchObject({
      verdict: 'explained',
      explainedBy: ['tax'],
      own: { decision: 'rollback' },
    });
    // A caller inherits at most the dependency's excess: ledger's lower bound sits below tax's upper one.
    expect(ledger?.excess?.lower).toBeLessThan(tax?.excess?.upper ?? 0);
    expect(judgement.systemic.tested.every((t) => t.degradedAtIndex === null)).toBe(true);
  });

  it('systemic: the stable versions degrade against their own past, so it escalates and rolls back nothing', () => {
    const judgement = judgeRelease(releaseFixture('systemic-00'), { config: canaryConfig('histogram') });
    expect(resultLine(judgement)).toMatchObject({ decision: 'escalate', rollback: [], decidedAtIndex: 32 });
    expect(judgement.reason).toMatch(/^systemic: stable versions degraded .*media \(outside the release\)/);
    expect(judgement.systemic.tested.map((t) => [t.service, t.degradedAtIndex])).toEqual([
      ['fulfillment', 32],
      ['media', 32],
      ['pricing', 32],
    ]);
    // systemic-01: notifications (outside) calls ledger, a member: its failures could be the release's, so it is not a witness.
    const other = judgeRelease(releaseFixture('systemic-01'), { config: canaryConfig('histogram') });
    expect(other.systemic.notTested).toEqual([
      { service: 'notifications', why: 'calls release member ledger: their canaries reach it' },
    ]);
    expect(other).toMatchObject({ decision: 'escalate', kind: 'systemic', rollback: [] });
  });

  it('mode together: one regression rolls back every member, dependents first', () => {
    const judgement = judgeRelease(releaseFixture('cascade-00'), {
      config: canaryConfig('histogram'),
      mode: 'together',
    });
    expect(resultLine(judgement)).toMatchObject({
      decision: 'rollback',
      rollback: ['ledger', 'tax'],
      decidedAtIndex: 31,
    });
    expect(judgement.reason).toMatch(/the release rolls back together, dependents first: ledger, tax$/);
    expect(judgement.members.ledger?.verdict).toBe('rolled-back-with-release');
    expect(judgement.members.tax?.verdict).toBe('rolled-back');
  });

  it('never reads truth or params', () => {
    const scenario = releaseFixture('cascade-01');
    const blind = { ...scenario, truth: { kind: 'healthy' as const }, params: { culprits: ['shipping'] } };
    expect(judgeRelease(blind, { config: canaryConfig('p99') })).toEqual(
      judgeRelease(scenario, { config: canaryConfig('p99') }),
    );
  });

  it('prints exactly the contract fields on its JSON line', () => {
    const line = resultLine(
      judgeRelease(releaseFixture('healthy-00'), { config: canaryConfig('histogram') }),
    );
    expect(Object.keys(line)).toEqual(['scenario', 'decision', 'rollback', 'decidedAtIndex', 'reason']);
    expect(line).toMatchObject({ decision: 'no-rollback', rollback: [], decidedAtIndex: null });
  });
});

/**
 * Small releases built here, errors and requests only, with the README's
 * traffic model written out by hand: each service fails at its own rate, plus
 * what it inherits from the services it calls on the same path.
 */
interface ServiceSpec {
  inRelease: boolean;
  dependsOn?: string[];
  /** Requests per interval and group. */
  requests: number;
  /** Failure rate of the group in interval t, calls included. */
  canary?: (t: number) => number;
  baseline: (t: number) => number;
}

const ERRORS_ONLY: DecisionConfig = {
  ...canaryConfig('histogram'),
  signals: [canaryConfig('histogram').signals[0] as RatioSignalConfig],
};

function build(
  name: string,
  seed: number,
  length: number,
  services: Record<string, ServiceSpec>,
): ReleaseScenario {
  const random = createRandom(seed);
  const members: Record<string, unknown> = {};
  for (const [service, spec] of Object.entries(services)) {
    const series: Record<string, Record<string, number[]>> = { requests: {}, errors: {} };
    const groups = spec.inRelease ? (['baseline', 'canary'] as const) : (['baseline'] as const);
    for (const group of groups) {
      const rate = group === 'canary' ? (spec.canary ?? spec.baseline) : spec.baseline;
      const requests = Array.from({ length }, () => random.poisson(spec.requests));
      (series.requests as Record<string, number[]>)[group] = requests;
      (series.errors as Record<string, number[]>)[group] = requests.map((n, t) =>
        random.binomial(n, rate(t)),
      );
    }
    members[service] = { inRelease: spec.inRelease, dependsOn: spec.dependsOn ?? [], series };
  }
  return ReleaseScenario.parse({ format: RELEASE_SCENARIO_FORMAT, name, intervalSeconds: 30, members });
}

const step = (onset: number, before: number, after: number) => (t: number) => (t >= onset ? after : before);

describe('a member whose own guardian confirms a regression that does not persist', () => {
  /**
   * checkout (250 requests an interval, 0.6% errors in both versions) has a 3-interval canary spike at 15%
   * from interval 40; in the intervals after it its baseline happens to fail nothing while its canary fails
   * as usual. Its core, which compares the canary with the baseline of the same intervals, confirms a
   * regression; against the baseline's whole watch the canary's failures after the confirmation window are
   * ordinary, so the release does not roll it back.
   */
  function spikeThenQuietBaseline(canaryAfter: number): ReleaseScenario {
    const length = 90;
    const requests = Array.from({ length }, () => 250);
    const baseline = requests.map((_, t) => (t >= 43 && t < 60 ? 0 : t % 2 === 0 ? 1 : 2));
    const canary = requests.map((_, t) =>
      t >= 40 && t < 43 ? 37 : t >= 43 ? canaryAfter : t % 2 === 0 ? 2 : 1,
    );
    return ReleaseScenario.parse({
      format: RELEASE_SCENARIO_FORMAT,
      name: 'spike-then-quiet-baseline',
      intervalSeconds: 30,
      members: {
        checkout: {
          inRelease: true,
          series: { requests: { baseline: requests, canary: requests }, errors: { baseline, canary } },
        },
        cart: {
          inRelease: true,
          series: {
            requests: { baseline: requests, canary: requests },
            errors: { baseline: requests.map(() => 1), canary: requests.map(() => 1) },
          },
        },
      },
    });
  }

  it('is not rolled back: its extra failures are not shown to persist, and the release escalates at the end', () => {
    const scenario = spikeThenQuietBaseline(2);
    const judgement = judgeRelease(scenario, { config: ERRORS_ONLY });
    expect(formatReleaseJudgement(judgement, scenario)).toMatch(
      /checkout +– +unresolved: not shown to persist \(e-value [0-9.e-]+\) +rollback at \d+ \(error-rate, breach at 40\)/,
    );
    const checkout = judgement.members.checkout;
    expect(checkout?.own.decision).toBe('rollback');
    expect(judgement.rollback).toEqual([]);
    expect(checkout).toMatchObject({ verdict: 'unresolved', rolledBackAtIndex: null });
    expect(checkout?.persistence).toMatchObject({ fromIndex: 43, shown: false });
    expect(resultLine(judgement)).toMatchObject({ decision: 'escalate', decidedAtIndex: 89 });
    expect(judgement.reason).toMatch(
      /the watch ended before attribution: checkout regressed but its extra failures since interval 43 are not shown to persist against its baseline's watch \(e-value [0-9.e-]+, needs 10\)/,
    );
  });

  it('is rolled back once the canary keeps failing more after the window', () => {
    const judgement = judgeRelease(spikeThenQuietBaseline(6), { config: ERRORS_ONLY });
    const checkout = judgement.members.checkout;
    expect(resultLine(judgement)).toMatchObject({ decision: 'rollback', rollback: ['checkout'] });
    expect(checkout?.persistence).toMatchObject({ fromIndex: 43, shown: true });
    expect(judgement.decidedAtIndex).toBeGreaterThanOrEqual(checkout?.own.decidedAtIndex ?? Infinity);
  });
});

describe('the release judge on releases built to the traffic model', () => {
  it('waits for a dependency that may explain a caller which confirms first, then rolls back only the dependency', () => {
    // payments (20 requests an interval) fails 8 points more from interval 20; checkout (2000 an interval) sends it
    // 80% of its requests, so checkout's canary fails 6.4 points more and confirms first, on far more traffic.
    const scenario = build('caller-first', 7, 80, {
      checkout: {
        inRelease: true,
        dependsOn: ['payments'],
        requests: 2000,
        baseline: () => 0.005,
        canary: step(20, 0.005, 0.005 + 0.8 * 0.08),
      },
      payments: { inRelease: true, requests: 20, baseline: () => 0.005, canary: step(20, 0.005, 0.085) },
    });
    const judgement = judgeRelease(scenario, { config: ERRORS_ONLY });
    const { checkout, payments } = judgement.members;
    expect(checkout?.own.decidedAtIndex).toBeLessThan(payments?.own.decidedAtIndex ?? 0);
    expect(resultLine(judgement)).toMatchObject({ decision: 'rollback', rollback: ['payments'] });
    // At 20 requests an interval, payments' regression is shown to persist a few intervals after its core confirms it.
    expect(judgement.decidedAtIndex).toBeGreaterThanOrEqual(payments?.own.decidedAtIndex ?? Infinity);
    expect(payments?.persistence).toMatchObject({ shown: true });
    expect(checkout).toMatchObject({
      verdict: 'explained',
      explainedBy: ['payments'],
      rolledBackAtIndex: null,
    });
    expect(judgement.kind).toBe('cascade');
  });

  it('rolls back a caller whose regression is far more than its dependency passes on, after the dependency', () => {
    // Both regress on their own: cart's canary fails 30 points more, far more than tax's 5 could explain.
    const scenario = build('two-culprits', 11, 60, {
      cart: {
        inRelease: true,
        dependsOn: ['tax'],
        requests: 600,
        baseline: () => 0.01,
        canary: step(15, 0.01, 0.01 + 0.3 + 0.5 * 0.05),
      },
      tax: { inRelease: true, requests: 600, baseline: () => 0.01, canary: step(15, 0.01, 0.06) },
    });
    const judgement = judgeRelease(scenario, { config: ERRORS_ONLY });
    expect(judgement.rollback).toEqual(['tax', 'cart']);
    expect(judgement.members.cart?.verdict).toBe('rolled-back');
  });

  it('isolated: rolls back the regressed member alone once its dependencies are shown not to explain it', () => {
    const scenario = build('isolated', 3, 60, {
      gateway: {
        inRelease: true,
        dependsOn: ['auth'],
        requests: 800,
        baseline: () => 0.004,
        canary: step(20, 0.004, 0.04),
      },
      auth: { inRelease: true, requests: 800, baseline: () => 0.004 },
    });
    const judgement = judgeRelease(scenario, { config: ERRORS_ONLY });
    expect(resultLine(judgement)).toMatchObject({ decision: 'rollback', rollback: ['gateway'] });
    expect(judgement.kind).toBe('isolated');
    expect(judgement.members.auth?.verdict).toBe('healthy');
  });

  it('a dependency outside the release that fails (a database proxy) escalates instead of rolling back', () => {
    // Both checkout groups call db-proxy; when it fails, both fail with it, and its own series shows it.
    const db = step(25, 0.002, 0.2);
    const scenario = build('db-proxy', 5, 60, {
      checkout: {
        inRelease: true,
        dependsOn: ['db-proxy'],
        requests: 500,
        baseline: (t) => 1 - 0.995 * (1 - 0.7 * db(t)),
        canary: (t) => 1 - 0.995 * (1 - 0.7 * db(t)),
      },
      'db-proxy': { inRelease: false, requests: 900, baseline: db },
    });
    const judgement = judgeRelease(scenario, { config: ERRORS_ONLY });
    expect(resultLine(judgement)).toMatchObject({ decision: 'escalate', rollback: [], decidedAtIndex: 25 });
    expect(judgement.kind).toBe('systemic');
    expect(judgement.reason).toMatch(/db-proxy \(outside the release\) error-rate/);
  });

  it('a service outside the release that calls a regressed member fails with it, and is no witness of a platform incident', () => {
    const scenario = build('through-outside', 13, 60, {
      search: {
        inRelease: false,
        dependsOn: ['catalog'],
        requests: 1000,
        baseline: step(20, 0.003, 0.003 + 0.4 * 0.5 * 0.2),
      },
      catalog: { inRelease: true, requests: 500, baseline: () => 0.003, canary: step(20, 0.003, 0.203) },
      media: { inRelease: true, requests: 500, baseline: () => 0.003 },
    });
    const judgement = judgeRelease(scenario, { config: ERRORS_ONLY });
    expect(resultLine(judgement)).toMatchObject({ decision: 'rollback', rollback: ['catalog'] });
    expect(judgement.systemic.notTested.map((n) => n.service)).toEqual(['search']);
  });

  it('escalates when the watch ends before it can tell whether a dependency causes a regression', () => {
    // reports: its canary fails 2 points more; auth, which it calls, has so little traffic that it may be the cause.
    const scenario = build('unresolved', 17, 40, {
      reports: {
        inRelease: true,
        dependsOn: ['auth'],
        requests: 3000,
        baseline: () => 0.01,
        canary: step(10, 0.01, 0.03),
      },
      auth: { inRelease: true, requests: 15, baseline: () => 0.01 },
    });
    const judgement = judgeRelease(scenario, { config: ERRORS_ONLY });
    expect(resultLine(judgement)).toMatchObject({ decision: 'escalate', rollback: [], decidedAtIndex: 39 });
    expect(judgement.reason).toMatch(/reports regressed but auth may cause it/);
    expect(judgement.members.reports?.verdict).toBe('unresolved');
  });
});
