import { z } from 'zod';
import { seconds } from './common';

/** Progressive traffic weights: the new version gets `weight` percent of traffic, then holds. */
export const CanaryDeployment = z.strictObject({
  pattern: z.literal('canary'),
  steps: z
    .array(
      z.strictObject({
        weight: z.number().gt(0).lte(100),
        holdSeconds: seconds(0, 86_400).default(300),
      }),
    )
    .min(1)
    .superRefine((steps, ctx) => {
      steps.forEach((step, i) => {
        const previous = steps[i - 1];
        if (previous !== undefined && step.weight <= previous.weight) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'weight'],
            params: { expected: `a weight greater than ${previous.weight}` },
            message: 'canary weights must increase from step to step',
          });
        }
      });
    }),
});

/** Two full environments and a switch; the old colour stays warm so that swapping back is instant. */
export const BlueGreenDeployment = z.strictObject({
  pattern: z.literal('blue-green'),
  /** How much data from before the swap the `before-after` comparison uses. */
  beforeWindowSeconds: seconds(60, 86_400).default(900),
  /** How long the previous colour is kept running after the swap. */
  keepPreviousSeconds: seconds(60, 30 * 86_400).default(3600),
});

export const FeatureFlagDeployment = z.strictObject({
  pattern: z.literal('feature-flag'),
  provider: z.enum(['unleash']),
  flag: z.string().min(1).max(200),
  project: z.string().min(1).default('default'),
});

export const RollingDeployment = z.strictObject({
  pattern: z.literal('rolling'),
  batchPercent: z.number().gt(0).lte(100).default(25),
  pauseSeconds: seconds(0, 86_400).default(60),
});

export const Deployment = z.discriminatedUnion('pattern', [
  CanaryDeployment,
  BlueGreenDeployment,
  FeatureFlagDeployment,
  RollingDeployment,
]);
export type Deployment = z.infer<typeof Deployment>;
export type DeploymentPattern = Deployment['pattern'];
