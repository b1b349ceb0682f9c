import { DevServerError, startDevServer } from '../../dev/temporal-dev-server';
import { PortInUseError } from '../../dev/ports';
import { ToolUnavailableError } from '../../dev/tools';
import { UserFacingError } from '../errors';

export interface DevServerOptions {
  port: number;
  uiPort: number;
  db: string;
  ip: string;
}

/** `ripcord dev server`: runs in the foreground until Ctrl-C. */
export async function devServer(opts: DevServerOptions): Promise<void> {
  let server;
  try {
    server = await startDevServer({ port: opts.port, uiPort: opts.uiPort, dbFile: opts.db, ip: opts.ip });
  } catch (err) {
    if (
      err instanceof PortInUseError ||
      err instanceof ToolUnavailableError ||
      err instanceof DevServerError
    ) {
      throw new UserFacingError(err.message);
    }
    throw err;
  }
  process.stdout.write(
    `ripcord dev server ready: gRPC ${server.address}  Web UI ${server.uiUrl}  db ${opts.db} (Ctrl-C to stop)\n`,
  );
  const running = server;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`ripcord: ${signal} received, stopping the dev server…\n`);
    void running.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await running.exited;
  if (!stopping) throw new UserFacingError(`the dev server exited unexpectedly (code ${code})`);
}
