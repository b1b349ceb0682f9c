import { describeObject } from './sql';
import { type ColumnDefinitions, MigrationBuilder } from './node-pg-migrate';
import type { LoadedMigration, MigrationAction } from './migration-files';

/**
 * What one call on node-pg-migrate's builder (`pgm.dropColumns(...)`) does to
 * data, reduced to what the classifier needs. Tables are resolved to the
 * service's schema when the call names none (that is where node-pg-migrate's
 * search_path puts them).
 */
export type Operation =
  | { kind: 'create-table'; schema: string; table: string }
  | { kind: 'drop-table'; schema: string; table: string; ifExists: boolean }
  | { kind: 'add-columns'; schema: string; table: string; columns: string[] }
  | { kind: 'drop-columns'; schema: string; table: string; columns: string[]; ifExists: boolean }
  | { kind: 'change-column-type'; schema: string; table: string; column: string }
  /** dropSequence, alterSequence: the counter's state is lost or moved; a recreated sequence would hand out used ids. */
  | { kind: 'sequence-state'; method: string }
  | { kind: 'cascade'; method: string }
  /** Indexes, constraints, renames, views, functions, grants...: no rows are lost. */
  | { kind: 'schema-only'; method: string }
  | { kind: 'raw-sql' }
  | { kind: 'direct-query' }
  | { kind: 'unknown'; method: string };

export type Direction = 'up' | 'down';

export interface BuiltMigration {
  direction: Direction;
  /** The statements node-pg-migrate would run, in order (without its own BEGIN/COMMIT or bookkeeping). */
  sql: string[];
  /** False when the migration called pgm.noTransaction(). */
  usesTransaction: boolean;
  /** What the statements do, in the direction built (a derived down is already turned around). */
  operations: Operation[];
  /** True when the file exports no down and node-pg-migrate derives it from the up. */
  derived: boolean;
}

/** The database a migration may query while it is built (pgm.db); classification passes one that answers nothing. */
export interface MigrationDb {
  query(text: string, values?: unknown[]): Promise<unknown>;
  select(text: string, values?: unknown[]): Promise<unknown[]>;
}

/** A migration that cannot be run in this direction at all (exports.down = false, no up, not a function). */
export class MigrationNotRunnable extends Error {
  override readonly name = 'MigrationNotRunnable';
}

// Builder members that are not operations on the database.
const NOT_OPERATIONS = new Set([
  'func',
  'noTransaction',
  'isUsingTransaction',
  'enableReverseMode',
  'getSql',
  'getSqlSteps',
  'constructor',
]);

// Operations that never lose rows (or that PostgreSQL refuses while something depends on them, unless CASCADE,
// which is caught separately). Anything not named here or handled below is "unknown" and fails closed.
const SCHEMA_ONLY = new Set([
  'createExtension', 'addExtension', 'dropExtension',
  'renameTable', 'alterTable', 'renameColumn',
  'addConstraint', 'createConstraint', 'dropConstraint', 'renameConstraint',
  'createType', 'addType', 'dropType', 'renameType', 'renameTypeAttribute', 'renameTypeValue',
  'addTypeAttribute', 'dropTypeAttribute', 'setTypeAttribute', 'addTypeValue',
  'createIndex', 'addIndex', 'dropIndex', 'renameIndex',
  'createRole', 'dropRole', 'alterRole', 'renameRole',
  'createFunction', 'dropFunction', 'renameFunction',
  'createTrigger', 'dropTrigger', 'renameTrigger',
  'createSchema', 'dropSchema', 'renameSchema',
  'createDomain', 'dropDomain', 'alterDomain', 'renameDomain',
  'createSequence', 'renameSequence',
  'createOperator', 'dropOperator', 'createOperatorClass', 'dropOperatorClass', 'renameOperatorClass',
  'createOperatorFamily', 'dropOperatorFamily', 'renameOperatorFamily', 'addToOperatorFamily',
  'removeFromOperatorFamily',
  'createPolicy', 'dropPolicy', 'alterPolicy', 'renamePolicy',
  'createView', 'dropView', 'alterView', 'alterViewColumn', 'renameView',
  'createMaterializedView', 'dropMaterializedView', 'alterMaterializedView', 'renameMaterializedView',
  'renameMaterializedViewColumn', 'refreshMaterializedView',
  'grantRoles', 'revokeRoles', 'grantOnSchemas', 'revokeOnSchemas', 'grantOnTables', 'revokeOnTables',
  'createCast', 'dropCast',
]); // prettier-ignore

const SILENT_LOGGER = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Runs the migration's up or down against node-pg-migrate's own builder,
 * which turns the calls into SQL without touching the database (except what
 * the migration itself queries through pgm.db), and records what each call
 * does. A file without a down gets the down node-pg-migrate derives from its
 * up (reverse mode), exactly as `node-pg-migrate down` would run it.
 */
export async function buildMigration(
  migration: LoadedMigration,
  direction: Direction,
  db: MigrationDb,
  defaultSchema: string,
): Promise<BuiltMigration> {
  const { actions } = migration;
  let action = direction === 'down' ? actions.down : actions.up;
  const derived = direction === 'down' && action === undefined;
  if (derived) action = actions.up;
  if (action === false) {
    throw new MigrationNotRunnable(
      `the migration disables its ${direction} (exports.${direction} = false): it declares itself irreversible`,
    );
  }
  if (typeof action !== 'function') {
    throw new MigrationNotRunnable(`the migration exports no ${direction} function`);
  }

  const builder = new MigrationBuilder(
    db as ConstructorParameters<typeof MigrationBuilder>[0],
    migration.shorthands as ColumnDefinitions,
    false,
    SILENT_LOGGER,
  );
  if (derived) builder.enableReverseMode();
  const recorded: Operation[] = [];
  const pgm = recordingBuilder(builder, recorded, defaultSchema);
  await runAction(action, pgm);

  return {
    direction,
    sql: builder.getSqlSteps(),
    usesTransaction: builder.isUsingTransaction(),
    operations: derived ? recorded.map(reverseOperation).reverse() : recorded,
    derived,
  };
}

async function runAction(action: MigrationAction, pgm: MigrationBuilder): Promise<void> {
  // node-pg-migrate's callback style: (pgm, run) => { ...; run(); }
  if (action.length === 2) {
    await new Promise<void>((resolve, reject) => {
      Promise.resolve(action(pgm, resolve)).catch(reject);
    });
  } else {
    await action(pgm);
  }
}

function recordingBuilder(
  builder: MigrationBuilder,
  recorded: Operation[],
  defaultSchema: string,
): MigrationBuilder {
  return new Proxy(builder, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof property !== 'string') return value;
      if (property === 'db') {
        const db = target.db;
        return {
          query: (...args: Parameters<typeof db.query>) => {
            recorded.push({ kind: 'direct-query' });
            return db.query(...args);
          },
          select: (...args: Parameters<typeof db.select>) => {
            recorded.push({ kind: 'direct-query' });
            return db.select(...args);
          },
        };
      }
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (NOT_OPERATIONS.has(property)) return fn.bind(target);
      return (...args: unknown[]) => {
        recorded.push(describeCall(property, args, defaultSchema));
        return fn.apply(target, args);
      };
    },
  });
}

/** One builder call in terms of data: see Operation. */
export function describeCall(method: string, args: readonly unknown[], defaultSchema: string): Operation {
  if (args.some((arg) => isRecord(arg) && arg.cascade === true)) return { kind: 'cascade', method };
  const table = () => tableName(args[0], defaultSchema);
  switch (method) {
    case 'createTable':
      return { kind: 'create-table', ...table() };
    case 'dropTable':
      return { kind: 'drop-table', ...table(), ifExists: optionIfExists(args[1]) };
    case 'addColumns':
    case 'addColumn':
      return { kind: 'add-columns', ...table(), columns: isRecord(args[1]) ? Object.keys(args[1]) : [] };
    case 'dropColumns':
    case 'dropColumn':
      return {
        kind: 'drop-columns',
        ...table(),
        columns: columnNames(args[1]),
        ifExists: optionIfExists(args[2]),
      };
    case 'alterColumn':
      if (isRecord(args[2]) && args[2].type !== undefined) {
        return { kind: 'change-column-type', ...table(), column: String(args[1]) };
      }
      return { kind: 'schema-only', method };
    case 'dropSequence':
    case 'alterSequence':
      return { kind: 'sequence-state', method };
    case 'sql':
      return { kind: 'raw-sql' };
    default:
      return SCHEMA_ONLY.has(method) ? { kind: 'schema-only', method } : { kind: 'unknown', method };
  }
}

// The down node-pg-migrate derives from an up call (see each operation's `reverse`).
function reverseOperation(op: Operation): Operation {
  switch (op.kind) {
    case 'create-table':
      return { kind: 'drop-table', schema: op.schema, table: op.table, ifExists: false };
    case 'add-columns':
      return {
        kind: 'drop-columns',
        schema: op.schema,
        table: op.table,
        columns: op.columns,
        ifExists: false,
      };
    case 'schema-only':
      // createSequence's reverse drops the sequence.
      return op.method === 'createSequence' ? { kind: 'sequence-state', method: 'dropSequence' } : op;
    default:
      // Anything else has no reverse: node-pg-migrate refuses to build the down before we get here.
      return op;
  }
}

export function describeOperation(op: Operation): string {
  switch (op.kind) {
    case 'create-table':
      return `creates table ${describeObject(op.schema, op.table)}`;
    case 'drop-table':
      return `drops table ${describeObject(op.schema, op.table)}`;
    case 'add-columns':
      return `adds column ${describeObject(op.schema, op.table, op.columns)}`;
    case 'drop-columns':
      return `drops column ${describeObject(op.schema, op.table, op.columns)}`;
    case 'change-column-type':
      return `changes the type of ${describeObject(op.schema, op.table, [op.column])}`;
    case 'sequence-state':
      return `runs pgm.${op.method}() (a sequence's position cannot be snapshotted)`;
    case 'cascade':
      return `runs pgm.${op.method}() with cascade (it removes objects it does not name)`;
    case 'schema-only':
      return `runs pgm.${op.method}() (no data)`;
    case 'raw-sql':
      return 'runs raw SQL (pgm.sql) that ripcord cannot inspect';
    case 'direct-query':
      return 'queries the database directly (pgm.db) while it is built';
    case 'unknown':
      return `runs pgm.${op.method}(), which ripcord does not know`;
  }
}

function tableName(name: unknown, defaultSchema: string): { schema: string; table: string } {
  if (isRecord(name) && typeof name.name === 'string') {
    return { schema: typeof name.schema === 'string' ? name.schema : defaultSchema, table: name.name };
  }
  return { schema: defaultSchema, table: String(name) };
}

function columnNames(columns: unknown): string[] {
  if (typeof columns === 'string') return [columns];
  if (Array.isArray(columns)) return columns.map(String);
  if (isRecord(columns)) return Object.keys(columns);
  return [];
}

function optionIfExists(options: unknown): boolean {
  return isRecord(options) && options.ifExists === true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
