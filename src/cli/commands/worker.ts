import type { Command } from 'commander';
import { describeConnection, loadConnectionProfile } from '../../client/connection-profile';
import { createWorker } from '../../worker';
import { installRuntimeLogger } from '../../worker/runtime';
import { UserFacingError } from '../errors';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a ripcord worker: executes guardian workflows and their activities')
    .option(
      '--profile <name|file>',
      'connection profile in temporal-config/profiles (default: local or $RIPCORD_PROFILE)',
    )
    .option('--log-level <level>', 'SDK log level: TRACE, DEBUG, INFO, WARN or ERROR', 'WARN')
    .option('--state-dir <dir>', 'where ripcord keeps its files (audit trail, dry-run journal)', '.ripcord')
    .option('--dry-run', 'send every rollback step to the recording target instead of production')
    .action(async (opts: { profile?: string; logLevel: string; stateDir: string; dryRun?: boolean }) => {
      const level = opts.logLevel.toUpperCase();
      if (!['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(level)) {
        throw new UserFacingError(
          `--log-level must be TRACE, DEBUG, INFO, WARN or ERROR, got "${opts.logLevel}"`,
        );
      }
      installRuntimeLogger(level as 'WARN');
      const conn = loadConnectionProfile(opts.profile);
      let created;
      try {
        created = await createWorker({
          connection: conn,
          depsOptions: { stateDir: opts.stateDir, dryRun: opts.dryRun === true },
        });
      } catch (err) {
        throw new UserFacingError(
          `cannot start the worker on ${describeConnection(conn)}: ${(err as Error).message}`,
        );
      }
      const { worker, close } = created;
      const shutdown = () => worker.shutdown();
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
      process.stdout.write(
        `ripcord worker running on ${describeConnection(conn)}${opts.dryRun ? ' (dry run: steps are recorded, not applied)' : ''} (Ctrl-C to stop)\n`,
      );
      try {
        await worker.run();
      } finally {
        await close();
      }
    });
}
