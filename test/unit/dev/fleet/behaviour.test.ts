import {
  type Behaviour,
  BehaviourError,
  behaviourPreset,
  degradingBehaviour,
  goodBehaviour,
  healthyBehaviour,
  parseBehaviour,
  phaseAt,
  sampleRequest,
  seededRandom,
  transientBehaviour,
} from '../../../../src/dev/fleet/behaviour';

/** Error ratio and p99 (ms) of `n` requests `atSeconds` into the behaviour, from a seeded stream. */
function observe(behaviour: Behaviour, atSeconds: number, n = 50_000, seed = 42) {
  const random = seededRandom(seed);
  const phase = phaseAt(behaviour, atSeconds);
  let errors = 0;
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const outcome = sampleRequest(phase, random, behaviour.maxLatencyMs);
    if (outcome.error) errors++;
    latencies.push(outcome.latencyMs);
  }
  latencies.sort((a, b) => a - b);
  return {
    errorRatio: errors / n,
    p50: latencies[Math.floor(0.5 * n)] as number,
    p99: latencies[Math.floor(0.99 * n)] as number,
    max: latencies[n - 1] as number,
  };
}

describe('seeded random', () => {
  test('the same seed gives the same stream, another seed another one', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(first);
  });

  test('values lie in [0, 1) and spread over it', () => {
    const random = seededRandom(1);
    const values = Array.from({ length: 10_000 }, () => random());
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).toBeCloseTo(0.5, 1);
  });

  test('the same seed gives the same request outcomes', () => {
    const phase = phaseAt(parseBehaviour(goodBehaviour()), 0);
    const run = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 100 }, () => sampleRequest(phase, random));
    };
    expect(run(3)).toEqual(run(3));
  });
});

describe('the versions of the demo', () => {
  test('v1 (good): about 0.5% errors, p99 about 120 ms', () => {
    const v1 = observe(parseBehaviour(goodBehaviour()), 600);
    expect(v1.errorRatio).toBeGreaterThan(0.003);
    expect(v1.errorRatio).toBeLessThan(0.007);
    expect(v1.p99).toBeGreaterThan(105);
    expect(v1.p99).toBeLessThan(135);
  });

  test('v2 (degrading) is as good as v1 during the warm-up, then ~4% errors and p99 in 600–900 ms', () => {
    const v2 = parseBehaviour(degradingBehaviour({ warmupSeconds: 30 }));
    const warm = observe(v2, 29.9);
    expect(warm.errorRatio).toBeLessThan(0.007);
    expect(warm.p99).toBeLessThan(135);
    const degraded = observe(v2, 30);
    expect(degraded.errorRatio).toBeGreaterThan(0.035);
    expect(degraded.errorRatio).toBeLessThan(0.045);
    expect(degraded.p99).toBeGreaterThan(600);
    expect(degraded.p99).toBeLessThan(900);
  });

  test('a degrading version without warm-up is degraded from the start', () => {
    const v2 = parseBehaviour(degradingBehaviour({ warmupSeconds: 0 }));
    expect(observe(v2, 0).errorRatio).toBeGreaterThan(0.035);
  });

  test('transient: normal, a short spike, then normal again', () => {
    const t = parseBehaviour(transientBehaviour({ spikeAfterSeconds: 10, spikeSeconds: 5 }));
    expect(observe(t, 9).errorRatio).toBeLessThan(0.007);
    const spike = observe(t, 12);
    expect(spike.errorRatio).toBeGreaterThan(0.06);
    expect(spike.p99).toBeGreaterThan(600);
    expect(observe(t, 15).errorRatio).toBeLessThan(0.007);
    expect(observe(t, 3600).p99).toBeLessThan(135);
  });

  test('healthy v2 behaves like v1 for good', () => {
    const healthy = observe(parseBehaviour(healthyBehaviour()), 3600);
    expect(healthy.errorRatio).toBeLessThan(0.007);
    expect(healthy.p99).toBeLessThan(135);
  });

  test('presets by name', () => {
    expect(behaviourPreset('degrading', { warmupSeconds: 12 })).toEqual(
      degradingBehaviour({ warmupSeconds: 12 }),
    );
    expect(behaviourPreset('transient', { warmupSeconds: 5, spikeSeconds: 3 })).toEqual(
      transientBehaviour({ spikeAfterSeconds: 5, spikeSeconds: 3 }),
    );
    expect(behaviourPreset('healthy').name).toBe('healthy');
  });

  test('no request waits longer than the cap, however long the tail', () => {
    const behaviour = parseBehaviour({
      name: 'awful',
      maxLatencyMs: 2_000,
      phases: [{ fromSeconds: 0, errorRate: 0, latency: { medianMs: 500, p99Ms: 20_000 } }],
    });
    const awful = observe(behaviour, 0, 5_000);
    expect(awful.max).toBe(2_000);
    expect(awful.p50).toBeGreaterThan(400);
  });
});

describe('behaviour files are checked, naming the field', () => {
  test.each([
    [{ name: 'x', phases: [] }, /phases: /],
    [
      { name: 'x', phases: [{ fromSeconds: 5, errorRate: 0, latency: { medianMs: 1, p99Ms: 2 } }] },
      /phases\.0: the first phase must start at 0/,
    ],
    [
      {
        name: 'x',
        phases: [
          { fromSeconds: 0, errorRate: 0, latency: { medianMs: 1, p99Ms: 2 } },
          { fromSeconds: 0, errorRate: 0, latency: { medianMs: 1, p99Ms: 2 } },
        ],
      },
      /phases\.1\.fromSeconds: phases must start in increasing order/,
    ],
    [
      { name: 'x', phases: [{ fromSeconds: 0, errorRate: 1.5, latency: { medianMs: 1, p99Ms: 2 } }] },
      /phases\.0\.errorRate/,
    ],
    [
      { name: 'x', phases: [{ fromSeconds: 0, errorRate: 0, latency: { medianMs: 10, p99Ms: 2 } }] },
      /phases\.0\.latency\.p99Ms: p99Ms must be at least medianMs/,
    ],
    [
      { name: 'x', phases: [{ fromSeconds: 0, errorRate: 0, latency: { medianMs: 1, p99Ms: 2 } }], extra: 1 },
      /extra/,
    ],
  ])('%j is refused', (raw, message) => {
    expect(() => parseBehaviour(raw, 'releases/2.0.0/behaviour.json')).toThrow(BehaviourError);
    expect(() => parseBehaviour(raw, 'releases/2.0.0/behaviour.json')).toThrow(message);
  });

  test('a transient spike of no length is refused', () => {
    expect(() => transientBehaviour({ spikeAfterSeconds: 5, spikeSeconds: 0 })).toThrow(/spikeSeconds/);
  });
});
