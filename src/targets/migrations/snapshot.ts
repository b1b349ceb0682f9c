import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import { PermanentStepError } from '../errors';
import type { TouchedObject } from './classify';
import type { SnapshotRecord } from './ledger';
import { describeObject, qualified, quoteIdent } from './sql';

/**
 * Copies of what a down removes, taken in the down's own transaction and put
 * back after compensation re-ran the up. A dropped table is copied whole; a
 * dropped column is copied with the table's primary key, to match each value
 * back to its row. The copies stay in the snapshot schema after compensation
 * (they are the only record of the data a rollback touched); people drop them
 * when they no longer need them.
 */

/** s_<first 12 hex digits of sha256(idempotency key)>: short, stable across retries, unique per step. */
export function snapshotPrefix(idempotencyKey: string): string {
  return `s_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 12)}`;
}

export async function takeSnapshots(
  client: Client,
  touches: readonly TouchedObject[],
  options: { snapshotSchema: string; idempotencyKey: string; migration: string },
): Promise<SnapshotRecord[]> {
  const prefix = snapshotPrefix(options.idempotencyKey);
  const records: SnapshotRecord[] = [];
  for (const touch of touches) {
    const snapshotTable = `${prefix}_${records.length + 1}`;
    const existing = await tableColumns(client, touch.schema, touch.table);
    if (existing === undefined) {
      if (touch.ifExists) continue; // the down drops it "if exists": nothing there, nothing to keep
      throw new PermanentStepError(
        `the down removes ${describeObject(touch.schema, touch.table)}, which does not exist: the schema is not what the migration expects`,
      );
    }
    const target = qualified(options.snapshotSchema, snapshotTable);
    const source = qualified(touch.schema, touch.table);
    if (touch.kind === 'table') {
      const copied = await client.query(`CREATE TABLE ${target} AS SELECT * FROM ${source}`);
      records.push({
        kind: 'table',
        schema: touch.schema,
        table: touch.table,
        columns: existing,
        key: [],
        snapshotTable,
        rows: copied.rowCount ?? 0,
      });
    } else {
      const columns = touch.columns.filter((column) => existing.includes(column));
      const missing = touch.columns.filter((column) => !existing.includes(column));
      if (missing.length > 0 && !touch.ifExists) {
        throw new PermanentStepError(
          `the down removes ${describeObject(touch.schema, touch.table, missing)}, which does not exist: the schema is not what the migration expects`,
        );
      }
      if (columns.length === 0) continue;
      const key = await primaryKey(client, touch.schema, touch.table);
      if (key.length === 0 || key.some((column) => columns.includes(column))) {
        throw new PermanentStepError(
          `${describeObject(touch.schema, touch.table)} has no primary key that survives the down: the values of ${describeObject(touch.schema, touch.table, columns)} could not be put back row by row; destructive, freeze and escalate`,
        );
      }
      const list = [...key, ...columns].map(quoteIdent).join(', ');
      const copied = await client.query(`CREATE TABLE ${target} AS SELECT ${list} FROM ${source}`);
      records.push({
        kind: 'columns',
        schema: touch.schema,
        table: touch.table,
        columns,
        key,
        snapshotTable,
        rows: copied.rowCount ?? 0,
      });
    }
    await client.query(
      `COMMENT ON TABLE ${target} IS ${literal(
        `ripcord: ${describeObject(touch.schema, touch.table, touch.kind === 'columns' ? touch.columns : undefined)} before rolling back ${options.migration} (step ${options.idempotencyKey})`,
      )}`,
    );
  }
  return records;
}

/** Puts every snapshot back (after the up ran again); returns what was restored, in words. */
export async function restoreSnapshots(
  client: Client,
  records: readonly SnapshotRecord[],
  snapshotSchema: string,
): Promise<string[]> {
  const restored: string[] = [];
  for (const record of records) {
    const present = await tableColumns(client, record.schema, record.table);
    const needed = record.kind === 'table' ? record.columns : [...record.key, ...record.columns];
    const absent = needed.filter((column) => !(present ?? []).includes(column));
    if (present === undefined || absent.length > 0) {
      throw new PermanentStepError(
        `after re-running the up, ${describeObject(record.schema, record.table, absent.length > 0 ? absent : undefined)} is missing: the snapshot ${snapshotSchema}.${record.snapshotTable} cannot be put back; restore it by hand`,
      );
    }
    const target = qualified(record.schema, record.table);
    const snapshot = qualified(snapshotSchema, record.snapshotTable);
    if (record.kind === 'table') {
      const writable = await writableColumns(client, record.schema, record.table, record.columns);
      const list = writable.map(quoteIdent).join(', ');
      const inserted = await client.query(
        `INSERT INTO ${target} (${list}) OVERRIDING SYSTEM VALUE SELECT ${list} FROM ${snapshot}`,
      );
      await advanceSequences(client, record.schema, record.table, writable);
      restored.push(`${inserted.rowCount ?? 0} rows of ${describeObject(record.schema, record.table)}`);
    } else {
      const assignments = record.columns.map((c) => `${quoteIdent(c)} = s.${quoteIdent(c)}`).join(', ');
      const match = record.key.map((c) => `t.${quoteIdent(c)} = s.${quoteIdent(c)}`).join(' AND ');
      const updated = await client.query(
        `UPDATE ${target} AS t SET ${assignments} FROM ${snapshot} AS s WHERE ${match}`,
      );
      const count = updated.rowCount ?? 0;
      const gone = record.rows - count;
      restored.push(
        `${describeObject(record.schema, record.table, record.columns)} on ${count} rows` +
          (gone > 0 ? ` (${gone} rows deleted since the rollback)` : ''),
      );
    }
  }
  return restored;
}

/** What the down removed and is still there (empty when all of it is gone). */
export async function stillPresent(client: Client, records: readonly SnapshotRecord[]): Promise<string[]> {
  const present: string[] = [];
  for (const record of records) {
    const columns = await tableColumns(client, record.schema, record.table);
    if (columns === undefined) continue;
    if (record.kind === 'table') present.push(describeObject(record.schema, record.table));
    else {
      const left = record.columns.filter((column) => columns.includes(column));
      if (left.length > 0) present.push(describeObject(record.schema, record.table, left));
    }
  }
  return present;
}

/** Columns of a table in order, or undefined when there is no such table. */
async function tableColumns(client: Client, schema: string, table: string): Promise<string[] | undefined> {
  const result = await client.query<{ found: boolean; columns: string[] | null }>(
    `SELECT to_regclass($1) IS NOT NULL AS found,
            (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
              WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped) AS columns`,
    [qualified(schema, table)],
  );
  const row = result.rows[0];
  return row?.found === true ? (row.columns ?? []) : undefined;
}

async function primaryKey(client: Client, schema: string, table: string): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    `SELECT a.attname::text AS name
       FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary
      ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [qualified(schema, table)],
  );
  return result.rows.map((row) => row.name);
}

// Generated columns compute themselves; inserting into them is an error.
async function writableColumns(
  client: Client,
  schema: string,
  table: string,
  columns: string[],
): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    `SELECT attname::text AS name FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped AND attgenerated <> ''`,
    [qualified(schema, table)],
  );
  const generated = new Set(result.rows.map((row) => row.name));
  return columns.filter((column) => !generated.has(column));
}

// Restored ids came from the old sequence; the recreated one must not hand them out again.
async function advanceSequences(
  client: Client,
  schema: string,
  table: string,
  columns: string[],
): Promise<void> {
  for (const column of columns) {
    const sequence = await client.query<{ name: string | null }>(
      `SELECT pg_get_serial_sequence($1, $2) AS name`,
      [qualified(schema, table), column],
    );
    const name = sequence.rows[0]?.name;
    if (name === null || name === undefined) continue;
    await client.query(
      `SELECT setval($1::regclass, m) FROM (SELECT max(${quoteIdent(column)})::bigint AS m FROM ${qualified(schema, table)}) AS x WHERE m IS NOT NULL`,
      [name],
    );
  }
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
