import { InvalidArgumentError } from 'commander';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90s", "10m", "2h", "1d" or a plain number of seconds → seconds. */
export function parseDurationSeconds(value: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`expected a duration such as 90s, 10m or 2h, got "${value}"`);
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] || 's']!;
  if (seconds <= 0) throw new InvalidArgumentError(`expected a positive duration, got "${value}"`);
  return seconds;
}

/**
 * A duration that must carry its unit: "5m", "300s". For flags where a bare
 * number is easy to misread (`--watch 5` meant five minutes, and watched one
 * interval): refused, naming the flag and the two readings.
 */
export function durationWithUnit(flag: string): (value: string) => number {
  return (value: string) => {
    const trimmed = value.trim();
    if (/^\d+(?:\.\d+)?$/.test(trimmed)) {
      throw new InvalidArgumentError(
        `${flag} needs a unit: "${trimmed}" could be ${trimmed}s or ${trimmed}m; write e.g. ${trimmed}m or ${trimmed}s`,
      );
    }
    return parseDurationSeconds(value);
  };
}
