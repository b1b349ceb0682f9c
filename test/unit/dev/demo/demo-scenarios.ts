import {
  type Behaviour,
  behaviourPreset,
  goodBehaviour,
  LATENCY_BUCKETS_SECONDS,
  parseBehaviour,
  phaseAt,
  sampleRequest,
  seededRandom,
} from '../../../../src/dev/fleet';
import {
  DEMO_CANARY_WEIGHT,
  DEMO_LOAD_PER_SECOND,
  DEMO_SPIKE_SECONDS,
  DEMO_WARMUP_SECONDS,
  type DemoStory,
} from '../../../../src/dev/demo/stories';
import type { Scenario } from '../../../../src/simulate/scenario';

/**
 * What the guardian would read from the demo's Prometheus in one story, drawn
 * from the same behaviours the demo's services run: the demo's load split as
 * nginx splits it, each request's outcome sampled from its version's
 * behaviour, the requests at or under each of the demo service's histogram
 * buckets (`latency_le_<ms>`, what the canary policy's histogram signal reads)
 * and the p99 read from them as histogram_quantile does (what the blue-green
 * policy reads). Seeded, so a test reads the same data every run.
 */
export function demoScenario(story: DemoStory, intervalSeconds: number, seed: number): Scenario {
  const random = seededRandom(seed);
  const newVersion = parseBehaviour(
    behaviourPreset(story.behaviour, {
      warmupSeconds: DEMO_WARMUP_SECONDS,
      spikeSeconds: DEMO_SPIKE_SECONDS,
    }),
  );
  const oldVersion = parseBehaviour(goodBehaviour());
  const share =
    story.pattern === 'blue-green'
      ? { canary: 1, baseline: 0 }
      : { canary: DEMO_CANARY_WEIGHT / 100, baseline: 1 - DEMO_CANARY_WEIGHT / 100 };
  // The guardian starts about a second after the deploy, and an evaluation takes a few tenths
  // of a second on top of its interval.
  const startSeconds = 1;
  const stepSeconds = intervalSeconds + 0.3;
  const length = Math.floor(story.watchSeconds / intervalSeconds);
  const series: Record<string, { baseline: (number | null)[]; canary: (number | null)[] }> = {
    requests: { baseline: [], canary: [] },
    errors: { baseline: [], canary: [] },
    latency_p99_ms: { baseline: [], canary: [] },
  };
  const bucket = (ms: number) => (series[`latency_le_${ms}`] ??= { baseline: [], canary: [] });
  for (let i = 0; i < length; i++) {
    const from = startSeconds + i * stepSeconds;
    for (const group of ['baseline', 'canary'] as const) {
      const behaviour: Behaviour = group === 'canary' ? newVersion : oldVersion;
      const count = Math.round(DEMO_LOAD_PER_SECOND * intervalSeconds * share[group]);
      let errors = 0;
      const latencies: number[] = [];
      for (let k = 0; k < count; k++) {
        const outcome = sampleRequest(phaseAt(behaviour, from + (k / count) * intervalSeconds), random);
        if (outcome.error) errors += 1;
        latencies.push(outcome.latencyMs);
      }
      series.requests![group].push(count);
      series.errors![group].push(errors);
      series.latency_p99_ms![group].push(histogramQuantile(0.99, latencies));
      for (const ms of BOUNDS_MS) bucket(ms)[group].push(latencies.filter((l) => l <= ms).length);
    }
  }
  return { format: 'ripcord.scenario/v1', name: `${story.behaviour}-${seed}`, intervalSeconds, series };
}

/** The demo service's bucket bounds in ms, as the Prometheus source names them (0.3 s -> 300). */
const BOUNDS_MS = LATENCY_BUCKETS_SECONDS.map((s) => Number((s * 1000).toPrecision(12)));

/** Prometheus' histogram_quantile over the demo service's buckets (ms in, ms out); null without data. */
export function histogramQuantile(q: number, latenciesMs: number[]): number | null {
  if (latenciesMs.length === 0) return null;
  const bounds = BOUNDS_MS;
  const cumulative = bounds.map((le) => latenciesMs.filter((ms) => ms <= le).length);
  const rank = q * latenciesMs.length;
  const bucket = cumulative.findIndex((c) => c >= rank);
  // In the +Inf bucket: the highest finite bound, as Prometheus answers.
  if (bucket < 0) return bounds[bounds.length - 1]!;
  const lower = bucket === 0 ? 0 : bounds[bucket - 1]!;
  const below = bucket === 0 ? 0 : cumulative[bucket - 1]!;
  const inBucket = cumulative[bucket]! - below;
  return lower + (bounds[bucket]! - lower) * ((rank - below) / inBucket);
}
