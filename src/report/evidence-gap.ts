import { evaluateInterval, finishWatch, initialDecisionState, type DecisionConfig } from '../decision';
import type { Reading } from './model';

/**
 * Why a watch that closed without a decision had no evidence of health, or
 * undefined when it had. Guardians whose watch ended before "no promotion
 * without evidence" (issue 17) promoted such watches; their report must not
 * claim that the signals stayed within the policy. The same pure core, run on
 * the watch's readings: the rule as it stands, against the rule before it.
 */
export function watchWithoutEvidence(config: DecisionConfig, readings: Reading[]): string | undefined {
  let state = initialDecisionState(config);
  for (const reading of readings) {
    if (reading.phase !== 'watch') continue;
    const step = evaluateInterval(config, state, reading.observation ?? {});
    state = step.state;
    if (step.decision) return undefined;
  }
  const now = finishWatch(config, state);
  const before = finishWatch({ ...config, promoteWithoutEvidence: true }, state);
  return now.decision === 'escalate' && before.decision === 'no-rollback' ? now.reason : undefined;
}

/** What the report says when the guardian made no rollback decision. */
export function noDecisionText(report: { watchWithoutEvidence?: string }): string {
  return report.watchWithoutEvidence === undefined
    ? 'no rollback decision: the signals stayed within the policy'
    : `no rollback decision, but the watch was inconclusive: ${report.watchWithoutEvidence}`;
}
