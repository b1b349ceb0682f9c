import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { PermanentStepError } from '../errors';
import { type ColumnDefinitions, type MigrationBuilder, importMigrationFile } from './node-pg-migrate';

export type MigrationAction = (pgm: MigrationBuilder, run?: () => void) => Promise<void> | void;

/** What a node-pg-migrate migration file exports; `ripcord` is ours (see classify.ts). */
export interface MigrationModule {
  up?: MigrationAction | false;
  down?: MigrationAction | false;
  shorthands?: ColumnDefinitions;
  ripcord?: unknown;
}

export interface LoadedMigration {
  /** As node-pg-migrate records it in its table: the file name without its extension. */
  name: string;
  file: string;
  /** SQL files hold raw SQL that ripcord does not inspect (they are always destructive to roll back). */
  format: 'module' | 'sql';
  actions: MigrationModule;
  /** Column shorthands of this file and every file before it, merged the way node-pg-migrate merges them. */
  shorthands: ColumnDefinitions;
}

/**
 * Finds the migration called `name` in `dir` and loads it (and the files
 * before it, for their shorthands). Everything that can go wrong here is a
 * configuration or deployment mistake no retry fixes: PermanentStepError.
 */
export async function loadMigration(dir: string, name: string): Promise<LoadedMigration> {
  const files = await migrationFiles(dir);
  const matches = files.filter((file) => migrationName(file) === name);
  if (matches.length === 0) {
    throw new PermanentStepError(
      `migration "${name}" has no file in ${dir} (files there: ${files.map((f) => path.basename(f)).join(', ') || 'none'})`,
    );
  }
  if (matches.length > 1) {
    throw new PermanentStepError(
      `migration "${name}" is ambiguous in ${dir}: ${matches.map((f) => path.basename(f)).join(', ')}`,
    );
  }
  const file = matches[0] as string;
  if (path.extname(file) === '.sql') {
    return { name, file, format: 'sql', actions: {}, shorthands: {} };
  }

  let shorthands: ColumnDefinitions = {};
  for (const earlier of files.slice(0, files.indexOf(file))) {
    if (path.extname(earlier) === '.sql') continue;
    shorthands = { ...shorthands, ...(await importModule(earlier)).shorthands };
  }
  const actions = await importModule(file);
  return { name, file, format: 'module', actions, shorthands: { ...shorthands, ...actions.shorthands } };
}

/** The name node-pg-migrate gives a file: its base name without the extension. */
export function migrationName(file: string): string {
  return path.basename(file, path.extname(file));
}

async function migrationFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new PermanentStepError(`migrations directory ${dir} cannot be read (${code})`);
  }
  return entries
    .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && !entry.name.startsWith('.'))
    .map((entry) => path.resolve(dir, entry.name))
    .sort(compareMigrationFiles);
}

// node-pg-migrate orders by the numeric prefix first (001_, 1712345678901_), then by name.
function compareMigrationFiles(a: string, b: string): number {
  const prefix = (file: string) => Number(/^\d+/.exec(path.basename(file))?.[0] ?? Number.NaN);
  const [pa, pb] = [prefix(a), prefix(b)];
  if (!Number.isNaN(pa) && !Number.isNaN(pb) && pa !== pb) return pa - pb;
  return path.basename(a).localeCompare(path.basename(b));
}

async function importModule(file: string): Promise<MigrationModule> {
  try {
    const loaded = await importMigrationFile(file);
    if (loaded === null || typeof loaded !== 'object') return {};
    return loaded as MigrationModule;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new PermanentStepError(`migration file ${path.basename(file)} cannot be loaded: ${message}`);
  }
}
