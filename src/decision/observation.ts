/**
 * What the guardian reads in one evaluation interval: for every series the
 * policy names, one number per group, or null where no data arrived. A source
 * that failed reports `error` instead of throwing (docs/architecture.md §8): the core turns
 * it into an `error` verdict, never into a crash and never into "healthy".
 */
export interface SeriesReading {
  baseline: number | null;
  canary: number | null;
  error?: string;
}

export type Observation = Readonly<Record<string, SeriesReading | undefined>>;

export type Group = 'baseline' | 'canary';

/** A number we can use: present, finite and not negative. */
export function usable(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
