/**
 * The kinds of scenario `ripcord scenario generate` makes, without the
 * generator: the command's options name them, and registering them must not
 * load the random distributions.
 */
export const SHARED_KINDS = [
  'healthy',
  'transient',
  'shared-outage',
  'metrics-outage',
  'low-traffic-healthy',
  'error-step',
  'latency-step',
  'slow-leak',
  'crash',
  'canary-blackout',
] as const;

/** Kinds beyond those of the example scenarios (test/fixtures/scenarios/shared). */
export const EXTRA_KINDS = [
  /** Traffic, error rate and latency follow a daily curve in both groups. No regression. */
  'diurnal-healthy',
  /** The canary's share of traffic grows in steps (5% → 50%), so the groups' volumes differ. No regression. */
  'traffic-ramp-healthy',
  /** A long watch with an error-rate step in its last quarter. */
  'late-error-step',
] as const;

/**
 * Regressions only some requests suffer: they show in a latency histogram's
 * tail buckets and barely, if at all, in a p99. Last in SCENARIO_KINDS, so the
 * kinds before them keep their numbers (and their seeded scenarios).
 */
export const TAIL_KINDS = [
  /** A few percent of the canary's requests take a slow path several times slower; the median barely moves. */
  'tail-slow-path',
] as const;

export const SCENARIO_KINDS = [...SHARED_KINDS, ...EXTRA_KINDS, ...TAIL_KINDS] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

export function isScenarioKind(kind: string): kind is ScenarioKind {
  return (SCENARIO_KINDS as readonly string[]).includes(kind);
}
