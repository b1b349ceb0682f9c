import { type Command, InvalidArgumentError, Option } from 'commander';
import { PortInUseError } from '../../dev/ports';
import {
  type JournalSummary,
  prepareRehearsal,
  RehearsalInterrupted,
  RehearsalSetupError,
  RehearsalStartError,
  runRehearsal,
} from '../../dev/rehearse';
import { DevServerError } from '../../dev/temporal-dev-server';
import { ToolUnavailableError } from '../../dev/tools';
import { formatDuration } from '../../policy';
import { formatNumber } from '../status-format';
import { replayTimeNote } from '../../model/replay-cadence';
import { parseDurationSeconds } from '../duration';
import { EXIT, exitCodeForEnd, OUTCOME_EXIT_CODES_HELP } from '../exit-codes';
import { UserFacingError } from '../errors';
import { loadPolicyForCommand } from '../policy-input';
import { followGuardian } from '../progress';
import { DEFAULT_WEB_UI, explainTemporalError, loadProfileOrExplain } from '../temporal-session';

interface RehearseOptions {
  policy: string;
  scenario: string;
  speed?: number;
  profile?: string;
  stateDir: string;
  poll?: number;
}

const MAX_SPEED = 10_000;
/** A Temporal server fires timers about once a second: an interval cannot pass faster than that. */
const TIMER_RESOLUTION_SECONDS = 1;

const say = (line: string) => process.stdout.write(`${line}\n`);

export function parseSpeed(value: string): number {
  const speed = Number(value);
  if (!Number.isFinite(speed) || speed <= 0 || speed > MAX_SPEED) {
    throw new InvalidArgumentError(`expected a number above 0 and at most ${MAX_SPEED}, got "${value}"`);
  }
  return speed;
}

/**
 * By default one interval of the scenario passes per second: as fast as the
 * server's timers go, so the guardian's clock (which measures the rollback
 * window) keeps pace with the data it replays.
 */
export function defaultSpeed(intervalSeconds: number): number {
  return intervalSeconds / TIMER_RESOLUTION_SECONDS;
}

/** Wall-clock seconds one interval takes at this speed, never less than the timer resolution. */
export function secondsPerInterval(intervalSeconds: number, speed: number): number {
  return Math.max(TIMER_RESOLUTION_SECONDS, intervalSeconds / speed);
}

/** Poll about once per compressed interval: often enough to see each phase, never a busy loop. */
export function rehearsalPollMs(intervalSeconds: number, speed: number): number {
  return Math.round(Math.min(2_000, Math.max(200, (intervalSeconds * 1000) / speed)));
}

export function formatJournal(journal: JournalSummary): string[] {
  if (journal.steps.length === 0) return [`dry-run target: no step was applied (journal ${journal.file})`];
  const lines = [`dry-run target (journal ${journal.file}):`];
  for (const step of journal.steps) {
    const times = step.applied === 1 ? 'once' : `${step.applied} times`;
    const flag = step.applied > 1 ? '  <-- applied more than once: a bug, please report' : '';
    lines.push(
      `  step ${step.index} ${step.name}: applied ${times}${step.compensated ? ', then undone' : ''}${flag}`,
    );
  }
  return lines;
}

export function registerRehearseCommand(program: Command): void {
  program
    .command('rehearse')
    .description(
      'tabletop exercise for a policy: the real guardian on Temporal, a scenario as its health source, ' +
        'a recording dry-run target instead of production, time compressed',
    )
    .requiredOption('--policy <file>', 'rollback policy (YAML or JSON)')
    .requiredOption(
      '--scenario <file>',
      "scenario file (ripcord.scenario/v1); its interval must be the policy's",
    )
    .option(
      '--speed <n>',
      'time compression: every wait is divided by n (default: one interval per second, the finest a Temporal timer resolves)',
      parseSpeed,
    )
    .option(
      '--profile <name|file>',
      'run on this Temporal server (default: $RIPCORD_PROFILE, else an embedded dev server)',
    )
    .option(
      '--state-dir <dir>',
      'where each rehearsal keeps its dry-run journal and audit trail',
      '.ripcord/rehearsals',
    )
    .addOption(
      new Option('--poll <duration>', 'progress poll interval').argParser(parseDurationSeconds).hideHelp(),
    )
    .addHelpText('after', `\n${OUTCOME_EXIT_CODES_HELP}\n  130 interrupted (Ctrl-C)`)
    .action(rehearse);
}

async function rehearse(opts: RehearseOptions): Promise<void> {
  const loaded = await loadPolicyForCommand(opts.policy);
  let prepared;
  try {
    prepared = await prepareRehearsal(
      loaded,
      opts.scenario,
      (interval) => opts.speed ?? defaultSpeed(interval),
    );
  } catch (err) {
    if (err instanceof RehearsalSetupError) throw new UserFacingError(err.message, EXIT.usage);
    throw err;
  }
  const profile = opts.profile ?? (process.env.RIPCORD_PROFILE || undefined);
  const connection = profile === undefined ? undefined : loadProfileOrExplain(profile);
  const { scenario, watchSeconds, speed } = prepared;
  const intervals = watchSeconds / scenario.intervalSeconds;
  const perInterval = secondsPerInterval(scenario.intervalSeconds, speed);
  say(
    `rehearsing ${opts.policy} (${loaded.hash}) on scenario "${scenario.name}": ` +
      `${intervals} intervals (${formatDuration(watchSeconds)} of watch) at ${speed}x, ` +
      `at most about ${formatDuration(Math.max(1, intervals * perInterval))}`,
  );
  say(replayTimeNote(scenario.intervalSeconds, speed));
  if (scenario.intervalSeconds / speed < TIMER_RESOLUTION_SECONDS) {
    say(
      `note: at ${speed}x an interval would last ${formatNumber(scenario.intervalSeconds / speed)} s, but Temporal ` +
        "timers fire about once a second; the guardian's clock (and its rollback window) runs ahead of the data",
    );
  }

  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const report = await runRehearsal({
      prepared,
      ...(connection ? { connection: { ...connection, webUi: connection.webUi ?? DEFAULT_WEB_UI } } : {}),
      stateDir: opts.stateDir,
      say,
      signal: controller.signal,
      follow: async ({ client, handle, link, server }) => {
        say(`guardian ${handle.workflowId} on ${server}`);
        say(`Web UI   ${link}`);
        const pollMs =
          opts.poll !== undefined ? opts.poll * 1000 : rehearsalPollMs(scenario.intervalSeconds, speed);
        return followGuardian(client, handle, { pollMs, say, signal: controller.signal, quietMs: 15_000 });
      },
    });
    for (const line of formatJournal(report.journal)) say(line);
    say(`audit trail: ${report.auditFile}`);
    // Only an interrupt leaves no end, and an interrupt throws before this line.
    if (report.value) process.exitCode = exitCodeForEnd(report.value);
  } catch (err) {
    if (err instanceof RehearsalInterrupted) {
      throw new UserFacingError(
        'rehearsal interrupted: the guardian was terminated and everything started was stopped',
        EXIT.interrupted,
      );
    }
    if (
      err instanceof PortInUseError ||
      err instanceof ToolUnavailableError ||
      err instanceof DevServerError
    ) {
      throw new UserFacingError(err.message, EXIT.refusedOrFailed);
    }
    if (err instanceof RehearsalStartError) throw new UserFacingError(err.message, EXIT.refusedOrFailed);
    throw explainTemporalError(err);
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}
