import type { Policy, RiskRule } from '../../policy';
import type { RiskLevel } from '../../model/guardian';

export interface RiskAssessment {
  risk: RiskLevel;
  /** Every rule that made the plan high-risk, in words; empty for a normal plan. */
  reasons: string[];
}

/**
 * Applies the policy's `risk.highRiskWhen` rules. Mode `pause` makes every
 * rollback high-risk: in that mode a person decides, whatever the rules say.
 */
export function assessRisk(policy: Policy, environment: string, newVersionWeight: number): RiskAssessment {
  const reasons: string[] = [];
  if (policy.mode === 'pause') reasons.push('mode is pause: a person decides every rollback');
  for (const rule of policy.risk.highRiskWhen)
    reasons.push(...ruleReasons(rule, policy, environment, newVersionWeight));
  const unique = [...new Set(reasons)];
  return { risk: unique.length > 0 ? 'high' : 'normal', reasons: unique };
}

function ruleReasons(rule: RiskRule, policy: Policy, environment: string, weight: number): string[] {
  const steps = policy.plan.steps;
  switch (rule.when) {
    case 'always':
      return ['the policy marks every rollback high-risk'];
    case 'touches-migration':
      return steps
        .filter((step) => step.type === 'down-migration')
        .map((step) => `step "${step.name}" changes the database schema`);
    case 'environment':
      return rule.environments.includes(environment) ? [`environment "${environment}" is high-risk`] : [];
    case 'step-type':
      return steps
        .filter((step) => rule.stepTypes.includes(step.type))
        .map((step) => `step "${step.name}" is a ${step.type} step`);
    case 'traffic-above':
      return weight > rule.percent
        ? [`the new version serves ${weight}% of traffic, above ${rule.percent}%`]
        : [];
  }
}
