import { generateScenario, SCENARIO_KINDS, SHARED_KINDS } from '../../../src/simulate/generate';
import { Scenario } from '../../../src/simulate/scenario';

describe('scenario generator', () => {
  it('knows every kind of the shared README plus at least two of its own', () => {
    for (const kind of SHARED_KINDS) expect(SCENARIO_KINDS).toContain(kind);
    expect(SCENARIO_KINDS.length - SHARED_KINDS.length).toBeGreaterThanOrEqual(2);
  });

  it.each(SCENARIO_KINDS)('%s: valid v1 files with truth, reproducible from the seed', (kind) => {
    for (const rps of [1, 100]) {
      const a = generateScenario({ kind, seed: 11, index: 0, rps, length: 80 });
      const parsed = Scenario.parse(a);
      expect(parsed.truth).toBeDefined();
      expect(Object.keys(parsed.series).sort()).toEqual(['errors', 'latency_p99_ms', 'requests']);
      expect(generateScenario({ kind, seed: 11, index: 0, rps, length: 80 })).toEqual(a);
      expect(generateScenario({ kind, seed: 12, index: 0, rps, length: 80 })).not.toEqual(a);
      if (a.truth?.regression) expect(a.truth.onsetIndex).toBeGreaterThanOrEqual(0);
    }
  });

  it('draws the traffic level asked for', () => {
    const s = generateScenario({
      kind: 'healthy',
      seed: 1,
      index: 0,
      rps: 50,
      intervalSeconds: 10,
      length: 200,
    });
    const requests = s.series.requests?.canary.filter((v): v is number => v !== null) ?? [];
    const mean = requests.reduce((a, b) => a + b, 0) / requests.length;
    expect(mean).toBeGreaterThan(450);
    expect(mean).toBeLessThan(550);
  });

  it('makes the change each kind promises', () => {
    const sum = (xs: (number | null)[] | undefined, from = 0, to = Infinity) =>
      (xs ?? []).slice(from, to).reduce<number>((a, b) => a + (b ?? 0), 0);
    const step = generateScenario({ kind: 'crash', seed: 3, index: 0, rps: 20, length: 100 });
    const onset = step.truth?.onsetIndex ?? 0;
    expect(sum(step.series.errors?.canary, onset) / sum(step.series.requests?.canary, onset)).toBeGreaterThan(
      0.8,
    );

    const blackout = generateScenario({ kind: 'canary-blackout', seed: 3, index: 0, rps: 20, length: 100 });
    const b = blackout.truth?.onsetIndex ?? 0;
    expect(blackout.series.requests?.canary.slice(b).every((v) => v === null)).toBe(true);
    expect(blackout.series.requests?.baseline.slice(b).every((v) => v !== null)).toBe(true);

    const outage = generateScenario({ kind: 'metrics-outage', seed: 3, index: 0, rps: 20, length: 100 });
    const silentBoth = outage.series.requests?.canary.filter(
      (v, i) => v === null && outage.series.requests?.baseline[i] === null,
    );
    expect(silentBoth?.length).toBeGreaterThanOrEqual(4);
  });
});
