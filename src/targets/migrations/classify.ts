import { z } from 'zod';
import type { LoadedMigration } from './migration-files';
import {
  type BuiltMigration,
  type Direction,
  type MigrationDb,
  type Operation,
  buildMigration,
  describeOperation,
} from './operations';
import { describeObject } from './sql';

/**
 * Is rolling this migration back something a machine may do on its own?
 *
 * The rule (also in docs/migrations.md). Rolling back means running the down
 * in one transaction after snapshotting what it removes; undoing the rollback
 * (compensation) means re-running the up and restoring the snapshot. So a
 * rollback is REVERSIBLE only when every part of that holds:
 *
 *  1. the migration has a down (exports.down, or one node-pg-migrate derives
 *     from the up) and an up, and neither calls pgm.noTransaction();
 *  2. everything the down removes can be snapshotted and put back: it drops
 *     only tables the up creates and columns the up adds (their rows are
 *     copied to the snapshot schema first); indexes, constraints, renames,
 *     views and other schema-only changes need no snapshot;
 *  3. the up destroyed nothing the down would have to bring back: an up that
 *     drops a table or column or changes a column's type lost that data when it
 *     ran, and its down can only recreate an empty shape;
 *  4. nothing in it cascades or moves a sequence, and nothing is invisible to
 *     inspection (pgm.sql, pgm.db, operations ripcord does not know, SQL files).
 *
 * Anything else is DESTRUCTIVE, with one reason per problem. The only thing a
 * migration file can add is a declaration, `exports.ripcord = { destructive,
 * touches }`: `destructive: true` always wins; `destructive: false` vouches
 * only for the parts ripcord cannot see (rule 4's raw SQL, direct queries,
 * unknown operations) and `touches` names what those parts remove, so that it
 * is snapshotted too. A declaration never overrides a problem ripcord can see:
 * it can make ripcord more careful, never less.
 */
export type ClassificationKind = 'reversible' | 'destructive';

/** Something the down removes, snapshotted before it runs. */
export type TouchedObject =
  | { kind: 'table'; schema: string; table: string; ifExists: boolean }
  | { kind: 'columns'; schema: string; table: string; columns: string[]; ifExists: boolean };

export interface MigrationClassification {
  kind: ClassificationKind;
  /** Why, one sentence per finding; for a destructive migration only the problems. */
  reasons: string[];
  /** What the down removes (meaningful when reversible). */
  touches: TouchedObject[];
}

const TouchDeclaration = z.union([
  z.string().regex(/^[^.\s]+(\.[^.\s]+)?$/, { error: 'must be "table" or "table.column"' }),
  z.strictObject({
    schema: z.string().min(1).optional(),
    table: z.string().min(1),
    columns: z.array(z.string().min(1)).min(1).optional(),
  }),
]);

/** `exports.ripcord` in a migration file. */
export const RipcordMigrationDeclaration = z.strictObject({
  destructive: z.boolean({ error: 'must be true or false' }),
  /** What the parts ripcord cannot inspect remove: "table", "table.column" or { schema?, table, columns? }. */
  touches: z.array(TouchDeclaration).default([]),
  /** For people: why the author declared it so. */
  note: z.string().max(500).optional(),
});
export type RipcordMigrationDeclaration = z.infer<typeof RipcordMigrationDeclaration>;

// Classification builds the migration without a database: a migration that queries through pgm.db gets nothing.
const NO_DATABASE: MigrationDb = {
  query: () => Promise.resolve({ rows: [], rowCount: 0 }),
  select: () => Promise.resolve([]),
};

export interface ClassifyOptions {
  /** The schema unqualified table names live in (the service's `schema`). */
  schema: string;
}

export async function classifyMigration(
  migration: LoadedMigration,
  options: ClassifyOptions,
): Promise<MigrationClassification> {
  const destructive = (reasons: string[]): MigrationClassification => ({
    kind: 'destructive',
    reasons,
    touches: [],
  });

  if (migration.format === 'sql') {
    return destructive(['it is an SQL migration file: ripcord does not inspect raw SQL']);
  }

  let declaration: RipcordMigrationDeclaration | undefined;
  if (migration.actions.ripcord !== undefined) {
    const parsed = RipcordMigrationDeclaration.safeParse(migration.actions.ripcord);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${['ripcord', ...i.path].join('.')} ${i.message}`);
      return destructive([`exports.ripcord is malformed: ${issues.join('; ')}`]);
    }
    declaration = parsed.data;
    if (declaration.destructive) {
      const note = declaration.note === undefined ? '' : ` (${declaration.note})`;
      return destructive([
        `the migration declares itself destructive (exports.ripcord.destructive = true)${note}`,
      ]);
    }
  }

  const down = await tryBuild(migration, 'down', options.schema);
  const up = await tryBuild(migration, 'up', options.schema);
  const problems: string[] = [];
  if (typeof down === 'string') problems.push(down);
  if (typeof up === 'string') problems.push(up);
  if (typeof down === 'string' || typeof up === 'string') return destructive(problems);

  const findings = new Findings(declaration);
  if (down.derived) findings.note('the file exports no down: node-pg-migrate derives it from the up');
  if (!down.usesTransaction) {
    findings.problem(
      'the down calls pgm.noTransaction(): it cannot run in the one transaction that snapshots and rolls back',
    );
  }
  if (!up.usesTransaction) {
    findings.problem('the up calls pgm.noTransaction(): compensation could not re-run it in one transaction');
  }
  for (const op of up.operations) judgeUp(op, findings);
  for (const op of down.operations) judgeDown(op, up, findings);
  for (const touch of declaration?.touches ?? []) findings.touch(declaredTouch(touch, options.schema));

  if (findings.problems.length > 0) return destructive(findings.problems);
  return { kind: 'reversible', reasons: findings.notes, touches: findings.touches() };
}

async function tryBuild(
  migration: LoadedMigration,
  direction: Direction,
  schema: string,
): Promise<BuiltMigration | string> {
  try {
    return await buildMigration(migration, direction, NO_DATABASE, schema);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const role = direction === 'down' ? 'its down' : 'its up (compensation re-runs it)';
    return `${role} cannot be built: ${message}`;
  }
}

/** Problems make the migration destructive; notes explain a reversible one. */
class Findings {
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  private readonly touched: TouchedObject[] = [];

  constructor(private readonly declaration: RipcordMigrationDeclaration | undefined) {}

  problem(reason: string): void {
    this.problems.push(reason);
  }

  note(reason: string): void {
    this.notes.push(reason);
  }

  /** Something ripcord cannot inspect: destructive unless the migration vouches for it. */
  uninspectable(reason: string): void {
    if (this.declaration?.destructive === false) {
      this.note(`${reason}; the migration vouches for it (exports.ripcord.destructive = false)`);
    } else {
      this.problem(
        `${reason}; if it only removes what the up added, declare exports.ripcord = { destructive: false, touches: [...] }`,
      );
    }
  }

  touch(object: TouchedObject): void {
    this.touched.push(object);
  }

  /** One entry per table; a dropped table covers its columns. */
  touches(): TouchedObject[] {
    const byTable = new Map<string, TouchedObject>();
    for (const object of this.touched) {
      const key = `${object.schema}\u0000${object.table}`;
      const seen = byTable.get(key);
      if (seen === undefined) {
        byTable.set(key, object.kind === 'columns' ? { ...object, columns: [...object.columns] } : object);
      } else if (object.kind === 'table') {
        byTable.set(key, { ...object, ifExists: object.ifExists && seen.ifExists });
      } else if (seen.kind === 'columns') {
        for (const column of object.columns) if (!seen.columns.includes(column)) seen.columns.push(column);
        seen.ifExists = seen.ifExists && object.ifExists;
      }
    }
    return [...byTable.values()];
  }
}

/**
 * Kinds judged alike in the up and the down: sequence state and cascades are
 * problems either way, and code ripcord cannot read is uninspectable. False
 * for every other kind, which the caller judges by direction.
 */
function judgeEitherWay(op: Operation, what: string, findings: Findings): boolean {
  switch (op.kind) {
    case 'sequence-state':
    case 'cascade':
      findings.problem(what);
      return true;
    case 'raw-sql':
    case 'direct-query':
    case 'unknown':
      findings.uninspectable(what);
      return true;
    default:
      return false;
  }
}

function judgeUp(op: Operation, findings: Findings): void {
  const what = `the up ${describeOperation(op)}`;
  if (judgeEitherWay(op, what, findings)) return;
  switch (op.kind) {
    case 'drop-table':
    case 'drop-columns':
      return findings.problem(
        `${what}: that data is gone since the up ran, and the down cannot bring it back`,
      );
    case 'change-column-type':
      return findings.problem(`${what}: the down cannot restore the values as they were`);
    default:
      return;
  }
}

function judgeDown(op: Operation, up: BuiltMigration, findings: Findings): void {
  const what = `the down ${describeOperation(op)}`;
  if (judgeEitherWay(op, what, findings)) return;
  switch (op.kind) {
    case 'drop-table': {
      const created = up.operations.some(
        (u) => u.kind === 'create-table' && u.schema === op.schema && u.table === op.table,
      );
      if (!created) {
        return findings.problem(
          `${what}, which the up does not create: compensation could not bring it back`,
        );
      }
      findings.touch({ kind: 'table', schema: op.schema, table: op.table, ifExists: op.ifExists });
      return findings.note(
        `${what}, which the up creates: its rows are snapshotted first and restored by compensation`,
      );
    }
    case 'drop-columns': {
      const added = new Set(
        up.operations.flatMap((u) =>
          u.kind === 'add-columns' && u.schema === op.schema && u.table === op.table ? u.columns : [],
        ),
      );
      const foreign = op.columns.filter((column) => !added.has(column));
      if (foreign.length > 0) {
        return findings.problem(
          `the down drops column ${describeObject(op.schema, op.table, foreign)}, which the up does not add: compensation could not bring it back`,
        );
      }
      findings.touch({
        kind: 'columns',
        schema: op.schema,
        table: op.table,
        columns: op.columns,
        ifExists: op.ifExists,
      });
      return findings.note(
        `${what}, which the up adds: its values are snapshotted first and restored by compensation`,
      );
    }
    case 'change-column-type':
      return findings.problem(`${what}: values may not survive the conversion`);
    default:
      return findings.note(what);
  }
}

function declaredTouch(touch: RipcordMigrationDeclaration['touches'][number], schema: string): TouchedObject {
  if (typeof touch === 'string') {
    const [table, column] = touch.split('.') as [string, string | undefined];
    return column === undefined
      ? { kind: 'table', schema, table, ifExists: false }
      : { kind: 'columns', schema, table, columns: [column], ifExists: false };
  }
  const resolved = { schema: touch.schema ?? schema, table: touch.table, ifExists: false };
  return touch.columns === undefined
    ? { kind: 'table', ...resolved }
    : { kind: 'columns', ...resolved, columns: touch.columns };
}
