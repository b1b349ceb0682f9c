import type { CompensationOutcome, PlannedStep, ResolvedAction } from '../../model/plan';
import { z } from 'zod';
import { redactSecrets, type SecretProvider } from '../../security/secrets';
import type { DeploymentInfo } from '../../model/guardian';
import { type CircuitBreakers, sharedCircuitBreakers } from '../support/circuit-breaker';
import { PermanentStepError } from '../errors';
import { describeAnswer, type OutboundResponse, sendOutbound } from '../support/outbound-http';
import { parseJsonText, parseResponse } from '../support/response';
import { rethrowAs } from '../support/rethrow';
import { safeUrl } from '../support/safe-url';
import { resolveStepSecret } from '../support/step-secret';
import type { ApplyResult, RollbackTarget, StepContext } from '../types';
import { WebhookTargetConfig, type WebhookTargetConfigInput } from './config';
import {
  IDEMPOTENCY_HEADER,
  REPLAYED_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
} from './signature';
import { JobFailedError, pollUntilDone } from './status-poll';
import { checkStatusUrl, checkWebhookUrl } from './url-guard';

/** What a receiver gets, as the JSON body of the POST/PUT. */
export interface WebhookPayload {
  type: 'ripcord.step';
  /** `rollback` when the step runs, `compensate` when it is undone. */
  action: 'rollback' | 'compensate';
  /** Also sent as the Idempotency-Key header: act once per key. */
  idempotencyKey: string;
  deployment: DeploymentInfo;
  planHash: string;
  step: { index: number; name: string };
}

export interface WebhookTargetOptions {
  /** Where the steps' hmacSecret references are looked up; default: the environment. */
  secrets?: SecretProvider;
  /** Default: the worker's shared circuits. */
  breakers?: CircuitBreakers;
  /** Milliseconds since the epoch, for signatures and polling deadlines; default Date.now. */
  now?: () => number;
  /** Pauses between status polls: first, and the most it grows to. Default 1 s and 10 s. */
  pollIntervalMs?: { initial: number; max: number };
}

type Webhook = Extract<ResolvedAction, { type: 'webhook' }>;

interface Delivery {
  status: number;
  statusUrl?: URL;
}

// Deliveries remembered for the verify that follows an apply in the same activity; a worker
// that forgot one delivers again under the same key, which the receiver recognises.
const REMEMBERED_DELIVERIES = 1_000;

/** What a receiver may answer a delivery with, as far as ripcord reads it; the rest is its own business. */
const DeliveryAnswer = z.object({ statusUrl: z.string().nullish() });

/**
 * `webhook` steps: a signed call to any deploy system (Argo CD, Spinnaker, a CI
 * job) that does the rollback itself. The receiver must act at most once per
 * Idempotency-Key; it may answer with a status URL (`{ "statusUrl": ... }` or a
 * Location header) that verification follows until the job succeeded or
 * failed. Compensation sends the same call with action `compensate` under its
 * own key; what that means is the receiver's business.
 */
export class WebhookTarget implements RollbackTarget {
  readonly name = 'webhook';
  private readonly config: WebhookTargetConfig;
  private readonly breakers: CircuitBreakers;
  private readonly now: () => number;
  private readonly deliveries = new Map<string, Delivery>();

  constructor(
    config: WebhookTargetConfigInput,
    private readonly options: WebhookTargetOptions = {},
  ) {
    this.config = WebhookTargetConfig.parse(config);
    this.breakers = options.breakers ?? sharedCircuitBreakers();
    this.now = options.now ?? Date.now;
  }

  async apply(step: PlannedStep, ctx: StepContext): Promise<ApplyResult> {
    const action = actionOf(step);
    const url = checkWebhookUrl(action.url, this.config.allowedHosts);
    const where = `${action.method} ${safeUrl(action.url)}`;
    if (this.deliveries.has(step.idempotencyKey)) {
      return { applied: false, detail: `${where} already delivered by this worker: not sent again` };
    }
    const { delivery, replayed } = await this.deliver(step, action, url, 'rollback', ctx);
    if (replayed) {
      return {
        applied: false,
        detail: `${where}: the receiver had already acted on this key (not applied again)`,
      };
    }
    return { applied: true, detail: `${where} accepted (HTTP ${delivery.status})` };
  }

  async verify(step: PlannedStep, ctx: StepContext): Promise<string> {
    const action = actionOf(step);
    const url = checkWebhookUrl(action.url, this.config.allowedHosts);
    const where = `${action.method} ${safeUrl(action.url)}`;
    // Delivering again is harmless by contract (same key) and tells us the status URL.
    const delivery =
      this.deliveries.get(step.idempotencyKey) ??
      (await this.deliver(step, action, url, 'rollback', ctx)).delivery;
    if (delivery.statusUrl === undefined) {
      return `${where} accepted (HTTP ${delivery.status}); the receiver gave no status URL to follow`;
    }
    const result = await this.follow(delivery.statusUrl, action, 'rollback', step.verify.timeoutSeconds, ctx);
    return `${where}: the receiver reports the rollback succeeded${result ? `: ${result}` : ''}`;
  }

  async compensate(step: PlannedStep, ctx: StepContext): Promise<CompensationOutcome> {
    const action = actionOf(step);
    const url = checkWebhookUrl(action.url, this.config.allowedHosts);
    const where = `${action.method} ${safeUrl(action.url)}`;
    const { delivery, replayed } = await this.deliver(step, action, url, 'compensate', ctx);
    if (delivery.statusUrl === undefined) {
      return {
        compensated: true,
        detail: `${where}: compensation ${replayed ? 'already ' : ''}accepted (HTTP ${delivery.status})`,
      };
    }
    const { statusUrl } = delivery;
    // The receiver tried and could not: asking again under the same key would only get the same answer.
    const result = await rethrowAs(
      () => this.follow(statusUrl, action, 'compensation', step.timeoutSeconds, ctx),
      JobFailedError,
      PermanentStepError,
    );
    return {
      compensated: true,
      detail: `${where}: the receiver reports the compensation succeeded${result ? `: ${result}` : ''}`,
    };
  }

  /** One signed call; remembers a rollback's delivery for the verification that follows. */
  private async deliver(
    step: PlannedStep,
    action: Webhook,
    url: URL,
    kind: WebhookPayload['action'],
    ctx: StepContext,
  ): Promise<{ delivery: Delivery; replayed: boolean }> {
    const secret = this.hmacSecret(action);
    const key = kind === 'rollback' ? step.idempotencyKey : `${step.idempotencyKey}.compensate`;
    const payload: WebhookPayload = {
      type: 'ripcord.step',
      action: kind,
      idempotencyKey: key,
      deployment: ctx.deployment,
      planHash: ctx.planHash,
      step: { index: step.index, name: step.name },
    };
    const body = JSON.stringify(payload);
    ctx.heartbeat({ step: step.index, webhook: kind });
    const response = await this.send(url, action.method, body, secret, ctx, step.timeoutSeconds, {
      'content-type': 'application/json',
      [IDEMPOTENCY_HEADER]: key,
    });
    const what = `the receiver at ${url.origin}`;
    if (response.status >= 300 && response.status < 400) {
      throw new PermanentStepError(
        `${what} answered the ${kind} with a redirect (HTTP ${response.status}); redirects are not followed`,
      );
    }
    if (response.status >= 400) {
      throw new PermanentStepError(
        redactSecrets(`${what} refused the ${kind}: ${describeAnswer(response.status, response.text)}`, [
          secret,
        ]),
      );
    }
    const delivery: Delivery = { status: response.status };
    const statusUrl = statusUrlOf(response, `the answer of ${what} to the ${kind}`);
    if (statusUrl !== undefined)
      delivery.statusUrl = checkStatusUrl(statusUrl, url, this.config.allowedHosts);
    if (kind === 'rollback') this.remember(step.idempotencyKey, delivery);
    return { delivery, replayed: response.headers.get(REPLAYED_HEADER)?.toLowerCase() === 'true' };
  }

  private async follow(
    statusUrl: URL,
    action: Webhook,
    job: string,
    timeoutSeconds: number,
    ctx: StepContext,
  ): Promise<string> {
    const secret = this.hmacSecret(action);
    const result = await pollUntilDone({
      fetchStatus: () => this.send(statusUrl, 'GET', '', secret, ctx, timeoutSeconds),
      what: `the receiver at ${statusUrl.origin}`,
      job,
      deadlineMs: this.now() + timeoutSeconds * 1000,
      now: this.now,
      ctx,
      ...(this.options.pollIntervalMs === undefined
        ? {}
        : {
            initialIntervalMs: this.options.pollIntervalMs.initial,
            maxIntervalMs: this.options.pollIntervalMs.max,
          }),
    });
    return result.message;
  }

  private send(
    url: URL,
    method: 'GET' | 'POST' | 'PUT',
    body: string,
    secret: string,
    ctx: StepContext,
    stepTimeoutSeconds: number,
    headers: Record<string, string> = {},
  ): Promise<OutboundResponse> {
    const timestamp = String(Math.floor(this.now() / 1000));
    return sendOutbound(this.breakers, {
      url,
      method,
      headers: {
        accept: 'application/json',
        'user-agent': 'ripcord',
        ...headers,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
      },
      ...(method === 'GET' ? {} : { body }),
      timeoutMs: Math.min(this.config.timeoutSeconds, stepTimeoutSeconds) * 1000,
      signal: ctx.signal,
      what: `the receiver at ${url.origin}`,
      secrets: [secret],
    });
  }

  private hmacSecret(action: Webhook): string {
    return resolveStepSecret(action.hmacSecret, this.options.secrets, 'webhook HMAC secret');
  }

  private remember(key: string, delivery: Delivery): void {
    this.deliveries.delete(key);
    this.deliveries.set(key, delivery);
    while (this.deliveries.size > REMEMBERED_DELIVERIES) {
      const oldest = this.deliveries.keys().next().value;
      if (oldest === undefined) break;
      this.deliveries.delete(oldest);
    }
  }
}

function actionOf(step: PlannedStep): Webhook {
  if (step.action.type !== 'webhook') {
    throw new PermanentStepError(`the webhook target handles webhook steps, not "${step.action.type}"`);
  }
  return step.action;
}

/**
 * `{ "statusUrl": "..." }` in the body, else a Location header. A body that is
 * text, or JSON but not an object, carries no status URL; an object whose
 * statusUrl is not a string breaks the contract and fails the step, naming the field.
 */
function statusUrlOf(response: OutboundResponse, what: string): string | undefined {
  const body = parseJsonText(response.text);
  if (body.ok && typeof body.value === 'object' && body.value !== null && !Array.isArray(body.value)) {
    const { statusUrl } = parseResponse(DeliveryAnswer, body.value, { target: 'webhook', what });
    if (statusUrl) return statusUrl;
  }
  return response.headers.get('location') ?? undefined;
}
