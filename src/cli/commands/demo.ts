import { type Command, Option } from 'commander';
import { DEMO_STORIES, type DemoStory, runDemo } from '../../dev/demo';
import { DevServerError } from '../../dev/temporal-dev-server';
import { PortInUseError } from '../../dev/ports';
import { RehearsalInterrupted, RehearsalStartError } from '../../dev/rehearse';
import { ToolUnavailableError } from '../../dev/tools';
import { describeEnd } from '../progress';
import { UserFacingError } from '../errors';
import { parsePort } from '../options';
import { formatJournal } from './rehearse';

interface DemoOptions {
  story: DemoStory;
  port: number;
  uiPort: number;
  db: string;
  stateDir: string;
  exit?: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'the whole story on the embedded local stack (Temporal dev server, Web UI, worker, guardian)',
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
    .option('--state-dir <dir>', 'where the demo keeps its dry-run journal and audit trail', '.ripcord/demo')
    .option('--exit', 'stop the stack when the story ends instead of keeping the Web UI up')
    .addHelpText(
      'after',
      '\nExit code 0 when the story ends as it should (bad-canary: rolled back; healthy: promoted).',
    )
    .action(async (opts: DemoOptions) => {
      const say = (line: string) => process.stdout.write(`${line}\n`);
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const report = await runDemo({
          story: opts.story,
          port: opts.port,
          uiPort: opts.uiPort,
          dbFile: opts.db,
          stateDir: opts.stateDir,
          keepRunning: !opts.exit,
          say,
          signal: controller.signal,
        });
        for (const line of formatJournal(report.journal)) say(line);
        say(`audit trail: ${report.auditFile}`);
        if (report.end) say(describeEnd(report.end));
        const asExpected = report.end?.kind === 'outcome' && report.end.outcome === report.expected;
        if (!asExpected && !controller.signal.aborted) {
          throw new UserFacingError(`the story should have ended ${report.expected}`);
        }
      } catch (err) {
        if (err instanceof RehearsalInterrupted)
          throw new UserFacingError('demo interrupted; everything started was stopped', 130);
        if (
          err instanceof PortInUseError ||
          err instanceof ToolUnavailableError ||
          err instanceof DevServerError ||
          err instanceof RehearsalStartError
        ) {
          throw new UserFacingError(err.message);
        }
        throw err;
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
      }
    });
}
