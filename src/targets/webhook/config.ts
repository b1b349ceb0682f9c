import { z } from 'zod';
import { seconds } from '../../policy/schema/common';

// A host name (optionally `*.` for any subdomain) or an IP literal, with an optional port.
const HOST_PATTERN =
  /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/;

export const AllowedHost = z
  .string()
  .transform((value) => value.toLowerCase())
  .pipe(
    z.string().regex(HOST_PATTERN, {
      error:
        'must be a host name like deploy.example.com, *.example.com or 10.0.0.5:8443 (no scheme, no path)',
    }),
  );

/**
 * The webhook target in the worker's targets file. The URL, method and HMAC
 * secret of each call come from the policy step; the worker decides where
 * webhooks may go at all.
 *
 * ```yaml
 * webhook:
 *   type: webhook
 *   allowedHosts: [argocd.internal.example.com, '*.deploy.example.com']
 *   timeoutSeconds: 15
 * ```
 */
export const WebhookTargetConfig = z.strictObject({
  type: z.literal('webhook'),
  /**
   * Hosts a policy may send webhooks to (and receivers may point status URLs
   * at); anything else is refused before a request is made. When absent, any
   * host the policy names is called, and status URLs must stay on the
   * webhook's own origin.
   */
  allowedHosts: z.array(AllowedHost).min(1).optional(),
  /** Timeout of each HTTP call (the call itself and each status poll). */
  timeoutSeconds: seconds(1, 300).default(15),
});
export type WebhookTargetConfig = z.infer<typeof WebhookTargetConfig>;
export type WebhookTargetConfigInput = z.input<typeof WebhookTargetConfig>;
