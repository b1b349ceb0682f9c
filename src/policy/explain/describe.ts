import { isDefaulted } from '../defaults';
import { trafficStages } from '../plan-facts';
import type { Notification } from '../schema/governance';
import type { PlanStep } from '../schema/plan';
import type { Policy } from '../schema/policy';
import type { Signal } from '../schema/signals';
import type { Source } from '../schema/sources';
import { formatDuration } from '../../text/duration';
import { formatThreshold, percent } from './format';

export function describeDeployment(policy: Policy): string {
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

export function describeSignal(signal: Signal, d: (path: string) => string): string {
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

export function describeSource(source: Source): string {
  switch (source.type) {
    case 'prometheus':
      return `Prometheus at ${source.url}, timeout ${formatDuration(source.timeoutSeconds)}${source.auth ? `, ${source.auth.scheme} auth from ${source.auth.secret}` : ''}`;
    case 'probe':
      return `synthetic probe ${source.method} ${source.url} expecting ${source.expectStatus}, timeout ${formatDuration(source.timeoutSeconds)}${source.auth ? `, ${source.auth.scheme} auth from ${source.auth.secret}` : ''}`;
    case 'replay':
      return `recorded scenarios from ${source.path}`;
  }
}

export function describeStep(
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

export function describeNotification(n: Notification): string {
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
