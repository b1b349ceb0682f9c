/**
 * The rollback policy: the contract between a service team and ripcord, and
 * the only thing a guardian obeys. Everything outside src/policy imports from
 * here.
 */
export { Policy } from './schema/policy';
export { PolicyShape, POLICY_API_VERSION, POLICY_KIND } from './schema/shape';
export { Deployment, type DeploymentPattern } from './schema/deployment';
export { Evaluation, Signal } from './schema/signals';
export { PlanStep, type PlanStepType, PLAN_STEP_TYPES } from './schema/plan';
export { Series, Source, SOURCE_TYPES, QUERY_PLACEHOLDERS } from './schema/sources';
export { Approval, Mode, Notification, Recovery, Risk, RiskRule, TrustedKeys } from './schema/governance';
export { SecretRef } from './schema/common';
export {
  loadPolicyFile,
  parsePolicyText,
  validatePolicyData,
  PolicyReadError,
  type LoadedPolicy,
  type PolicyValidation,
} from './loader';
export { PolicyValidationError, formatIssue, type PolicyIssue } from './issues';
export { canonicalJson, contentHash } from './canonical';
export { explainPolicy, formatDuration, type ExplainOptions } from './explain';
export { policyJsonSchema } from './json-schema';
