/**
 * A signal's evidence in words a person reads at a glance, the same in every
 * view (`ripcord status` and `list`, `guard --wait`, the demo's status line,
 * the text and HTML reports): "3.4× the evidence needed" once the e-value has
 * reached its breach level, "evidence 34% of what a rollback needs" before,
 * instead of `e=3.4/10`. Pure.
 *
 * The ratio is the e-value over its threshold: at 1 the sequential test has
 * enough evidence against "no regression" to call a breach (which a
 * confirmation window may still dismiss).
 */

export interface EvidenceLike {
  eValue: number;
  threshold: number;
}

/** e-value / threshold; undefined when either is unusable (no threshold, not a number). */
export function evidenceRatio({ eValue, threshold }: EvidenceLike): number | undefined {
  if (!Number.isFinite(threshold) || threshold <= 0 || Number.isNaN(eValue)) return undefined;
  return Math.max(0, eValue) / threshold;
}

/** "3.4× the evidence needed", "evidence 34% of what a rollback needs". */
export function evidenceWords(evidence: EvidenceLike): string {
  const ratio = evidenceRatio(evidence);
  if (ratio === undefined) return `e-value ${times(evidence.eValue)} (no breach level)`;
  if (ratio >= 1) return `${times(ratio)}× the evidence needed`;
  return `evidence ${percent(ratio)} of what a rollback needs`;
}

/** Short, for tables and one-line summaries: "3.4× needed", "34% of needed". */
export function evidenceShort(evidence: EvidenceLike): string {
  const ratio = evidenceRatio(evidence);
  if (ratio === undefined) return `e ${times(evidence.eValue)}`;
  if (ratio >= 1) return `${times(ratio)}× needed`;
  return `${percent(ratio)} of needed`;
}

/**
 * Two significant digits, no exponent: 1, 3.4, 31, 120; "over 1000" past that (a count test on
 * many requests reaches e-values like 1e43, which say nothing more to a person); "∞" past any number.
 */
function times(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '∞' : String(value);
  if (value > 1000) return 'over 1000';
  if (value >= 100) return String(Math.round(value));
  return String(Number(value.toPrecision(2)));
}

/** Whole percent below 100, never rounded up to "100%" (that would read as enough): "0%", "<1%", "34%", "99%". */
function percent(ratio: number): string {
  if (ratio <= 0) return '0%';
  if (ratio < 0.01) return '<1%';
  return `${Math.min(99, Math.round(ratio * 100))}%`;
}
