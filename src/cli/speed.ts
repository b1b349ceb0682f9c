import { InvalidArgumentError } from 'commander';

/**
 * `--speed` of `rehearse` and `guard --replay`: how much a replayed scenario's
 * time is compressed. Kept apart from the commands so that registering their
 * options loads nothing else.
 */

const MAX_SPEED = 10_000;
/** A Temporal server fires timers about once a second: an interval cannot pass faster than that. */
export const TIMER_RESOLUTION_SECONDS = 1;

export function parseSpeed(value: string): number {
  const speed = Number(value);
  if (!Number.isFinite(speed) || speed <= 0 || speed > MAX_SPEED) {
    throw new InvalidArgumentError(`expected a number above 0 and at most ${MAX_SPEED}, got "${value}"`);
  }
  return speed;
}

/**
 * By default one interval of the scenario passes per second: as fast as the
 * server's timers go, so the guardian's clock (which measures the rollback
 * window) keeps pace with the data it replays.
 */
export function defaultSpeed(intervalSeconds: number): number {
  return intervalSeconds / TIMER_RESOLUTION_SECONDS;
}

/** Wall-clock seconds one interval takes at this speed, never less than the timer resolution. */
export function secondsPerInterval(intervalSeconds: number, speed: number): number {
  return Math.max(TIMER_RESOLUTION_SECONDS, intervalSeconds / speed);
}

/** Poll about once per compressed interval: often enough to see each phase, never a busy loop. */
export function rehearsalPollMs(intervalSeconds: number, speed: number): number {
  return Math.round(Math.min(2_000, Math.max(200, (intervalSeconds * 1000) / speed)));
}
