import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  IDEMPOTENCY_HEADER,
  REPLAYED_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
  type WebhookPayload,
} from '../../targets/webhook';

/**
 * The demo's stand-in for a team's deploy system (Argo CD, Spinnaker, a CI
 * job): it receives ripcord's signed webhook steps and notifications, checks
 * every signature, acts once per Idempotency-Key, and reports each job on a
 * status URL that ripcord polls. It behaves as a real receiver must, so the
 * demo exercises the webhook target end to end.
 */

export interface ReceivedJob {
  id: string;
  idempotencyKey: string;
  action: WebhookPayload['action'];
  step: string;
  deploymentId: string;
  /** Deliveries of the same key (a retried step): the job still ran once. */
  deliveries: number;
}

export interface DeploySystem {
  url: string;
  hookUrl: string;
  notifyUrl: string;
  jobs(): ReceivedJob[];
  notifications(): Array<{ event: string; at: string }>;
  /** Requests refused for a bad or missing signature. */
  refused(): number;
  stop(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
/** How long a job stays "running" before it succeeds: long enough for a status poll to see it. */
const JOB_RUNS_MS = 800;

export async function startDeploySystem(options: { secret: string; port?: number }): Promise<DeploySystem> {
  const jobs = new Map<string, ReceivedJob & { doneAt: number }>();
  const byKey = new Map<string, string>();
  const notifications: Array<{ event: string; at: string }> = [];
  let refused = 0;

  const signed = (req: IncomingMessage, body: string) =>
    verifyWebhookSignature(
      options.secret,
      String(req.headers[TIMESTAMP_HEADER.toLowerCase()] ?? ''),
      body,
      req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined,
    );
  const answer = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (!signed(req, body)) {
        refused += 1;
        answer(res, 401, { error: 'bad or missing signature' });
        return;
      }
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method === 'POST' && path === '/hooks') return hook(req, res, body);
      if (req.method === 'POST' && path === '/notify') {
        const event = (JSON.parse(body) as { event?: string }).event ?? 'unknown';
        notifications.push({ event, at: new Date().toISOString() });
        return answer(res, 204, {});
      }
      const job = /^\/jobs\/([\w-]+)$/.exec(path);
      if (req.method === 'GET' && job?.[1] !== undefined) {
        const found = jobs.get(job[1]);
        if (!found) return answer(res, 404, { error: 'no such job' });
        const done = Date.now() >= found.doneAt;
        return answer(res, 200, {
          state: done ? 'succeeded' : 'running',
          message: `${found.action} of ${found.deploymentId} (${found.step})${done ? ' finished' : ''}`,
        });
      }
      answer(res, 404, { error: 'not found' });
    });
  });

  const hook = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const key = String(req.headers[IDEMPOTENCY_HEADER.toLowerCase()] ?? '');
    let payload: WebhookPayload;
    try {
      payload = JSON.parse(body) as WebhookPayload;
    } catch {
      return answer(res, 400, { error: 'body is not JSON' });
    }
    if (key === '' || key !== payload.idempotencyKey)
      return answer(res, 400, { error: 'Idempotency-Key missing' });
    const known = byKey.get(key);
    if (known !== undefined) {
      const job = jobs.get(known)!;
      job.deliveries += 1;
      return answer(res, 200, { statusUrl: `${url}/jobs/${job.id}` }, { [REPLAYED_HEADER]: 'true' });
    }
    const id = randomUUID();
    jobs.set(id, {
      id,
      idempotencyKey: key,
      action: payload.action,
      step: payload.step.name,
      deploymentId: payload.deployment.deploymentId,
      deliveries: 1,
      doneAt: Date.now() + JOB_RUNS_MS,
    });
    byKey.set(key, id);
    answer(res, 202, { statusUrl: `${url}/jobs/${id}` });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hookUrl: `${url}/hooks`,
    notifyUrl: `${url}/notify`,
    jobs: () => [...jobs.values()].map(({ doneAt: _doneAt, ...job }) => job),
    notifications: () => [...notifications],
    refused: () => refused,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
