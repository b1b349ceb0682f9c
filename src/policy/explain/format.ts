import type { Signal } from '../schema/signals';

export function percent(value: number): string {
  return `${Math.round(value * 10_000) / 100}%`;
}

/** How a threshold reads for its signal: a rate as a percentage, a latency (or a histogram's p99) in milliseconds. */
export function formatThreshold(signal: Signal | undefined, value: number): string {
  if (signal?.kind === 'ratio') return percent(value);
  if (signal?.kind === 'latency') return `${value} ms`;
  if (signal?.kind === 'histogram') return `${value} ms (the p99 estimated from its buckets)`;
  return String(value);
}
