import { z } from 'zod';
import { Deployment } from './deployment';
import {
  Approval,
  Metadata,
  Mode,
  Notification,
  Recovery,
  Risk,
  RollbackWindow,
  TrustedKeys,
} from './governance';
import { Plan } from './plan';
import { Evaluation, Signal } from './signals';
import { SeriesMap, Sources } from './sources';

export const POLICY_API_VERSION = 'ripcord/v1';
export const POLICY_KIND = 'RollbackPolicy';

/**
 * Every field of a policy, with its defaults, but without the rules that
 * relate one field to another (those live in ../cross-checks and are joined to
 * this shape in ./policy.ts).
 */
export const PolicyShape = z.strictObject({
  apiVersion: z.literal(POLICY_API_VERSION),
  kind: z.literal(POLICY_KIND),
  metadata: Metadata,
  deployment: Deployment,
  mode: Mode,
  rollbackWindow: RollbackWindow,
  sources: Sources,
  series: SeriesMap,
  signals: z.array(Signal).min(1),
  evaluation: Evaluation,
  plan: Plan,
  risk: Risk,
  /** Who must approve a high-risk rollback; required when any rollback can be high-risk or mode is pause. */
  approval: Approval.optional(),
  recovery: Recovery,
  notifications: z.array(Notification).default([]),
  trustedKeys: TrustedKeys,
});
export type PolicyShape = z.infer<typeof PolicyShape>;
