import { type Command, Option } from 'commander';
import {
  createBoard,
  DEMO_STORIES,
  DemoInterrupted,
  type DemoReport,
  type DemoStoryName,
  runDemo,
} from '../../dev/demo';
import { NginxStartError } from '../../dev/nginx';
import { PrometheusError } from '../../dev/prometheus';
import { DevServerError } from '../../dev/temporal-dev-server';
import { PortInUseError } from '../../dev/ports';
import { ToolUnavailableError } from '../../dev/tools';
import { describeEnd } from '../progress';
import { UserFacingError } from '../errors';
import { parsePort } from '../options';

/** Without a terminal, the live status is printed this often. */
const STATUS_EVERY_MS = 5_000;

interface DemoOptions {
  story: DemoStoryName;
  port: number;
  uiPort: number;
  db: string;
  stateDir: string;
  keepRunning?: boolean;
  encryption: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'the whole story on the embedded local stack: Temporal + Web UI, Prometheus, nginx, two versions of a service under load, the worker and one guardian',
    )
    .addOption(
      new Option('--story <story>', 'which story to tell')
        .choices(Object.keys(DEMO_STORIES))
        .default('bad-canary'),
    )
    .option('--port <port>', 'gRPC port of the embedded dev server', parsePort, 7233)
    .option('--ui-port <port>', 'Web UI port', parsePort, 8233)
    .option(
      '--db <file>',
      'SQLite file of the demo stack (guardians stay visible across runs)',
      '.ripcord/demo.db',
    )
    .option(
      '--state-dir <dir>',
      'where each demo run keeps its files (fleet, nginx, keys, audit trail)',
      '.ripcord/demo',
    )
    .option('--keep-running', 'keep the stack up after the story ends, for the Web UI, until Ctrl-C')
    .option(
      '--no-encryption',
      'keep payloads in plain JSON (default: encrypted with a fresh key per run, decoded in the Web UI through a local codec server)',
    )
    .addHelpText(
      'after',
      '\nStories: ' +
        Object.entries(DEMO_STORIES)
          .map(([name, story]) => `\n  ${name.padEnd(11)} ${story.summary}`)
          .join('') +
        '\n\nIn a terminal a live status line (phase, verdict, counts, a bar for the current wait) is redrawn\n' +
        'in place; in a log it is printed every 5 seconds.\n' +
        '\nExit code 0 when the story ends as it should (rolled back, or promoted). The guardians stay in\n' +
        'the demo database: `npx ripcord dev server --db .ripcord/demo.db` shows them in the Web UI later.',
    )
    .action(async (opts: DemoOptions) => {
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
        board.close();
        say('');
        say('timeline:');
        for (const line of report.timeline) say(line);
        say('');
        for (const line of report.facts) say(line);
        say(`audit trail:    ${report.auditFile}`);
        if (report.end) say(describeEnd(report.end));
      };
      try {
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
        if (err instanceof DemoInterrupted)
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
    });
}
