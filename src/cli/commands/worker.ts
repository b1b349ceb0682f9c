import type { Command } from 'commander';

export function registerWorkerCommand(_program: Command): void {}
