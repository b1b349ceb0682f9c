import type { Command } from 'commander';
import type * as Simulate from '../commands/simulate';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const simulateCommand = (): typeof Simulate => require('../commands/simulate');

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'replay scenario files through the decision core with a policy, as the guardian would see them (docs/architecture.md §4)',
    )
    .requiredOption('--policy <file>', 'rollback policy (YAML)')
    .requiredOption('--scenario <paths...>', 'scenario files or directories of *.json scenario files')
    .option('--json', 'one JSON object per scenario per line, nothing else on stdout')
    .option('--plot <file.html>', 'also write a self-contained HTML page charting every scenario')
    .addHelpText(
      'after',
      '\nEach scenario is evaluated at its own interval length (intervalSeconds in the file); every\n' +
        'duration in the policy is in seconds and applies unchanged. Scenario truth is never read.',
    )
    .action(async (options: Simulate.SimulateOptions) => simulateCommand().simulate(options));
}
