import { type Command, Option } from 'commander';
import type * as Demo from '../commands/demo';
import { allStories } from '../../dev/demo/stories';
import { parsePort } from '../options';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const demoCommand = (): typeof Demo => require('../commands/demo');

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'the whole story on the embedded local stack: Temporal + Web UI, Prometheus, nginx, two versions of a service under load, the worker and one guardian (the release stories: a release of two services and its guardians)',
    )
    .addOption(
      new Option('--story <story>', 'which story to tell')
        .choices(allStories().map(([name]) => name))
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
        allStories()
          .map(([name, summary]) => `\n  ${name.padEnd(14)} ${summary}`)
          .join('') +
        '\n\nIn a terminal a live status line (phase, verdict, counts, a bar for the current wait) is redrawn\n' +
        'in place; in a log it is printed every 5 seconds.\n' +
        '\nExit code 0 when the story ends as it should (rolled back, or promoted; a release: payments alone\n' +
        'rolled back and checkout promoted, or held and aborted with nothing rolled back). The guardians\n' +
        'stay in the demo database: `npx ripcord dev server --db .ripcord/demo.db` shows them in the Web UI later.',
    )
    .action(async (opts: Demo.DemoOptions) => demoCommand().demo(opts));
}
