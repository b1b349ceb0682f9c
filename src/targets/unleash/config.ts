import { z } from 'zod';
import { HttpUrl, SecretRef, seconds } from '../../policy/schema/common';

/**
 * The Unleash target in the worker's targets file. The token is an Unleash
 * admin API token (or a personal access token) allowed to switch the flags the
 * policies name; the file holds only a reference to it, resolved when a step
 * runs.
 *
 * ```yaml
 * disable-flag:
 *   type: unleash
 *   url: https://unleash.internal.example.com   # a path prefix is kept: https://host/unleash
 *   tokenSecret: ${secret:UNLEASH_ADMIN_TOKEN}
 *   environment: production                   # default: the deployment's environment
 * ```
 */
export const UnleashTargetConfig = z.strictObject({
  type: z.literal('unleash'),
  /** Base URL of the Unleash server (where /api/admin lives). */
  url: HttpUrl,
  tokenSecret: SecretRef,
  /** The Unleash environment to switch; default: the environment of the deployment being rolled back. */
  environment: z.string().min(1).max(100).optional(),
  /** Timeout of each call to Unleash. */
  timeoutSeconds: seconds(1, 120).default(10),
});
export type UnleashTargetConfig = z.infer<typeof UnleashTargetConfig>;
export type UnleashTargetConfigInput = z.input<typeof UnleashTargetConfig>;
