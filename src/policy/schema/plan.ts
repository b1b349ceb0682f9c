import { z } from 'zod';
import { Digest, KeyId, Name, OutboundUrl, Retries, SecretRef, seconds } from './common';

/** What the guardian checks after a step before it moves on. */
export const StepVerification = z
  .strictObject({
    /** Read the target back and require the intended state (weight 0, flag off, digest live...). */
    targetState: z.boolean().default(true),
    /** Signals that must no longer breach after the step; empty means only the target state is checked. */
    signals: z.array(Name).default([]),
    settleSeconds: seconds(0, 3600).default(30),
    timeoutSeconds: seconds(1, 3600).default(300),
  })
  .prefault({});

const stepCommon = {
  name: Name,
  timeoutSeconds: seconds(1, 3600).default(300),
  retries: Retries,
  verify: StepVerification,
};

/**
 * Moves traffic back to the baseline in stages: either the list of canary
 * weights to pass through (ending at 0) or a fixed percentage per stage.
 */
export const ShiftTrafficStep = z.strictObject({
  type: z.literal('shift-traffic'),
  ...stepCommon,
  weights: z.array(z.number().min(0).max(100)).min(1).optional(),
  stepPercent: z.number().gt(0).lte(100).optional(),
  pauseSeconds: seconds(0, 3600).default(30),
});

export const SwapBlueGreenStep = z.strictObject({
  type: z.literal('swap-blue-green'),
  ...stepCommon,
});

export const RevertArtifactStep = z.strictObject({
  type: z.literal('revert-artifact'),
  ...stepCommon,
  /** Pinned digest to return to; when absent, the previous digest given to `ripcord guard` is used. */
  previousDigest: Digest.optional(),
  /** The trusted key whose signature over the digest must verify before anything is deployed back. */
  signedBy: KeyId,
});

export const DisableFlagStep = z.strictObject({
  type: z.literal('disable-flag'),
  ...stepCommon,
  /** Defaults to the deployment's flag. */
  flag: z.string().min(1).max(200).optional(),
});

export const DownMigrationStep = z.strictObject({
  type: z.literal('down-migration'),
  ...stepCommon,
  migration: z.string().min(1).max(200),
  reversible: z.boolean(),
  connectionSecret: SecretRef.optional(),
  /** An irreversible migration cannot be undone by a machine: freeze the plan and hand over to a person. */
  onIrreversible: z.literal('freeze-and-escalate').default('freeze-and-escalate'),
});

export const WebhookStep = z.strictObject({
  type: z.literal('webhook'),
  ...stepCommon,
  url: OutboundUrl,
  method: z.enum(['POST', 'PUT']).default('POST'),
  hmacSecret: SecretRef,
});

export const PlanStep = z.discriminatedUnion('type', [
  ShiftTrafficStep,
  SwapBlueGreenStep,
  RevertArtifactStep,
  DisableFlagStep,
  DownMigrationStep,
  WebhookStep,
]);
export type PlanStep = z.infer<typeof PlanStep>;
export type PlanStepType = PlanStep['type'];
export const PLAN_STEP_TYPES = [
  'shift-traffic',
  'swap-blue-green',
  'revert-artifact',
  'disable-flag',
  'down-migration',
  'webhook',
] as const satisfies readonly PlanStepType[];

export const Plan = z.strictObject({
  steps: z.array(PlanStep).min(1),
});
export type Plan = z.infer<typeof Plan>;
