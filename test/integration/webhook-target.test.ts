import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResolvedAction } from '../../src/model/plan';
import {
  CircuitBreakers,
  CircuitOpenError,
  EndpointUnavailableError,
} from '../../src/targets/support/circuit-breaker';
import { PermanentStepError, StepVerificationError } from '../../src/targets/errors';
import { verifyWebhookSignature, type WebhookPayload, WebhookTarget } from '../../src/targets/webhook';
import { testContext } from '../unit/targets/helpers';
import { deployment, PLAN_HASH, plannedStep, secrets } from '../unit/targets/unleash/steps';

/**
 * The webhook target against a real HTTP receiver, written the way a deploy
 * system's endpoint would be: it checks the HMAC with verifyWebhookSignature,
 * acts once per Idempotency-Key, and serves a status URL that is pending for a
 * while and then succeeded (or failed).
 */

const HMAC_SECRET = 'whsec-test-0123456789abcdef';

interface Job {
  action: WebhookPayload['action'];
  polls: number;
  outcome: 'succeeded' | 'failed';
  message: string;
}

class Receiver {
  server!: Server;
  url = '';
  /** Rollbacks (and compensations) actually carried out: one per Idempotency-Key. */
  performed: WebhookPayload[] = [];
  requests = 0;
  rejectedSignatures = 0;
  /** Called when a request to /hang arrives. */
  hanging: (() => void) | undefined;
  private readonly jobs = new Map<string, Job>();
  private readonly byKey = new Map<string, string>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const signed = verifyWebhookSignature(
      HMAC_SECRET,
      String(req.headers['x-ripcord-timestamp'] ?? ''),
      body,
      req.headers['x-ripcord-signature'] as string | undefined,
    );
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    if (!signed) {
      this.rejectedSignatures++;
      return reply(401, { error: 'bad signature' });
    }
    const path = req.url ?? '/';
    if (req.method === 'GET' && path.startsWith('/jobs/')) {
      const job = this.jobs.get(path.slice('/jobs/'.length));
      if (job === undefined) return reply(404, { error: 'no such job' });
      job.polls++;
      if (job.polls < 3) return reply(200, { state: 'pending' });
      return reply(200, { state: job.outcome, message: job.message });
    }
    if (path === '/broken') return reply(503, { error: 'deploy system down' });
    if (path === '/refuse') return reply(400, { error: 'unknown application "checkout"' });
    if (path === '/elsewhere') return reply(202, { statusUrl: 'https://169.254.169.254/latest/meta-data' });
    if (path === '/sync') return reply(200, { ok: true });
    if (path === '/hang') {
      this.hanging?.();
      return; // never answers: the caller has to give up by itself
    }

    const key = String(req.headers['idempotency-key'] ?? '');
    const existing = this.byKey.get(key);
    if (existing !== undefined) {
      return reply(202, { statusUrl: `/jobs/${existing}` }, { 'Idempotent-Replayed': 'true' });
    }
    const payload = JSON.parse(body) as WebhookPayload;
    this.performed.push(payload);
    const id = String(this.jobs.size + 1);
    const failing = path === '/rollback-fails';
    this.jobs.set(id, {
      action: payload.action,
      polls: 0,
      outcome: failing ? 'failed' : 'succeeded',
      message: failing
        ? `sync failed:\u001b[31m image not found\u001b[0m\n${'x'.repeat(500)}`
        : `synced ${payload.deployment.service} to ${payload.deployment.previousVersion}`,
    });
    this.byKey.set(key, id);
    // Absolute in the body for most; a relative Location for /rollback-location.
    if (path === '/rollback-location') return reply(202, {}, { Location: `/jobs/${id}` });
    return reply(202, { statusUrl: `${this.url}/jobs/${id}` });
  }
}

let receiver: Receiver;
let breakers: CircuitBreakers;

beforeAll(async () => {
  receiver = new Receiver();
  await receiver.start();
});
afterAll(async () => {
  breakers?.shutdown();
  await receiver?.stop();
});
beforeEach(() => {
  breakers?.shutdown();
  breakers = new CircuitBreakers({ minimumCalls: 3, resetTimeoutMs: 60_000 });
  receiver.performed = [];
  receiver.requests = 0;
  receiver.rejectedSignatures = 0;
});

function target(options: { secret?: string; allowedHosts?: string[] } = {}): WebhookTarget {
  return new WebhookTarget(
    { type: 'webhook', ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}) },
    { secrets: secrets({ DEPLOY_HMAC: options.secret ?? HMAC_SECRET }), breakers },
  );
}

function webhook(path: string): ResolvedAction {
  return {
    type: 'webhook',
    url: `${receiver.url}${path}`,
    method: 'POST',
    hmacSecret: '${secret:DEPLOY_HMAC}',
  };
}

it('sends a signed rollback once, follows the status URL until it succeeded, and sends a compensation', async () => {
  const dep = deployment();
  const step = plannedStep(dep, webhook('/rollback'), { name: 'argo-rollback' });
  const ctx = testContext(dep, PLAN_HASH);
  const worker = target();

  const applied = await worker.apply(step, ctx);
  expect(applied.applied).toBe(true);
  expect(receiver.performed).toEqual([
    {
      type: 'ripcord.step',
      action: 'rollback',
      idempotencyKey: step.idempotencyKey,
      deployment: dep,
      planHash: PLAN_HASH,
      step: { index: 0, name: 'argo-rollback' },
    },
  ]);
  expect(receiver.rejectedSignatures).toBe(0);

  const verified = await worker.verify(step, ctx);
  expect(verified).toContain('the receiver reports the rollback succeeded: synced checkout to 1.9.0');
  expect(ctx.beats.some((beat) => (beat as { polling?: string }).polling === 'rollback')).toBe(true);

  // The same worker retrying, and another worker after a crash: the receiver acts only once.
  expect((await worker.apply(step, ctx)).applied).toBe(false);
  const after = await target().apply(step, ctx);
  expect(after.applied).toBe(false);
  expect(after.detail).toContain('already acted on this key');
  expect(receiver.performed).toHaveLength(1);

  const undone = await worker.compensate(step, ctx);
  expect(undone.compensated).toBe(true);
  expect(undone.detail).toContain('compensation succeeded');
  expect(receiver.performed.map((p) => p.action)).toEqual(['rollback', 'compensate']);
  expect(receiver.performed[1]?.idempotencyKey).not.toBe(step.idempotencyKey);
});

it('follows a relative Location header as the status URL', async () => {
  const dep = deployment();
  const step = plannedStep(dep, webhook('/rollback-location'));
  const ctx = testContext(dep, PLAN_HASH);
  const worker = target();
  await worker.apply(step, ctx);
  await expect(worker.verify(step, ctx)).resolves.toContain('succeeded');
});

it('reports a failed job with the receiver message, sanitised and shortened', async () => {
  const dep = deployment();
  const step = plannedStep(dep, webhook('/rollback-fails'));
  const ctx = testContext(dep, PLAN_HASH);
  const worker = target();
  await worker.apply(step, ctx);
  const error = (await worker.verify(step, ctx).catch((e: unknown) => e)) as Error;
  expect(error).toBeInstanceOf(StepVerificationError);
  expect(error.message).toContain('reports the rollback failed: sync failed:');
  expect(error.message).toContain('image not found');
  expect([...error.message].filter((c) => c.charCodeAt(0) < 0x20)).toEqual([]);
  expect(error.message.length).toBeLessThan(400);
});

it('fails permanently when the receiver refuses the call or the signature', async () => {
  const dep = deployment();
  const ctx = testContext(dep, PLAN_HASH);
  const refused = await target()
    .apply(plannedStep(dep, webhook('/refuse')), ctx)
    .catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(PermanentStepError);
  expect((refused as Error).message).toContain('HTTP 400: {"error":"unknown application \\"checkout\\""}');

  const wrongSecret = await target({ secret: 'not-the-shared-secret' })
    .apply(plannedStep(dep, webhook('/rollback')), ctx)
    .catch((e: unknown) => e);
  expect(wrongSecret).toBeInstanceOf(PermanentStepError);
  expect((wrongSecret as Error).message).toContain('HTTP 401');
  expect((wrongSecret as Error).message).not.toContain('not-the-shared-secret');
  expect(receiver.rejectedSignatures).toBe(1);
  expect(receiver.performed).toEqual([]);
});

it('retries a failing receiver, and opens its circuit so that further calls fail fast', async () => {
  const dep = deployment();
  const ctx = testContext(dep, PLAN_HASH);
  const step = plannedStep(dep, webhook('/broken'));
  const worker = target();
  for (let attempt = 0; attempt < 3; attempt++) {
    const error = await worker.apply(step, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointUnavailableError);
    expect((error as Error).message).toContain('HTTP 503');
  }
  expect(breakers.state(receiver.url)).toBe('open');
  const requestsBefore = receiver.requests;

  // Every guardian of the worker shares the circuit: another step to the same receiver fails fast too.
  const other = plannedStep(deployment(), webhook('/rollback'));
  const error = (await worker.apply(other, ctx).catch((e: unknown) => e)) as Error;
  expect(error).toBeInstanceOf(CircuitOpenError);
  expect(error.message).toContain(receiver.url);
  expect(error).not.toBeInstanceOf(PermanentStepError);
  expect(receiver.requests).toBe(requestsBefore);
});

it('refuses hosts outside allowedHosts before sending anything, and status URLs that point elsewhere', async () => {
  const dep = deployment();
  const ctx = testContext(dep, PLAN_HASH);
  await expect(
    target({ allowedHosts: ['deploy.example.com'] }).apply(plannedStep(dep, webhook('/rollback')), ctx),
  ).rejects.toThrow(/host 127\.0\.0\.1:\d+ is not in this worker's allowedHosts/);
  expect(receiver.requests).toBe(0);

  const allowed = target({ allowedHosts: ['127.0.0.1'] });
  await expect(allowed.apply(plannedStep(dep, webhook('/elsewhere')), ctx)).rejects.toThrow(
    /pointed its status URL at https:\/\/169\.254\.169\.254/,
  );
});

it('accepts a synchronous receiver that answers 200 without a status URL', async () => {
  const dep = deployment();
  const step = plannedStep(dep, webhook('/sync'));
  const ctx = testContext(dep, PLAN_HASH);
  const worker = target();
  expect((await worker.apply(step, ctx)).detail).toContain('accepted (HTTP 200)');
  expect(await worker.verify(step, ctx)).toContain('gave no status URL');
});

it('stops waiting when the step is cancelled, without holding it against the receiver', async () => {
  const dep = deployment();
  const cancel = new AbortController();
  const ctx = { ...testContext(dep, PLAN_HASH), signal: cancel.signal };
  receiver.hanging = () => cancel.abort();
  const error = (await target()
    .apply(plannedStep(dep, webhook('/hang')), ctx)
    .catch((e: unknown) => e)) as Error;
  receiver.hanging = undefined;
  expect(error.message).toContain('cancelled');
  expect(breakers.snapshot()).toEqual([
    expect.objectContaining({ endpoint: receiver.url, state: 'closed', failures: 0 }),
  ]);
});
