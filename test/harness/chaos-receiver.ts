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
} from '../../src/targets/webhook';

/**
 * A deploy system for the chaos tier: it receives ripcord's signed webhook
 * steps and notifications and keeps count of everything a person would check
 * afterwards — how often each Idempotency-Key was delivered, and how often the
 * system *acted* on it (must be once). Its behaviour can be changed while a
 * test runs: answer, fail with 503, or hang (a timeout for the caller); and a
 * job can take seconds to finish, so that a step is still following its status
 * URL when its worker is killed.
 */

export type HookMode = 'ok' | 'error' | 'hang';

export interface ChaosJob {
  id: string;
  key: string;
  action: WebhookPayload['action'];
  step: string;
  deploymentId: string;
  /** Deliveries of this key (a retried step): more than one is fine. */
  deliveries: number;
  /** Times the deploy system acted on this key: must be exactly one. */
  acted: number;
  doneAt: number;
}

export interface HookCall {
  at: number;
  key: string;
  action: string;
  answered: 'accepted' | 'replayed' | 'error' | 'hung';
}

export interface ChaosReceiver {
  url: string;
  hookUrl: string;
  notifyUrl: string;
  /** How POST /hooks answers from now on. */
  setHookMode(mode: HookMode): void;
  /** How the next POSTs to /hooks answer, one mode per call; after them, the mode set last. */
  scriptHookModes(modes: HookMode[]): void;
  /** How long a job runs before its status URL says succeeded (from now on). */
  setJobSeconds(seconds: number): void;
  jobs(): ChaosJob[];
  hookCalls(): HookCall[];
  /** GETs of status URLs so far. */
  statusPolls(): number;
  notifications(): Array<{ event: string; deploymentId: string; message: string }>;
  /** Requests refused for a bad or missing signature: must stay 0. */
  refused(): number;
  stop(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

export async function startChaosReceiver(options: {
  secret: string;
  jobSeconds?: number;
}): Promise<ChaosReceiver> {
  let mode: HookMode = 'ok';
  let script: HookMode[] = [];
  let jobMs = (options.jobSeconds ?? 0.5) * 1000;
  const jobs = new Map<string, ChaosJob>();
  const byKey = new Map<string, string>();
  const calls: HookCall[] = [];
  const notifications: Array<{ event: string; deploymentId: string; message: string }> = [];
  const hanging = new Set<ServerResponse>();
  let polls = 0;
  let refused = 0;

  const answer = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

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
    const call: HookCall = { at: Date.now(), key, action: payload.action, answered: 'accepted' };
    calls.push(call);
    const now = script.shift() ?? mode;
    if (now === 'error') {
      call.answered = 'error';
      return answer(res, 503, { error: 'deploy system unavailable' });
    }
    if (now === 'hang') {
      call.answered = 'hung';
      hanging.add(res);
      res.once('close', () => hanging.delete(res));
      return;
    }
    const known = byKey.get(key);
    if (known !== undefined) {
      const job = jobs.get(known)!;
      job.deliveries += 1;
      call.answered = 'replayed';
      return answer(res, 200, { statusUrl: `${url}/jobs/${job.id}` }, { [REPLAYED_HEADER]: 'true' });
    }
    const id = randomUUID();
    jobs.set(id, {
      id,
      key,
      action: payload.action,
      step: payload.step.name,
      deploymentId: payload.deployment.deploymentId,
      deliveries: 1,
      acted: 1,
      doneAt: Date.now() + jobMs,
    });
    byKey.set(key, id);
    answer(res, 202, { statusUrl: `${url}/jobs/${id}` });
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
      const signed = verifyWebhookSignature(
        options.secret,
        String(req.headers[TIMESTAMP_HEADER.toLowerCase()] ?? ''),
        body,
        req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined,
      );
      if (!signed) {
        refused += 1;
        return answer(res, 401, { error: 'bad or missing signature' });
      }
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method === 'POST' && path === '/hooks') return hook(req, res, body);
      if (req.method === 'POST' && path === '/notify') {
        const note = JSON.parse(body) as {
          event?: string;
          message?: string;
          deployment?: { deploymentId?: string };
        };
        notifications.push({
          event: note.event ?? 'unknown',
          deploymentId: note.deployment?.deploymentId ?? '',
          message: note.message ?? '',
        });
        return answer(res, 204, {});
      }
      const job = /^\/jobs\/([\w-]+)$/.exec(path);
      if (req.method === 'GET' && job?.[1] !== undefined) {
        polls += 1;
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

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hookUrl: `${url}/hooks`,
    notifyUrl: `${url}/notify`,
    setHookMode: (next) => {
      mode = next;
      if (next !== 'hang') {
        for (const res of hanging) res.destroy();
        hanging.clear();
      }
    },
    scriptHookModes: (modes) => (script = [...modes]),
    setJobSeconds: (seconds) => (jobMs = seconds * 1000),
    jobs: () => [...jobs.values()].map((j) => ({ ...j })),
    hookCalls: () => calls.map((c) => ({ ...c })),
    statusPolls: () => polls,
    notifications: () => notifications.map((n) => ({ ...n })),
    refused: () => refused,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
