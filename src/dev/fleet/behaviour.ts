import { z } from 'zod';

/**
 * How a demo service version behaves, as data in its release directory
 * (behaviour.json), so one program serves every version and a rollback is
 * nothing more than running another release. Pure: given a random source, the
 * same request outcomes every time.
 *
 * A behaviour is a list of phases by seconds since the process started: a
 * version that degrades after a warm-up is two phases, a transient spike three.
 * Latency is log-normal, fixed by its median and p99, because real service
 * latency is right-skewed and a p99 is what the policy watches.
 */

export const BEHAVIOUR_FILE = 'behaviour.json';

export const LatencyModel = z
  .strictObject({
    medianMs: z.number().positive(),
    p99Ms: z.number().positive(),
  })
  .refine((l) => l.p99Ms >= l.medianMs, { message: 'p99Ms must be at least medianMs', path: ['p99Ms'] });
export type LatencyModel = z.infer<typeof LatencyModel>;

export const BehaviourPhase = z.strictObject({
  /** Seconds since the service started at which this phase begins. */
  fromSeconds: z.number().min(0),
  /** Probability that a request fails with HTTP 500. */
  errorRate: z.number().min(0).max(1),
  latency: LatencyModel,
});
export type BehaviourPhase = z.infer<typeof BehaviourPhase>;

export const Behaviour = z
  .strictObject({
    /** For people reading the release: good, degrading, transient, healthy, ... */
    name: z.string().min(1),
    phases: z.array(BehaviourPhase).min(1),
    /**
     * What the version does while its fault switch is on (POST /fault/on to the service): a
     * feature that turns on, a platform that goes down. Replaces whatever phase is in force,
     * until POST /fault/off. Omitted: the switch changes nothing.
     */
    fault: BehaviourPhase.omit({ fromSeconds: true })
      .extend({ name: z.string().min(1) })
      .optional(),
    /** No request takes longer than this (a log-normal tail is unbounded). */
    maxLatencyMs: z.number().positive().default(5_000),
  })
  .superRefine((b, ctx) => {
    if (b.phases[0]?.fromSeconds !== 0) {
      ctx.addIssue({ code: 'custom', message: 'the first phase must start at 0', path: ['phases', 0] });
    }
    b.phases.forEach((phase, i) => {
      const previous = b.phases[i - 1];
      if (previous !== undefined && phase.fromSeconds <= previous.fromSeconds) {
        ctx.addIssue({
          code: 'custom',
          message: 'phases must start in increasing order',
          path: ['phases', i, 'fromSeconds'],
        });
      }
    });
  });
export type Behaviour = z.infer<typeof Behaviour>;
export type BehaviourInput = z.input<typeof Behaviour>;

export class BehaviourError extends Error {}

export function parseBehaviour(raw: unknown, where = BEHAVIOUR_FILE): Behaviour {
  const parsed = Behaviour.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new BehaviourError(`${where} is not a valid behaviour: ${issues.join('; ')}`);
}

// ---- presets used by the demo fleet -------------------------------------------------------

/** A well-behaved checkout: ≈0.5% errors, p99 ≈ 120 ms. */
const GOOD_PHASE: Omit<BehaviourPhase, 'fromSeconds'> = {
  errorRate: 0.005,
  latency: { medianMs: 45, p99Ms: 120 },
};
/** The regression: ≈4% errors and a slow tail (p99 ≈ 750 ms). */
const DEGRADED_PHASE: Omit<BehaviourPhase, 'fromSeconds'> = {
  errorRate: 0.04,
  latency: { medianMs: 70, p99Ms: 750 },
};
/**
 * A short incident (a dependency hiccup): a burst of errors far worse than the
 * regression, so it breaches within seconds, but it ends. Strong and short is
 * what confirmation exists for: the breach comes while the burst runs, and the
 * data after the confirmation window shows a healthy version again.
 */
const SPIKE_PHASE: Omit<BehaviourPhase, 'fromSeconds'> = {
  errorRate: 0.25,
  latency: { medianMs: 90, p99Ms: 900 },
};

export function goodBehaviour(): BehaviourInput {
  return { name: 'good', phases: [{ fromSeconds: 0, ...GOOD_PHASE }] };
}

/** A new version that is as good as the old one (the promotion story). */
export function healthyBehaviour(): BehaviourInput {
  return { name: 'healthy', phases: [{ fromSeconds: 0, ...GOOD_PHASE }] };
}

/** Good during a warm-up, then degraded for good: the regression a guardian must roll back. */
export function degradingBehaviour(options: { warmupSeconds: number }): BehaviourInput {
  if (options.warmupSeconds <= 0)
    return { name: 'degrading', phases: [{ fromSeconds: 0, ...DEGRADED_PHASE }] };
  return {
    name: 'degrading',
    phases: [
      { fromSeconds: 0, ...GOOD_PHASE },
      { fromSeconds: options.warmupSeconds, ...DEGRADED_PHASE },
    ],
  };
}

/** Good, a short spike, good again: what confirmation must not roll back. */
export function transientBehaviour(options: {
  spikeAfterSeconds: number;
  spikeSeconds: number;
}): BehaviourInput {
  if (!(options.spikeSeconds > 0)) throw new BehaviourError('transient: spikeSeconds must be positive');
  const phases: BehaviourPhase[] = [];
  if (options.spikeAfterSeconds > 0) phases.push({ fromSeconds: 0, ...GOOD_PHASE });
  phases.push({ fromSeconds: options.spikeAfterSeconds, ...SPIKE_PHASE });
  phases.push({ fromSeconds: options.spikeAfterSeconds + options.spikeSeconds, ...GOOD_PHASE });
  return { name: 'transient', phases };
}

export type BehaviourPreset = 'good' | 'healthy' | 'degrading' | 'transient';

export interface PresetOptions {
  /** degrading: seconds of good behaviour before it degrades; transient: seconds before the spike. */
  warmupSeconds?: number;
  /** transient: how long the spike lasts. */
  spikeSeconds?: number;
}

export function behaviourPreset(preset: BehaviourPreset, options: PresetOptions = {}): BehaviourInput {
  const warmupSeconds = options.warmupSeconds ?? 30;
  switch (preset) {
    case 'good':
      return goodBehaviour();
    case 'healthy':
      return healthyBehaviour();
    case 'degrading':
      return degradingBehaviour({ warmupSeconds });
    case 'transient':
      return transientBehaviour({
        spikeAfterSeconds: warmupSeconds,
        spikeSeconds: options.spikeSeconds ?? 20,
      });
  }
}

// ---- sampling -----------------------------------------------------------------------------

/** The phase in force `elapsedSeconds` after the start. */
export function phaseAt(behaviour: Behaviour, elapsedSeconds: number): BehaviourPhase {
  let current = behaviour.phases[0] as BehaviourPhase;
  for (const phase of behaviour.phases) {
    if (phase.fromSeconds <= elapsedSeconds) current = phase;
  }
  return current;
}

/** Standard normal quantile at 0.99. */
const Z_99 = 2.3263478740408408;

/** The log-normal's sigma for a given median and p99. */
export function latencySigma(latency: LatencyModel): number {
  return Math.log(latency.p99Ms / latency.medianMs) / Z_99;
}

/** The model's latency at standard normal score `z` (z = 2.326 is the p99), in ms, before the cap. */
export function latencyQuantileMs(latency: LatencyModel, z: number): number {
  return latency.medianMs * Math.exp(latencySigma(latency) * z);
}

export interface RequestOutcome {
  error: boolean;
  latencyMs: number;
}

/** One request's fate: fails with the phase's error rate; takes a log-normal time, capped. */
export function sampleRequest(
  phase: BehaviourPhase,
  random: () => number,
  maxLatencyMs = 5_000,
): RequestOutcome {
  const error = random() < phase.errorRate;
  const latencyMs = latencyQuantileMs(phase.latency, standardNormal(random));
  return { error, latencyMs: Math.min(Math.max(latencyMs, 0), maxLatencyMs) };
}

/** Box–Muller; `1 - random()` keeps the logarithm away from 0. */
export function standardNormal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** mulberry32: a tiny seeded generator, good enough for traffic and reproducible in tests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
