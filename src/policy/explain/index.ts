import { isDefaulted } from '../defaults';
import { highestNewVersionWeight } from '../plan-facts';
import type { Mode } from '../schema/governance';
import type { Policy } from '../schema/policy';
import { describeApproval } from './approval';
import {
  describeDeployment,
  describeNotification,
  describeSeries,
  describeSignal,
  describeSource,
  describeStep,
} from './describe';
import { formatDuration } from '../../text/duration';
import { formatThreshold, percent } from './format';
import { worstCase } from './worst-case';

export { formatDuration } from '../../text/duration';

export interface ExplainOptions {
  /** Dotted paths filled in by defaults (LoadedPolicy.defaultedPaths); they are marked "(default)". */
  defaultedPaths?: Iterable<string>;
}

const MODE_MEANING: Record<Mode, string> = {
  observe: 'observe: ripcord decides and records what it would do, and changes nothing',
  notify: 'notify: ripcord decides and notifies people; it never rolls back by itself',
  pause:
    'pause: on a confirmed regression ripcord holds the deployment and waits for a person to approve the rollback',
  auto: 'auto: ripcord rolls back by itself on a confirmed regression (high-risk rollbacks still wait for approval)',
};

/**
 * A plain-English account of what a policy makes ripcord do: what it watches,
 * when it rolls back and how long that can take, which steps run, who must
 * approve and what happens when nobody does.
 */
export function explainPolicy(policy: Policy, options: ExplainOptions = {}): string {
  const defaulted = new Set(options.defaultedPaths ?? []);
  const d = (path: string) => (isDefaulted(defaulted, path) ? ' (default)' : '');
  const out: string[] = [];
  const section = (title: string) => out.push('', title);
  const { metadata, evaluation: ev } = policy;

  out.push(
    `Rollback policy for ${metadata.service} in ${metadata.environment} (policy version ${metadata.version}), owned by ${metadata.owners.join(', ')}.`,
  );
  if (metadata.description !== undefined) out.push(metadata.description);
  out.push(`Deployment: ${describeDeployment(policy)}.`);
  out.push(`Mode${d('mode')}: ${MODE_MEANING[policy.mode]}.`);
  out.push(
    `Automatic rollback window${d('rollbackWindow.automaticSeconds')}: ${formatDuration(policy.rollbackWindow.automaticSeconds)} after the deploy; after that only a person can start a rollback.`,
  );

  section(`What is watched (every ${formatDuration(ev.intervalSeconds)}${d('evaluation.intervalSeconds')}):`);
  policy.signals.forEach((signal, i) =>
    out.push(`  - ${describeSignal(signal, (p) => d(`signals.${i}.${p}`))}`),
  );
  out.push('  Series:');
  for (const [name, series] of Object.entries(policy.series)) {
    out.push(`    ${describeSeries(name, series)}`);
  }
  out.push('  Sources:');
  for (const [name, source] of Object.entries(policy.sources))
    out.push(`    ${name}: ${describeSource(source)}`);

  section('When it rolls back:');
  const critical = policy.signals.filter((s) => s.critical);
  out.push(
    `  A rollback is decided when a critical signal (${critical.map((s) => s.name).join(', ')}) regresses: beyond its tolerance against the comparison group, or past its absolute threshold.`,
    `  The probability of a false rollback per deployment is at most ${percent(ev.alpha)}${d('evaluation.alpha')} (alpha ${ev.alpha}, split across the ${policy.signals.length} signal(s)); repeated looks do not raise it.`,
    `  No verdict counts during the warm-up of ${formatDuration(ev.warmupSeconds)}${d('evaluation.warmupSeconds')}, nor before each group has seen ${ev.minRequestsPerGroup}${d('evaluation.minRequestsPerGroup')} events.`,
    ev.confirmationWindowSeconds === 0
      ? `  There is no confirmation window${d('evaluation.confirmationWindowSeconds')}: the first significant breach decides.`
      : `  A breach must persist on fresh data for the confirmation window of ${formatDuration(ev.confirmationWindowSeconds)}${d('evaluation.confirmationWindowSeconds')} before it becomes a rollback.`,
    `  Inconclusive for longer than ${formatDuration(ev.maxInconclusiveSeconds)}${d('evaluation.maxInconclusiveSeconds')}: escalate to a person.`,
    `  A data gap longer than ${formatDuration(ev.missingData.maxGapSeconds)}${d('evaluation.missingData.maxGapSeconds')} in either group: ${ev.missingData.onLongGap === 'escalate' ? 'escalate to a person' : 'hold (no verdict) until data returns'}${d('evaluation.missingData.onLongGap')}.`,
  );

  section('Worst-case time to roll back:');
  out.push(...worstCase(policy));

  section('Rollback plan (in order):');
  const fromWeight = highestNewVersionWeight(policy.deployment);
  policy.plan.steps.forEach((step, i) => out.push(...describeStep(step, i, fromWeight, policy, defaulted)));

  section('Risk and approval:');
  out.push(...describeApproval(policy, d));

  section('After the rollback:');
  if (policy.recovery.targets.length === 0) {
    out.push('  No recovery targets: recovery is judged by the step verifications alone.');
  } else {
    const byName = new Map(policy.signals.map((s) => [s.name, s]));
    const targets = policy.recovery.targets.map((t) => {
      const signal = byName.get(t.signal);
      const side = signal?.direction === 'lower-is-worse' ? 'at or above' : 'at or below';
      return `${t.signal} ${side} ${formatThreshold(signal, t.threshold)}`;
    });
    out.push(
      `  Within ${formatDuration(policy.recovery.deadlineSeconds)}${d('recovery.deadlineSeconds')}, health must be back: ${targets.join('; ')}. Otherwise ripcord escalates to a person.`,
    );
  }

  section('Notifications:');
  if (policy.notifications.length === 0) out.push('  None.');
  policy.notifications.forEach((n, i) =>
    out.push(`  - ${describeNotification(n)}${d(`notifications.${i}.on`)}`),
  );

  section('Trusted keys:');
  out.push(
    `  Approvals: ${policy.trustedKeys.approvals.join(', ') || 'none'}. Artifact signatures: ${policy.trustedKeys.artifacts.join(', ') || 'none'}.`,
  );
  if (defaulted.size > 0)
    out.push('', 'Values marked (default) are not written in the policy; the schema filled them in.');
  return `${out.join('\n')}\n`;
}
