import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A server that takes its time: an HTTP proxy in front of a real service
 * (Unleash) that holds the requests `slow` picks for a few seconds before
 * passing them on, as a server under load does. A held request is passed on
 * even when its caller has gone meanwhile — the server had received it — so a
 * caller killed mid-request still has its effect, and whatever replaces it
 * must not have it a second time.
 */
export interface SlowProxy {
  url: string;
  /** Requests picked by `slow` so far: received, and whether they were passed on yet. */
  held(): Array<{ method: string; path: string; forwarded: boolean }>;
  stop(): Promise<void>;
}

export async function startSlowProxy(options: {
  upstream: string;
  holdMs: number;
  slow: (req: IncomingMessage) => boolean;
}): Promise<SlowProxy> {
  const upstream = new URL(options.upstream);
  const held: Array<{ method: string; path: string; forwarded: boolean }> = [];
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const forward = () => {
        const out = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: upstream.host },
          },
          (answer) => {
            if (res.destroyed) {
              answer.resume();
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        out.on('error', () => {
          if (!res.destroyed) res.writeHead(502).end();
        });
        out.end(Buffer.concat(chunks));
      };
      if (!options.slow(req)) return forward();
      const entry = { method: req.method ?? '', path: req.url ?? '', forwarded: false };
      held.push(entry);
      const timer = setTimeout(() => {
        timers.delete(timer);
        entry.forwarded = true;
        forward();
      }, options.holdMs);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held.map((h) => ({ ...h })),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
