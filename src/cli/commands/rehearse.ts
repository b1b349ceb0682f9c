import { PortInUseError } from '../../dev/ports';
import {
  type JournalSummary,
  RehearsalInterrupted,
  RehearsalStartError,
  runRehearsal,
} from '../../dev/rehearse';
import { prepareRehearsal, RehearsalSetupError } from '../../rehearsal/prepare';
import { DevServerError } from '../../dev/temporal-dev-server';
import { ToolUnavailableError } from '../../dev/tools';
import { formatDuration } from '../../policy';
import { formatNumber } from '../../text/numbers';
import { replayTimeNote } from '../../model/replay-cadence';
import { EXIT, exitCodeForEnd } from '../exit-codes';
import { UserFacingError } from '../errors';
import { loadPolicyForCommand } from '../policy-input';
import { defaultSpeed, rehearsalPollMs, secondsPerInterval, TIMER_RESOLUTION_SECONDS } from '../speed';
import { followGuardian } from '../../client/progress';
import { DEFAULT_WEB_UI, explainTemporalError, loadProfileOrExplain } from '../temporal-session';

export interface RehearseOptions {
  policy: string;
  scenario: string;
  speed?: number;
  profile?: string;
  stateDir: string;
  poll?: number;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

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

/** `ripcord rehearse`: one rehearsal, start to end; the exit code tells how it ended. */
export async function rehearse(opts: RehearseOptions): Promise<void> {
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
