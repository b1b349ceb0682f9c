/**
 * Arithmetic on probabilities and e-values kept as natural logarithms, so that
 * products of hundreds of likelihood ratios neither overflow nor underflow.
 */

/**
 * Stands for log(0). A finite number rather than -Infinity because decision
 * state is stored as JSON in workflow history, and JSON has no infinities.
 * exp(-1e6) is zero in double precision, so nothing is lost.
 */
export const LOG_ZERO = -1e6;

export function logAddExp(a: number, b: number): number {
  const hi = Math.max(a, b);
  if (hi <= LOG_ZERO) return LOG_ZERO;
  return hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi));
}

export function logSumExp(values: readonly number[]): number {
  let hi = LOG_ZERO;
  for (const v of values) hi = Math.max(hi, v);
  if (hi <= LOG_ZERO) return LOG_ZERO;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - hi);
  return hi + Math.log(sum);
}

/** Keeps a log value finite (see LOG_ZERO). */
export function clampLog(value: number): number {
  return value < LOG_ZERO ? LOG_ZERO : value;
}
