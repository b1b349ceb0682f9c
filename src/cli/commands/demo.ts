import { createBoard, DemoInterrupted, type DemoReport, type DemoStoryName, runDemo } from '../../dev/demo';
import { type ReleaseDemoReport, ReleaseDemoInterrupted, runReleaseDemo } from '../../dev/demo/release';
import { isReleaseStoryName, type ReleaseStoryName } from '../../dev/demo/stories';
import { NginxStartError } from '../../dev/nginx';
import { PrometheusError } from '../../dev/prometheus';
import { DevServerError } from '../../dev/temporal-dev-server';
import { PortInUseError } from '../../dev/ports';
import { ToolUnavailableError } from '../../dev/tools';
import { describeEnd } from '../../client/progress';
import { UserFacingError } from '../errors';

/** Without a terminal, the live status is printed this often. */
const STATUS_EVERY_MS = 5_000;

export interface DemoOptions {
  story: DemoStoryName | ReleaseStoryName;
  port: number;
  uiPort: number;
  db: string;
  stateDir: string;
  keepRunning?: boolean;
  encryption: boolean;
}

/** `ripcord demo`: tells one story on the embedded stack; with --keep-running, waits for Ctrl-C after it. */
export async function demo(opts: DemoOptions): Promise<void> {
  // In a terminal the live status line is redrawn in place; in a log it is a line every few seconds.
  const board = createBoard({
    write: (text) => process.stdout.write(text),
    tty: process.stdout.isTTY === true,
    columns: () => process.stdout.columns,
    everyMs: STATUS_EVERY_MS,
    prefix: () => `[${new Date().toISOString().slice(11, 19)}] `,
  });
  const say = (line: string) => board.say(line);
  const controller = new AbortController();
  // A terminal's Ctrl-C reaches every process of the group and `npm run` forwards its own copy,
  // so one Ctrl-C can arrive twice: the second must not kill the demo halfway through stopping
  // (exit 130, processes left behind). A third signal (Ctrl-C again) forces the exit.
  let signals = 0;
  const stop = () => {
    signals += 1;
    if (signals >= 3) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // The story's end: the timeline, what the stack looks like, the outcome. With --keep-running it
  // is told as soon as the story ends, before the wait for Ctrl-C.
  let told = false;
  const tell = (report: DemoReport) => {
    told = true;
    tellTimeline(board, say, report);
    say(`audit trail:    ${report.auditFile}`);
    if (report.end) say(describeEnd(report.end));
  };
  try {
    if (isReleaseStoryName(opts.story)) {
      await releaseDemo(opts, opts.story, { say, board, signal: controller.signal });
      return;
    }
    const report = await runDemo({
      story: opts.story,
      port: opts.port,
      uiPort: opts.uiPort,
      dbFile: opts.db,
      stateDir: opts.stateDir,
      keepRunning: opts.keepRunning === true,
      encryption: opts.encryption,
      say,
      status: (line) => board.status(line),
      signal: controller.signal,
      onStoryEnd: tell,
    });
    board.close();
    if (!told) tell(report);
    else {
      // Ctrl-C ended the wait: the last line still says how the story ended.
      say('');
      say('the stack is stopped');
      if (report.end) say(describeEnd(report.end));
    }
    const asExpected = report.end?.kind === 'outcome' && report.end.outcome === report.expected;
    if (!asExpected && !controller.signal.aborted) {
      throw new UserFacingError(`the story should have ended ${report.expected}`);
    }
  } catch (err) {
    if (err instanceof DemoInterrupted || err instanceof ReleaseDemoInterrupted)
      throw new UserFacingError('demo interrupted; everything started was stopped', 130);
    if (
      err instanceof PortInUseError ||
      err instanceof ToolUnavailableError ||
      err instanceof DevServerError ||
      err instanceof NginxStartError ||
      err instanceof PrometheusError
    ) {
      throw new UserFacingError(err.message);
    }
    throw err;
  } finally {
    board.close();
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}

/** The end of every story: the live board closes, then the timeline and what the stack looks like. */
function tellTimeline(
  board: ReturnType<typeof createBoard>,
  say: (line: string) => void,
  report: { timeline: readonly string[]; facts: readonly string[] },
): void {
  board.close();
  say('');
  say('timeline:');
  for (const line of report.timeline) say(line);
  say('');
  for (const line of report.facts) say(line);
}

/**
 * The release stories: the same stack and board, one release instead of one
 * guardian. The end says what the release rolled back, kept and promoted, how
 * long the story took, and, last, the release's Web UI link (its members are
 * its children there).
 */
async function releaseDemo(
  opts: DemoOptions,
  story: ReleaseStoryName,
  io: { say: (line: string) => void; board: ReturnType<typeof createBoard>; signal: AbortSignal },
): Promise<void> {
  const { say, board, signal } = io;
  let told = false;
  const ending = (report: ReleaseDemoReport) => {
    const result = report.result;
    if (result === undefined) return [`release ${report.releaseId}: no result`];
    const members = Object.entries(result.members)
      .map(([service, outcome]) => `${service} ${outcome}`)
      .join(', ');
    return [
      `release ${report.releaseId}: ${result.outcome}: ${result.reason}`,
      `rolled back: ${result.rolledBack.length > 0 ? result.rolledBack.join(', then ') : 'nothing'}; members: ${members}`,
    ];
  };
  const tell = (report: ReleaseDemoReport) => {
    told = true;
    tellTimeline(board, say, report);
    say(`audit trail:      ${report.auditFile}`);
    for (const line of ending(report)) say(line);
    say(`story "${report.story}" took ${report.seconds.toFixed(0)} s`);
    say(`the release in the Web UI: ${report.link}`);
  };
  const report = await runReleaseDemo({
    story,
    port: opts.port,
    uiPort: opts.uiPort,
    dbFile: opts.db,
    stateDir: opts.stateDir,
    keepRunning: opts.keepRunning === true,
    encryption: opts.encryption,
    say,
    status: (line) => board.status(line),
    signal,
    onStoryEnd: tell,
  });
  board.close();
  if (!told) tell(report);
  else {
    say('');
    say('the stack is stopped');
    for (const line of ending(report)) say(line);
  }
  if (report.problems.length > 0 && !signal.aborted) {
    throw new UserFacingError(`the story did not end as it should: ${report.problems.join('; ')}`);
  }
}
