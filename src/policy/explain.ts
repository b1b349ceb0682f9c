import { isDefaulted } from './defaults';
import {
  backoffTotalSeconds,
  highestNewVersionWeight,
  stepWorstCaseSeconds,
  trafficPauseSeconds,
  trafficStages,
} from './plan-facts';
import type { Approval, Mode, Notification, RiskRule } from './schema/governance';
import type { PlanStep } from './schema/plan';
import type { Policy } from './schema/policy';
import type { Signal } from './schema/signals';
import type { Source } from './schema/sources';

export interface ExplainOptions {
  /** Dotted paths filled in by defaults (LoadedPolicy.defaultedPaths); they are marked "(default)". */
  defaultedPaths?: Iterable<string>;
}

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

function percent(value: number): string {
  return `${Math.round(value * 10_000) / 100}%`;
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
    out.push(`    ${name} from ${series.source}: ${series.query}`);
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

function describeDeployment(policy: Policy): string {
  const dep = policy.deployment;
  switch (dep.pattern) {
    case 'canary':
      return `canary, traffic to the new version in steps of ${dep.steps
        .map((s) => `${s.weight}%${s.holdSeconds > 0 ? ` (hold ${formatDuration(s.holdSeconds)})` : ''}`)
        .join(' → ')}`;
    case 'blue-green':
      return `blue-green swap, compared with the ${formatDuration(dep.beforeWindowSeconds)} before the swap; the previous colour stays up for ${formatDuration(dep.keepPreviousSeconds)}`;
    case 'feature-flag':
      return `feature flag "${dep.flag}" in ${dep.provider} project "${dep.project}"`;
    case 'rolling':
      return `rolling update in batches of ${dep.batchPercent}%, ${formatDuration(dep.pauseSeconds)} apart`;
  }
}

function formatThreshold(signal: Signal | undefined, value: number): string {
  if (signal?.kind === 'ratio') return percent(value);
  if (signal?.kind === 'latency') return `${value} ms`;
  return String(value);
}

function describeSignal(signal: Signal, d: (path: string) => string): string {
  const what =
    signal.kind === 'ratio'
      ? `${signal.numerator} / ${signal.denominator}`
      : `${signal.kind} series ${signal.series}${signal.weight === undefined ? '' : `, weighted by ${signal.weight}`}`;
  const comparison = {
    'vs-baseline': 'new version compared with the concurrent baseline',
    absolute: `compared with the absolute threshold ${formatThreshold(signal, signal.threshold ?? 0)}`,
    'before-after': 'compared with before the swap',
  }[signal.comparison];
  const tolerance =
    signal.comparison === 'absolute'
      ? ''
      : `; acts only on a change of at least ${percent(signal.tolerance.relative)}${d('tolerance.relative')} relative and ${signal.tolerance.absolute}${d('tolerance.absolute')} absolute`;
  return `${signal.name} (${signal.critical ? 'critical' : 'informational, never triggers a rollback'}${d('critical')}): ${what}, ${comparison}; ${signal.direction.replace(/-/g, ' ')}${d('direction')}${tolerance}.`;
}

function describeSource(source: Source): string {
  switch (source.type) {
    case 'prometheus':
      return `Prometheus at ${source.url}, timeout ${formatDuration(source.timeoutSeconds)}${source.auth ? `, ${source.auth.scheme} auth from ${source.auth.secret}` : ''}`;
    case 'probe':
      return `synthetic probe ${source.method} ${source.url} expecting ${source.expectStatus}, timeout ${formatDuration(source.timeoutSeconds)}${source.auth ? `, ${source.auth.scheme} auth from ${source.auth.secret}` : ''}`;
    case 'replay':
      return `recorded scenarios from ${source.path}`;
  }
}

function describeStep(
  step: PlanStep,
  index: number,
  fromWeight: number,
  policy: Policy,
  defaulted: ReadonlySet<string>,
): string[] {
  let action: string;
  switch (step.type) {
    case 'shift-traffic': {
      const stages = trafficStages(step, fromWeight);
      action = `shift traffic back to the baseline: new-version weight ${stages.map((w) => `${w}%`).join(' → ')}, ${formatDuration(step.pauseSeconds)} between stages`;
      break;
    }
    case 'swap-blue-green':
      action = 'swap traffic back to the previous colour';
      break;
    case 'revert-artifact':
      action = `redeploy ${step.previousDigest ?? 'the previous artifact digest given to `ripcord guard`'}, only if its signature by key "${step.signedBy}" verifies`;
      break;
    case 'disable-flag': {
      const flag =
        step.flag ?? (policy.deployment.pattern === 'feature-flag' ? policy.deployment.flag : '(none)');
      action = `turn feature flag "${flag}" off`;
      break;
    }
    case 'down-migration':
      action = step.reversible
        ? `run the down-migration "${step.migration}" (database credentials from ${step.connectionSecret ?? 'n/a'})`
        : `migration "${step.migration}" is irreversible: freeze the plan here and escalate to a person`;
      break;
    case 'webhook':
      action = `call ${step.method} ${step.url}, signed with HMAC from ${step.hmacSecret}`;
      break;
  }
  const lines = [`  ${index + 1}. ${step.name}: ${action}.`];
  const d = (path: string) => (isDefaulted(defaulted, `plan.steps.${index}.${path}`) ? ' (default)' : '');
  if (step.type === 'down-migration' && !step.reversible) return lines;
  const r = step.retries;
  const verify = [
    step.verify.targetState ? 'the target must report the intended state' : undefined,
    step.verify.signals.length > 0
      ? `signals ${step.verify.signals.join(', ')} must stop breaching`
      : undefined,
  ].filter((x): x is string => x !== undefined);
  lines.push(
    `     Up to ${r.maxAttempts}${d('retries.maxAttempts')} attempt(s) of at most ${formatDuration(step.timeoutSeconds)}${d('timeoutSeconds')} each, backoff ${formatDuration(r.backoff.initialSeconds)} ×${r.backoff.multiplier} (at most ${formatDuration(r.backoff.maxSeconds)})${d('retries.backoff')}.`,
    `     Verify ${step.verify.settleSeconds === 0 ? 'at once' : `after ${formatDuration(step.verify.settleSeconds)}`}, within ${formatDuration(step.verify.timeoutSeconds)}${d('verify.timeoutSeconds')}: ${verify.join('; ') || 'nothing beyond the step succeeding'}.`,
    '     If the step fails for good, the steps already done are compensated in reverse order and ripcord escalates.',
  );
  return lines;
}

function riskRuleText(rule: RiskRule): string {
  switch (rule.when) {
    case 'always':
      return 'always';
    case 'touches-migration':
      return 'the plan touches a database migration';
    case 'environment':
      return `the environment is ${rule.environments.join(' or ')}`;
    case 'step-type':
      return `the plan contains a ${rule.stepTypes.join(' or ')} step`;
    case 'traffic-above':
      return `the new version carries more than ${rule.percent}% of traffic`;
  }
}

/** Whether a rule certainly applies to this policy's rollbacks (some depend on the moment). */
function ruleAppliesAlways(rule: RiskRule, policy: Policy): boolean {
  switch (rule.when) {
    case 'always':
      return true;
    case 'touches-migration':
      return policy.plan.steps.some((s) => s.type === 'down-migration');
    case 'environment':
      return rule.environments.includes(policy.metadata.environment);
    case 'step-type':
      return policy.plan.steps.some((s) => rule.stepTypes.includes(s.type));
    case 'traffic-above':
      return false;
  }
}

const ON_TIMEOUT: Record<Approval['onTimeout'], string> = {
  rollback: 'ripcord rolls back anyway (a confirmed regression is worse than an unapproved rollback)',
  hold: 'ripcord keeps holding; nothing happens until a person approves, rejects or aborts',
  escalate: 'ripcord does not roll back; it escalates to a person and leaves the deployment held',
};

function describeApproval(policy: Policy, d: (path: string) => string): string[] {
  const rules = policy.risk.highRiskWhen;
  const lines: string[] = [];
  if (rules.length === 0) lines.push('  No rule makes a rollback high-risk.');
  else {
    lines.push(`  A rollback is high-risk when: ${rules.map(riskRuleText).join('; or ')}.`);
    if (rules.some((r) => ruleAppliesAlways(r, policy))) {
      lines.push('  For this policy that is always the case, so every rollback waits for approval.');
    }
  }
  if (policy.mode === 'pause')
    lines.push('  Mode pause: every rollback waits for approval, high-risk or not.');
  const a = policy.approval;
  if (a === undefined) {
    lines.push('  No approval is configured: nobody approves, ripcord acts according to its mode.');
    return lines;
  }
  const who =
    a.quorum === 1
      ? `1 approval from a person with role ${a.roles.join(' or ')}`
      : `${a.quorum} approvals from different people with roles ${a.roles.join(' or ')}${a.distinctRoles ? ', each from a different role' : ''}`;
  lines.push(
    `  Who must approve${d('approval.quorum')}: ${who}.`,
    a.allowSelfApproval
      ? `  The person who deployed may approve their own rollback${d('approval.allowSelfApproval')}.`
      : `  The person who deployed may not approve their own rollback${d('approval.allowSelfApproval')}.`,
    `  Approvals are signed tokens, verified against the trusted approval keys (${policy.trustedKeys.approvals.join(', ') || 'none'}); each token is used once.`,
    `  If nobody approves within ${formatDuration(a.timeoutSeconds)}${d('approval.timeoutSeconds')}: ${ON_TIMEOUT[a.onTimeout]}${d('approval.onTimeout')}.`,
  );
  return lines;
}

function worstCase(policy: Policy): string[] {
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

function describeNotification(n: Notification): string {
  let target: string;
  switch (n.type) {
    case 'slack':
      target = n.channel === undefined ? 'Slack' : `Slack ${n.channel}`;
      break;
    case 'webhook':
      target = `webhook ${n.url}`;
      break;
    case 'pagerduty':
      target = 'PagerDuty';
      break;
  }
  return `${n.name}: ${target} on ${n.on.join(', ')}`;
}
