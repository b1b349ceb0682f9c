/**
 * Which seeds the decision benchmarks may look at.
 *
 * Seeds used while developing and tuning the engine (bench/diagnose.ts,
 * bench/tradeoffs.ts): the headline benchmark must not report on them.
 * Seeds 100–199 were also used, for the clean kinds only, to check that
 * transients and outages do not roll back.
 */
export const TUNING_SEEDS: readonly number[] = [1, 2, 3, 7, 11, 12];

/** Clean-kind tuning seeds, for counting false rollbacks (a rare event needs many scenarios). */
export const CLEAN_TUNING_SEEDS: readonly number[] = Array.from({ length: 100 }, (_, i) => 100 + i);

/** Seeds whose results are reported (bench/results/decisions.md, the issue notes); tuning on them would be cheating. */
export const HELD_OUT_SEEDS: readonly number[] = [20260, 4242];
