import type { Command } from 'commander';
import { registerDevCommands } from './dev';
import { registerWorkerCommand } from './worker';
import { registerGuardCommand } from './guard';
import { registerOperateCommands } from './operate';
import { registerRehearseCommand } from './rehearse';
import { registerDemoCommand } from './demo';
import { registerPolicyCommands } from './policy';
import { registerSimulateCommand } from './simulate';
import { registerScenarioCommands } from './scenario';
import { registerTokenCommands } from './token';
import { registerAuditCommands } from './audit';
import { registerCodecServerCommand } from './codec-server';
import { registerReportCommand } from './report';

/**
 * Every sub-command registers itself here, one module per command family, so that
 * adding a command never means editing another command's file.
 */
export function registerCommands(program: Command): void {
  registerDevCommands(program);
  registerWorkerCommand(program);
  registerGuardCommand(program);
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
}
