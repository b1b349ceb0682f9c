import type { Signal } from '../schema/signals';

/** Whole seconds as a person says them: 90 → "1m 30s", 7200 → "2h". */
export function formatDuration(totalSeconds: number): string {
  if (totalSeconds === 0) return '0s';
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = Math.round(totalSeconds);
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.slice(0, 2).join(' ');
}

export function percent(value: number): string {
  return `${Math.round(value * 10_000) / 100}%`;
}

/** How a threshold reads for its signal: a rate as a percentage, a latency in milliseconds. */
export function formatThreshold(signal: Signal | undefined, value: number): string {
  if (signal?.kind === 'ratio') return percent(value);
  if (signal?.kind === 'latency') return `${value} ms`;
  return String(value);
}
