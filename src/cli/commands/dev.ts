import type { Command } from 'commander';
import { DevServerError, startDevServer } from '../../dev/temporal-dev-server';
import { PortInUseError } from '../../dev/ports';
import { ToolUnavailableError } from '../../dev/tools';
import { UserFacingError } from '../errors';
import { parsePort } from '../options';

export function registerDevCommands(program: Command): void {
  const dev = program.command('dev').description('the embedded local stack');

  dev
    .command('server')
    .description('run the Temporal dev server with the Web UI and ripcord search attributes (foreground)')
    .option('--port <port>', 'gRPC port', parsePort, 7233)
    .option('--ui-port <port>', 'Web UI port', parsePort, 8233)
    .option('--db <file>', 'SQLite file that keeps workflows across restarts', '.ripcord/temporal.db')
    .option('--ip <address>', 'address to bind', '127.0.0.1')
    .action(async (opts: { port: number; uiPort: number; db: string; ip: string }) => {
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
    });
}
