import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** How the receiver answers the n-th request (1-based): a status, or `hang` to never answer. */
export type Answer = (n: number, request: Received) => number | 'hang';

/** A local HTTP receiver that keeps every request and answers as told. */
export class Receiver {
  readonly received: Received[] = [];
  private server?: http.Server;
  private answer: Answer = () => 200;

  static async start(answer?: Answer): Promise<Receiver> {
    const receiver = new Receiver();
    if (answer) receiver.answer = answer;
    const server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const request = { path: req.url ?? '/', headers: req.headers, body };
        receiver.received.push(request);
        const status = receiver.answer(receiver.received.length, request);
        if (status === 'hang') return; // never answers; the socket stays open
        res.writeHead(status, { 'Content-Type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver.server = server;
    return receiver;
  }

  url(path: string): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}${path}`;
  }

  on(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  json<T = Record<string, unknown>>(path: string): T[] {
    return this.on(path).map((r) => JSON.parse(r.body) as T);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
