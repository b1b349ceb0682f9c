import type { Command } from 'commander';

export function registerGuardCommand(_program: Command): void {}
