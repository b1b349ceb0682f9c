/** The `webhook` target: a signed call to any deploy system, followed until its job ends. */
export { WebhookTarget, type WebhookPayload, type WebhookTargetOptions } from './target';
export { AllowedHost, WebhookTargetConfig, type WebhookTargetConfigInput } from './config';
export {
  IDEMPOTENCY_HEADER,
  REPLAYED_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
  type VerifySignatureOptions,
} from './signature';
export { hostAllowed } from './url-guard';
