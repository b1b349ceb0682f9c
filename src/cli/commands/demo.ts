import type { Command } from 'commander';
import { runDemo } from '../../dev/demo';
import { DevServerError } from '../../dev/temporal-dev-server';
import { PortInUseError } from '../../dev/ports';
import { ToolUnavailableError } from '../../dev/tools';
import { UserFacingError } from '../errors';
import { parseDurationSeconds } from '../duration';
import { parsePort } from '../options';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'the whole story on the embedded local stack (Temporal dev server, Web UI, worker, guardian)',
    )
    .option('--port <port>', 'gRPC port of the embedded dev server', parsePort, 7233)
    .option('--ui-port <port>', 'Web UI port', parsePort, 8233)
    .option('--db <file>', 'SQLite file of the demo stack', '.ripcord/demo.db')
    .option('--watch <duration>', 'how long the guardian watches', parseDurationSeconds, 20)
    .option('--interval <duration>', 'evaluation interval', parseDurationSeconds, 5)
    .option('--exit', 'stop the stack when the story ends instead of keeping the Web UI up')
    .action(
      async (opts: {
        port: number;
        uiPort: number;
        db: string;
        watch: number;
        interval: number;
        exit?: boolean;
      }) => {
        let requestStop: () => void = () => undefined;
        const stopRequested = new Promise<void>((r) => (requestStop = r));
        process.once('SIGINT', () => requestStop());
        process.once('SIGTERM', () => requestStop());
        try {
          const outcome = await runDemo({
            port: opts.port,
            uiPort: opts.uiPort,
            dbFile: opts.db,
            watchSeconds: opts.watch,
            intervalSeconds: opts.interval,
            keepRunning: !opts.exit,
            say: (line) => process.stdout.write(`${line}\n`),
            stopRequested,
          });
          process.exitCode = outcome === 'promoted' ? 0 : 3;
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
      },
    );
}
