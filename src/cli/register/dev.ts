import type { Command } from 'commander';
import type * as Dev from '../commands/dev';
import { parsePort } from '../options';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const devCommand = (): typeof Dev => require('../commands/dev');

export function registerDevCommands(program: Command): void {
  const dev = program.command('dev').description('the embedded local stack');

  dev
    .command('server')
    .description('run the Temporal dev server with the Web UI and ripcord search attributes (foreground)')
    .option('--port <port>', 'gRPC port', parsePort, 7233)
    .option('--ui-port <port>', 'Web UI port', parsePort, 8233)
    .option('--db <file>', 'SQLite file that keeps workflows across restarts', '.ripcord/temporal.db')
    .option('--ip <address>', 'address to bind', '127.0.0.1')
    .action(async (opts: Dev.DevServerOptions) => devCommand().devServer(opts));
}
