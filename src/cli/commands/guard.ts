import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { connectClient } from '../../client/connect';
import { describeConnection, loadConnectionProfile } from '../../client/connection-profile';
import { startGuardian } from '../../client/guardians';
import { UserFacingError } from '../errors';
import { parseDurationSeconds } from '../duration';

interface GuardOptions {
  service: string;
  environment: string;
  version: string;
  deploymentId: string;
  watch: number;
  interval: number;
  wait?: boolean;
  profile?: string;
}

export function registerGuardCommand(program: Command): void {
  program
    .command('guard')
    .description('start the guardian of one deployment (from a pipeline)')
    .requiredOption('--service <name>', 'service being deployed')
    .requiredOption('--environment <name>', 'environment, e.g. production')
    .requiredOption('--version <version>', 'the new version')
    .requiredOption('--deployment-id <id>', 'unique id of this deployment')
    .option('--watch <duration>', 'how long to watch before promoting', parseDurationSeconds, 600)
    .option('--interval <duration>', 'how often to evaluate health', parseDurationSeconds, 30)
    .option('--wait', 'wait for the outcome; exit 0 when promoted, 3 otherwise')
    .option('--profile <name|file>', 'connection profile (default: local or $RIPCORD_PROFILE)')
    .action(async (opts: GuardOptions) => {
      const conn = loadConnectionProfile(opts.profile);
      const client = await connectClient(conn).catch((err: Error) => {
        throw new UserFacingError(`cannot reach Temporal at ${describeConnection(conn)}: ${err.message}`);
      });
      try {
        const handle = await startGuardian(client, conn.taskQueue, {
          service: opts.service,
          environment: opts.environment,
          version: opts.version,
          deploymentId: opts.deploymentId,
          watchSeconds: opts.watch,
          intervalSeconds: opts.interval,
        }).catch((err: unknown) => {
          if (err instanceof WorkflowExecutionAlreadyStartedError) {
            throw new UserFacingError(
              `deployment ${opts.deploymentId} is already guarded (${err.workflowId})`,
            );
          }
          throw err;
        });
        process.stdout.write(`guardian started: ${handle.workflowId}\n`);
        if (opts.wait) {
          const result = await handle.result();
          process.stdout.write(`outcome: ${result.outcome}\n`);
          process.exitCode = result.outcome === 'promoted' ? 0 : 3;
        }
      } finally {
        await client.connection.close();
      }
    });
}
