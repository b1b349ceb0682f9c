import type * as NodePgMigrate from 'node-pg-migrate/dist/bundle/index';

/**
 * node-pg-migrate 9 ships only ES modules and its package "exports" are not
 * visible to this project's TypeScript resolution ("node"), so the library is
 * loaded here once with require (Node ≥ 20.19 loads ES modules that way; Jest
 * compiles it, see jest.config.js) and typed from its own declarations.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const library = require('node-pg-migrate') as typeof NodePgMigrate;

export const { MigrationBuilder, PG_MIGRATE_LOCK_ID, runner } = library;
export type MigrationBuilder = NodePgMigrate.MigrationBuilder;
export type ColumnDefinitions = NodePgMigrate.ColumnDefinitions;

/**
 * Loads a migration file the way node-pg-migrate's runner does (its shared
 * jiti instance: CommonJS, ES modules and TypeScript alike), so that ripcord
 * rolls back exactly the code `node-pg-migrate up` ran.
 */
export function importMigrationFile(filePath: string): Promise<unknown> {
  return library.jiti.import(filePath);
}
