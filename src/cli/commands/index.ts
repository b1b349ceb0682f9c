import type { Command } from 'commander';
import { registerDevCommands } from '../register/dev';
import { registerWorkerCommand } from '../register/worker';
import { registerGuardCommand } from '../register/guard';
import { registerReleaseCommand } from '../register/release';
import { registerOperateCommands } from '../register/operate';
import { registerRehearseCommand } from '../register/rehearse';
import { registerDemoCommand } from '../register/demo';
import { registerPolicyCommands } from '../register/policy';
import { registerSimulateCommand } from '../register/simulate';
import { registerScenarioCommands } from '../register/scenario';
import { registerTokenCommands } from '../register/token';
import { registerAuditCommands } from '../register/audit';
import { registerCodecServerCommand } from '../register/codec-server';
import { registerReportCommand } from '../register/report';
import { registerBacktestCommand } from '../register/backtest';

/**
 * Every sub-command registers itself here, one module per command family, so that
 * adding a command never means editing another command's file.
 *
 * Registering loads only src/cli/register/<family>: names, arguments, options
 * and help, nothing heavy. Each action requires its commands/<family> module
 * when it runs, so that `--help`, `policy validate` or `simulate` never load
 * the Temporal SDK, and `status` loads its client but not its worker
 * (test/unit/cli/module-loading.test.ts). `require`, not `import()`: the CLI is
 * CommonJS, and tsx (bin/ripcord.js after an edit) would hand an `import()` to
 * Node's ES module loader, which does not resolve '../commands/x' to a .ts file.
 */
export function registerCommands(program: Command): void {
  registerDevCommands(program);
  registerWorkerCommand(program);
  registerGuardCommand(program);
  registerReleaseCommand(program);
  registerOperateCommands(program);
  registerRehearseCommand(program);
  registerDemoCommand(program);
  registerPolicyCommands(program);
  registerSimulateCommand(program);
  registerScenarioCommands(program);
  registerTokenCommands(program);
  registerAuditCommands(program);
  registerCodecServerCommand(program);
  registerReportCommand(program);
  registerBacktestCommand(program);
}
