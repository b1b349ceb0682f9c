/**
 * Small, pure statistics for `ripcord policy suggest`: quantiles, grouping a
 * series into stretches of time, and rounding a proposal to a number a person
 * would write in a policy. No I/O, so every rule is tested with literals.
 */

/** One sample of a range query: seconds since the epoch and a value. */
export interface Point {
  t: number;
  value: number;
}

/** The q-quantile (0..1) by linear interpolation between order statistics; NaN for no data. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const position = Math.min(Math.max(q, 0), 1) * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const a = sorted[low]!;
  const b = sorted[high]!;
  return a + (b - a) * (position - low);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Sample standard deviation; NaN below two values. */
export function standardDeviation(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  if (finite.length < 2) return NaN;
  const mean = sum(finite) / finite.length;
  return Math.sqrt(sum(finite.map((v) => (v - mean) ** 2)) / (finite.length - 1));
}

/**
 * The step of a range query over `windowSeconds`: the evaluation interval
 * (each point is then one interval's reading, as a guardian sees it), or
 * coarser when that would return more than `maxPoints` points.
 */
export function rangeStep(windowSeconds: number, intervalSeconds: number, maxPoints = 11_000): number {
  return Math.max(intervalSeconds, Math.ceil(windowSeconds / maxPoints));
}

/**
 * How long a "stretch" is when comparing the service with itself a little
 * later: an hour when the window holds at least a day (hour-to-hour drift),
 * else a twelfth of the window but at least five points, so a short window
 * (a test, a new service) still has about a dozen stretches to compare.
 */
export function stretchSeconds(windowSeconds: number, stepSeconds: number): number {
  if (windowSeconds >= 86_400) return 3600;
  return Math.max(5 * stepSeconds, Math.floor(windowSeconds / 12));
}

/** Points grouped by stretch (floor(t / seconds)), in time order; stretches with no point are absent. */
export function byStretch<T extends { t: number }>(points: readonly T[], seconds: number): T[][] {
  const groups = new Map<number, T[]>();
  for (const point of points) {
    const key = Math.floor(point.t / seconds);
    const group = groups.get(key);
    if (group) group.push(point);
    else groups.set(key, [point]);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, group]) => group);
}

/** |next / previous - 1| for each consecutive pair with a positive previous value. */
export function relativeChanges(levels: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < levels.length; i++) {
    const previous = levels[i - 1]!;
    const next = levels[i]!;
    if (previous > 0 && Number.isFinite(next)) out.push(Math.abs(next / previous - 1));
  }
  return out;
}

/** |next - previous| for each consecutive pair of finite values. */
export function absoluteChanges(levels: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < levels.length; i++) {
    const previous = levels[i - 1]!;
    const next = levels[i]!;
    if (Number.isFinite(previous) && Number.isFinite(next)) out.push(Math.abs(next - previous));
  }
  return out;
}

/**
 * Rounds up to a number a person would write: 1, 2, 2.5 or 5 times a power of
 * ten (0.0013 → 0.002, 0.12 → 0.2 would be too coarse for a tolerance, see
 * roundUpToStep). Zero and below stay as they are.
 */
export function niceCeil(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return value;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) {
    const candidate = m * power;
    if (candidate >= value * (1 - 1e-12)) return Number(candidate.toPrecision(12));
  }
  return 10 * power;
}

/** Rounds down to 1, 2 or 5 times a power of ten (for alpha: never looser than asked). */
export function niceFloor(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return value;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [5, 2, 1]) {
    const candidate = m * power;
    if (candidate <= value * (1 + 1e-12)) return Number(candidate.toPrecision(12));
  }
  return power;
}

/** Rounds up to a multiple of `step` (0.15 for 0.1375 with step 0.05). */
export function roundUpToStep(value: number, step: number): number {
  return Number((Math.ceil(value / step - 1e-9) * step).toPrecision(12));
}

/** Rounds up to two significant digits (505 → 510, 1234 → 1300): a count a person would write. */
export function ceilToTwoDigits(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return value;
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(value)) - 1);
  return Math.ceil(value / unit - 1e-9) * unit;
}
