import { isDefaulted } from '../defaults';
import { trafficStages } from '../plan-facts';
import type { Notification } from '../schema/governance';
import type { PlanStep } from '../schema/plan';
import type { Policy } from '../schema/policy';
import type { Signal } from '../schema/signals';
import type { Series, Source } from '../schema/sources';
import { TAIL_SHARES } from '../../decision/histogram';
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

/** "p70, p90 and p98": the baseline percentiles a histogram signal's bounds sit near. */
function tailPercentiles(): string {
  const names = TAIL_SHARES.map((share) => `p${Math.round(100 * (1 - share))}`);
  return names.length < 2
    ? names.join('')
    : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * A histogram signal in plain words: which requests count as slow, against
 * what, and what a regression is (src/decision/histogram.ts).
 */
function describeHistogramSignal(
  signal: Extract<Signal, { kind: 'histogram' }>,
  d: (path: string) => string,
): string {
  const against =
    signal.comparison === 'before-after' ? 'the same service before the swap' : 'the concurrent baseline';
  return (
    `${signal.name} (${signal.critical ? 'critical' : 'informational, never triggers a rollback'}${d('critical')}): ` +
    `request counts of the histogram series ${signal.buckets} (all requests: ${signal.total}). It counts the ` +
    `requests slower than bounds the baseline itself rarely exceeds (the bucket bounds nearest the baseline's ` +
    `${tailPercentiles()}, and the furthest bound it has exceeded often enough to trust, all chosen from its ` +
    `own data of the intervals before), new version against ${against}; ` +
    `a regression is a share of slow requests ${percent(signal.tolerance.relative)}${d('tolerance.relative')} ` +
    `higher than the baseline's at any of those bounds. Watching several bounds keeps the alpha guarantee ` +
    `below: they share this signal's part of alpha.`
  );
}

export function describeSignal(signal: Signal, d: (path: string) => string): string {
  if (signal.kind === 'histogram') return describeHistogramSignal(signal, d);
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

/** One series: its source and query, and for a histogram the buckets it becomes. */
export function describeSeries(name: string, series: Series): string {
  const histogram =
    series.histogram === undefined
      ? ''
      : ` (a histogram: one count per \`le\` in ${series.histogram.leUnit}, read as the buckets ${name}_le_<ms>)`;
  return `${name} from ${series.source}${histogram}: ${series.query}`;
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
