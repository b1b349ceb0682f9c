import {
  backoffTotalSeconds,
  highestNewVersionWeight,
  stepWorstCaseSeconds,
  trafficPauseSeconds,
} from '../plan-facts';
import type { Policy } from '../schema/policy';
import { formatDuration } from '../../text/duration';

/**
 * The part of the time to roll back that the policy itself imposes. The time
 * the statistics need depends on traffic and is stated as unknown, not guessed.
 */
export function worstCase(policy: Policy): string[] {
  const ev = policy.evaluation;
  const steps = policy.plan.steps.map(stepWorstCaseSeconds);
  const stepsTotal = steps.reduce((a, b) => a + b, 0);
  const decision = ev.intervalSeconds + ev.confirmationWindowSeconds;
  const gated =
    policy.approval !== undefined && (policy.mode === 'pause' || policy.risk.highRiskWhen.length > 0);
  const approval = gated && policy.approval !== undefined ? policy.approval.timeoutSeconds : 0;
  const lines = [
    '  How much traffic the statistics need to be sure depends on traffic and effect size; the policy cannot fix it in advance.',
    `  From the moment the evidence is sufficient (and never before the ${formatDuration(ev.warmupSeconds)} warm-up ends), the policy adds at most:`,
    `    detection: ${formatDuration(ev.intervalSeconds)} (one evaluation interval)`,
    `    confirmation: ${formatDuration(ev.confirmationWindowSeconds)}`,
  ];
  if (gated) lines.push(`    approval: up to ${formatDuration(approval)} when the rollback is high-risk`);
  policy.plan.steps.forEach((step, i) => {
    const extra =
      step.type === 'shift-traffic'
        ? `, of which ${formatDuration(trafficPauseSeconds(step, highestNewVersionWeight(policy.deployment)))} pauses per attempt`
        : '';
    const backoff = backoffTotalSeconds(step.retries);
    lines.push(
      `    step ${i + 1} (${step.name}): up to ${formatDuration(steps[i] ?? 0)}${
        step.type === 'down-migration' && !step.reversible
          ? ' (freezes and escalates at once)'
          : ` (${step.retries.maxAttempts} × ${formatDuration(step.timeoutSeconds)}${extra}, backoff ${formatDuration(backoff)}, verification ${formatDuration(step.verify.settleSeconds + step.verify.timeoutSeconds)})`
      }`,
    );
  });
  const total = decision + approval + stepsTotal;
  lines.push(
    `  Total: at most ${formatDuration(total)}${gated ? ` (${formatDuration(total - approval)} when no approval is needed)` : ''}, until the rollback is done or handed to a person.`,
  );
  if (policy.mode === 'observe' || policy.mode === 'notify') {
    lines.push(
      `  In mode ${policy.mode} nothing is rolled back automatically: these are the times at which it would be.`,
    );
  }
  lines.push(
    `  A regression confirmed more than ${formatDuration(policy.rollbackWindow.automaticSeconds)} after the deploy is not rolled back automatically.`,
  );
  return lines;
}
