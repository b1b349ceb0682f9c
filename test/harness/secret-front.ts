import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny HTTP front for a test: every request is offered to `intercept`,
 * which may answer it itself (an auth check that refuses, a fault); what it
 * leaves alone is forwarded to `upstream` and the answer passed back. It
 * stands for the reverse proxy that guards a real Prometheus, or for a flaky
 * network in front of a deploy system.
 */

export interface FrontRequest {
  method: string;
  /** Path and query string, as received. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** 1 for the first request this front received. */
  n: number;
}

export interface FrontAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface Front {
  url: string;
  /** host:port, as an allowed-hosts list names it. */
  address: string;
  /** Requests received so far, answered or forwarded. */
  received(): number;
  stop(): Promise<void>;
}

// Hop-by-hop headers, and those that fetch has already acted on (it decompresses the body).
const NOT_FORWARDED = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
  'authorization',
]);

export async function startFront(options: {
  upstream: string;
  intercept: (request: FrontRequest) => FrontAnswer | undefined;
}): Promise<Front> {
  let count = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      count += 1;
      const request: FrontRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        n: count,
      };
      const answer = options.intercept(request);
      const reply = (a: FrontAnswer) => {
        res.writeHead(a.status, a.headers);
        res.end(a.body);
      };
      if (answer) return reply(answer);
      forward(options.upstream, request).then(reply, (error: Error) =>
        reply({ status: 502, body: `front: upstream failed (${error.message})` }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    received: () => count,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function forward(upstream: string, request: FrontRequest): Promise<FrontAnswer> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !NOT_FORWARDED.has(name)) headers[name] = String(value);
  }
  const response = await fetch(new URL(request.path, upstream), {
    method: request.method,
    headers,
    ...(request.method === 'GET' || request.method === 'HEAD' ? {} : { body: request.body }),
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  const answerHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!NOT_FORWARDED.has(name)) answerHeaders[name] = value;
  });
  return { status: response.status, headers: answerHeaders, body: await response.text() };
}
