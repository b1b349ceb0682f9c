import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How a receiver knows a webhook comes from ripcord and was not replayed: an
 * HMAC-SHA256, keyed by the step's shared secret, over "<timestamp>.<body>".
 *
 *   X-Ripcord-Timestamp: 1767225600            (Unix seconds)
 *   X-Ripcord-Signature: sha256=<64 hex digits>
 *
 * Status polls are signed the same way over an empty body.
 */
export const TIMESTAMP_HEADER = 'X-Ripcord-Timestamp';
export const SIGNATURE_HEADER = 'X-Ripcord-Signature';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** A receiver that recognises an Idempotency-Key it has already acted on answers with `Idempotent-Replayed: true`. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

export interface VerifySignatureOptions {
  /** How old (or how far in the future) a timestamp may be. Default 300 s; Infinity turns the check off. */
  toleranceSeconds?: number;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
}

/**
 * For receivers (and tests): true when `header` is the signature of
 * `timestamp` and the exact `body` bytes under `secret`, and the timestamp is
 * recent. The comparison takes the same time whatever the header holds.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string,
  body: string,
  header: string | undefined,
  options: VerifySignatureOptions = {},
): boolean {
  if (header === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  const tolerance = options.toleranceSeconds ?? 300;
  const nowSeconds = (options.now ?? Date.now)() / 1000;
  if (Math.abs(nowSeconds - Number(timestamp)) > tolerance) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body), 'utf8');
  const given = Buffer.from(header.trim(), 'utf8');
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time independent of the header.
  const sameLength = given.length === expected.length;
  return timingSafeEqual(sameLength ? given : expected, expected) && sameLength;
}
