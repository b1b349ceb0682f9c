import { Connection } from '@temporalio/client';
import { findFreePort } from '../../src/dev/ports';
import { type DevServer, startDevServer } from '../../src/dev/temporal-dev-server';
import { waitUntil } from './chaos-poll';

/**
 * A Temporal dev server of the chaos tier's own: fixed ports chosen once, so a
 * restart comes back at the same address, and (with `dbFile`) SQLite
 * persistence, so workflows survive the restart. `kill()` is SIGKILL, the way
 * an OOM killer or a lost host ends it: no shutdown, no flush.
 */
export class ChaosTemporal {
  private server: DevServer | undefined;

  private constructor(
    readonly port: number,
    readonly uiPort: number,
    readonly dbFile: string | undefined,
  ) {}

  static async start(options: { dbFile?: string } = {}): Promise<ChaosTemporal> {
    const temporal = new ChaosTemporal(await findFreePort(), await findFreePort(), options.dbFile);
    await temporal.restart();
    return temporal;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts the server again on the same ports and database file (after kill or stop). */
  async restart(): Promise<void> {
    if (this.server !== undefined) throw new Error('the dev server is still running');
    // The killed server's ports are released by the kernel at once; a restart that races a slow
    // release is retried rather than failed.
    this.server = await waitUntil(
      `the dev server to start on ${this.address}`,
      () =>
        startDevServer({
          port: this.port,
          uiPort: this.uiPort,
          ...(this.dbFile ? { dbFile: this.dbFile } : {}),
          readyTimeoutMs: 120_000,
        }),
      { timeoutMs: 180_000, intervalMs: 1_000 },
    );
  }

  /** SIGKILL, then waits until the process is gone. */
  async kill(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    process.kill(server.pid, 'SIGKILL');
    await server.exited;
    this.server = undefined;
  }

  /** Whether the frontend answers at all (used to see that a kill really took it down). */
  async answers(): Promise<boolean> {
    try {
      const connection = await Connection.connect({ address: this.address, connectTimeout: 1_000 });
      await connection.close();
      return true;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }
}
