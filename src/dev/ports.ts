import { createServer } from 'node:net';

export class PortInUseError extends Error {}

/** Resolves when `port` can be bound on `host`; rejects with a plain message when it cannot. */
export function assertPortFree(port: number, host: string, what: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new PortInUseError(
          err.code === 'EADDRINUSE'
            ? `${what} port ${port} on ${host} is already in use (another dev server?); choose another port`
            : `${what} port ${port} on ${host} cannot be used: ${err.code ?? err.message}`,
        ),
      );
    });
    server.listen(port, host, () => server.close(() => resolvePromise()));
  });
}

/** A port that was free a moment ago (for tests and ephemeral stacks). */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}
