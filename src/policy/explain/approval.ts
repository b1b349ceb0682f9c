import type { Approval, RiskRule } from '../schema/governance';
import type { Policy } from '../schema/policy';
import { formatDuration } from '../../text/duration';

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

export function describeApproval(policy: Policy, d: (path: string) => string): string[] {
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
