import { type Command, Option } from 'commander';
import {
  findGuardian,
  startGuardian,
  type GuardianHandle,
  WorkflowExecutionAlreadyStartedError,
} from '../../client/guardians';
import { parseDurationSeconds } from '../duration';
import { exitCodeForEnd, OUTCOME_EXIT_CODES_HELP } from '../exit-codes';
import { buildGuardianInput, type GuardFlags } from '../guard-input';
import { loadPolicyForCommand } from '../policy-input';
import { followGuardian } from '../progress';
import { withSession } from '../temporal-session';

interface GuardOptions extends GuardFlags {
  policy: string;
  wait?: boolean;
  profile?: string;
  poll: number;
}

/** A start this long after the run began joined an existing guardian (a retried pipeline step). */
const JOINED_AFTER_MS = 30_000;

/** A pipeline log that says nothing for long looks hung: say the guardian is still at it. */
const QUIET_MS = 5 * 60_000;

const say = (line: string) => process.stdout.write(`${line}\n`);

export function registerGuardCommand(program: Command): void {
  program
    .command('guard')
    .description(
      'start the guardian of one deployment (from a pipeline); a retried start joins the running one',
    )
    .requiredOption(
      '--policy <file>',
      'rollback policy (YAML or JSON); its service and environment must match',
    )
    .requiredOption('--service <name>', 'service being deployed')
    .requiredOption('--env <name>', 'environment, e.g. production')
    .requiredOption('--version <version>', 'the new version')
    .requiredOption('--previous <version>', 'the version it replaces (the rollback target)')
    .requiredOption('--deployment-id <id>', 'unique id of this deployment')
    .option('--artifact <digest>', 'digest of the new artifact, sha256:<hex>')
    .option('--previous-digest <digest>', 'digest to return to on rollback, sha256:<hex>')
    .option('--deployer <who>', 'who deployed (may not approve the rollback unless the policy allows it)')
    .option(
      '--watch <duration>',
      'how long to watch before promoting (default: from the policy)',
      parseDurationSeconds,
    )
    .option('--wait', 'show progress and wait for the outcome; the exit code tells it (below)')
    .option('--profile <name|file>', 'connection profile (default: local or $RIPCORD_PROFILE)')
    .addOption(
      new Option('--poll <duration>', 'how often --wait polls the status')
        .default(2)
        .argParser(parseDurationSeconds)
        .hideHelp(),
    )
    .addHelpText('after', `\n${OUTCOME_EXIT_CODES_HELP}\n  (without --wait: 0 once the guardian runs)`)
    .action(guard);
}

async function guard(opts: GuardOptions): Promise<void> {
  const loaded = await loadPolicyForCommand(opts.policy);
  const input = buildGuardianInput(loaded, opts, new Date());
  await withSession(opts.profile, async ({ client, conn, link }) => {
    const askedAt = Date.now();
    let handle: GuardianHandle;
    try {
      handle = await startGuardian(client, conn.taskQueue, input);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // The deployment's guardian already ran to its end: report that one, never start a second.
      handle = await findGuardian(client, err.workflowId);
    }
    const described = await handle.describe();
    if (described.closeTime) {
      say(
        `guardian ${handle.workflowId} already guarded deployment ${input.deployment.deploymentId} ` +
          `and closed at ${described.closeTime.toISOString()} (${described.status.name.toLowerCase()}); nothing started`,
      );
    } else {
      const joined =
        described.startTime.getTime() < askedAt - JOINED_AFTER_MS ? '; this start joined it' : '';
      say(`guardian ${handle.workflowId} (running since ${described.startTime.toISOString()}${joined})`);
    }
    say(`Web UI   ${link(handle.workflowId)}`);
    if (!opts.wait) return;
    const end = await followGuardian(client, handle, { pollMs: opts.poll * 1000, say, quietMs: QUIET_MS });
    process.exitCode = exitCodeForEnd(end);
  });
}
