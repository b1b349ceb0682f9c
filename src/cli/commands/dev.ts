import type { Command } from 'commander';

export function registerDevCommands(_program: Command): void {}
