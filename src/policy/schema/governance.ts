import { z } from 'zod';
import { DnsLabel, KeyId, Name, OutboundUrl, SecretRef, seconds } from './common';
import { PLAN_STEP_TYPES } from './plan';

export const Metadata = z.strictObject({
  service: DnsLabel,
  environment: DnsLabel,
  owners: z.array(z.string().min(1).max(200)).min(1),
  // YAML turns `version: 3` into a number; both spellings mean the same policy version.
  version: z.union([z.string().min(1).max(100), z.number()]).transform(String),
  description: z.string().max(2000).optional(),
});
export type Metadata = z.infer<typeof Metadata>;

/**
 * Graduated trust: a team starts by letting ripcord only decide and record
 * (`observe`), then tell people (`notify`), then hold for a person (`pause`),
 * and only then act alone (`auto`).
 */
export const MODES = ['observe', 'notify', 'pause', 'auto'] as const;
export const Mode = z.enum(MODES).default('observe');
export type Mode = z.infer<typeof Mode>;

/** After this long since the deploy, only a person can start a rollback. */
export const RollbackWindow = z
  .strictObject({
    automaticSeconds: seconds(1, 30 * 86_400).default(3600),
  })
  .prefault({});
export type RollbackWindow = z.infer<typeof RollbackWindow>;

/** Conditions that make a rollback high-risk, so that it waits for approval. */
export const RiskRule = z.discriminatedUnion('when', [
  z.strictObject({ when: z.literal('always') }),
  z.strictObject({ when: z.literal('touches-migration') }),
  z.strictObject({ when: z.literal('environment'), environments: z.array(DnsLabel).min(1) }),
  z.strictObject({ when: z.literal('step-type'), stepTypes: z.array(z.enum(PLAN_STEP_TYPES)).min(1) }),
  /** The new version carries more than this share of traffic when the rollback starts. */
  z.strictObject({ when: z.literal('traffic-above'), percent: z.number().min(0).lt(100) }),
]);
export type RiskRule = z.infer<typeof RiskRule>;

export const Risk = z
  .strictObject({
    highRiskWhen: z.array(RiskRule).default([]),
  })
  .prefault({});
export type Risk = z.infer<typeof Risk>;

export const APPROVAL_TIMEOUT_ACTIONS = ['rollback', 'hold', 'escalate'] as const;

export const Approval = z.strictObject({
  /** Roles whose signed approval counts. */
  roles: z.array(Name).min(1),
  /** Distinct people who must approve. */
  quorum: z.number().int().min(1).max(10).default(1),
  /** Each approval must come from a different role (for example one SRE and one service owner). */
  distinctRoles: z.boolean().default(false),
  /** Whether the person who deployed may approve the rollback of their own deploy. */
  allowSelfApproval: z.boolean().default(false),
  timeoutSeconds: seconds(60, 7 * 86_400).default(1800),
  onTimeout: z.enum(APPROVAL_TIMEOUT_ACTIONS).default('escalate'),
});
export type Approval = z.infer<typeof Approval>;

/** Checked after the rollback: health must return below these levels before the deadline. */
export const Recovery = z
  .strictObject({
    deadlineSeconds: seconds(60, 86_400).default(600),
    targets: z.array(z.strictObject({ signal: Name, threshold: z.number() })).default([]),
  })
  .prefault({});
export type Recovery = z.infer<typeof Recovery>;

export const NOTIFICATION_EVENTS = [
  'regression-detected',
  'rollback-decided',
  'approval-requested',
  'rollback-started',
  'rollback-completed',
  'rollback-failed',
  'escalated',
  'promoted',
] as const;

const notificationCommon = {
  name: Name,
  on: z
    .array(z.enum(NOTIFICATION_EVENTS))
    .min(1)
    .default([
      'rollback-decided',
      'approval-requested',
      'rollback-completed',
      'rollback-failed',
      'escalated',
    ]),
};

export const Notification = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('slack'),
    ...notificationCommon,
    webhookUrlSecret: SecretRef,
    channel: z.string().min(1).optional(),
  }),
  z.strictObject({
    type: z.literal('webhook'),
    ...notificationCommon,
    url: OutboundUrl,
    hmacSecret: SecretRef,
  }),
  z.strictObject({ type: z.literal('pagerduty'), ...notificationCommon, routingKeySecret: SecretRef }),
]);
export type Notification = z.infer<typeof Notification>;

/** Ids of keys held by the security module; the policy names them, never contains them. */
export const TrustedKeys = z
  .strictObject({
    approvals: z.array(KeyId).default([]),
    artifacts: z.array(KeyId).default([]),
  })
  .prefault({});
export type TrustedKeys = z.infer<typeof TrustedKeys>;
