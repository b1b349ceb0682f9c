/** Numbers as people read them. */

/**
 * How a guardian's status reads for a person at a terminal: what it is doing,
 * why, and what it waits for. Pure functions of the status (and of `now` for
 * "in 4m"), so that tests pin the wording.
 */

/** E-values span many orders of magnitude: keep three significant digits either way. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '∞' : value < 0 ? '-∞' : 'NaN';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(2).replace('e+', 'e');
  return String(Number(value.toPrecision(3)));
}
