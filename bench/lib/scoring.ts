import type { Scenario } from '../../src/simulate/scenario';
import type { MethodOutcome } from './emulations';

/** How one method did on one scenario, judged against the scenario's truth. */
export type Score =
  | { kind: 'detected'; delaySeconds: number }
  | { kind: 'missed' }
  /** A rollback with no regression, or before the regression began. */
  | { kind: 'false-rollback' }
  | { kind: 'escalated' }
  | { kind: 'quiet' };

export function scoreOutcome(scenario: Scenario, outcome: MethodOutcome): Score {
  const truth = scenario.truth;
  const onset = truth?.onsetIndex ?? 0;
  const acts =
    outcome.decision === 'rollback' || (outcome.decision === 'escalate' && truth?.acceptEscalate === true);
  if (truth?.regression === true) {
    if (acts && outcome.decidedAtIndex !== null && outcome.decidedAtIndex >= onset) {
      return {
        kind: 'detected',
        delaySeconds: (outcome.decidedAtIndex - onset + 1) * scenario.intervalSeconds,
      };
    }
    if (outcome.decision === 'rollback') return { kind: 'false-rollback' };
    // Escalated to a person (for example a breach still being confirmed when the
    // watch ended): not a detection, but not a silent promotion either.
    if (outcome.decision === 'escalate') return { kind: 'escalated' };
    return { kind: 'missed' };
  }
  if (outcome.decision === 'rollback') return { kind: 'false-rollback' };
  if (outcome.decision === 'escalate') return { kind: 'escalated' };
  return { kind: 'quiet' };
}

export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? 0;
  return a + (b - a) * (pos - lo);
}
