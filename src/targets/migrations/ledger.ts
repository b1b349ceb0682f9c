import type { Client } from 'pg';
import { qualified, quoteIdent } from './sql';

/**
 * ripcord's own table, in the snapshot schema of the service's database: one
 * row per rollback step, written in the same transaction as the down. A row
 * means the step was applied, completely (the transaction is all or nothing);
 * it also says where the snapshots are, for compensation and for people.
 */
export const LEDGER_TABLE = 'rollbacks';

/** One snapshot table: what it holds and how to put it back. */
export interface SnapshotRecord {
  kind: 'table' | 'columns';
  schema: string;
  table: string;
  /** kind table: every column copied; kind columns: the dropped columns. */
  columns: string[];
  /** kind columns: the primary key the values are matched back by. */
  key: string[];
  /** Its name in the snapshot schema: s_<12 hex of sha256(idempotency key)>_<n>. */
  snapshotTable: string;
  rows: number;
}

export interface LedgerEntry {
  idempotencyKey: string;
  deploymentId: string;
  planHash: string;
  stepIndex: number;
  service: string;
  migration: string;
  /** The latest applied migration after the rollback (null: none was left). */
  previousMigration: string | null;
  snapshots: SnapshotRecord[];
  appliedAt: Date;
  compensatedAt: Date | null;
}

export async function ensureLedger(client: Client, snapshotSchema: string): Promise<void> {
  // CREATE SCHEMA checks the right to create before it checks IF NOT EXISTS: ask first, so a role without
  // CREATE on the database works once the schema exists (made by ripcord's first run or by a DBA).
  const schema = await client.query<{ found: boolean }>(`SELECT to_regnamespace($1) IS NOT NULL AS found`, [
    quoteIdent(snapshotSchema),
  ]);
  if (schema.rows[0]?.found !== true) await client.query(`CREATE SCHEMA ${quoteIdent(snapshotSchema)}`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${qualified(snapshotSchema, LEDGER_TABLE)} (
    idempotency_key text PRIMARY KEY,
    deployment_id text NOT NULL,
    plan_hash text NOT NULL,
    step_index integer NOT NULL,
    service text NOT NULL,
    migration text NOT NULL,
    previous_migration text,
    snapshots jsonb NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    compensated_at timestamptz
  )`);
}

/** The step's row, or undefined (also when the ledger does not exist yet: nothing was ever applied). */
export async function readLedger(
  client: Client,
  snapshotSchema: string,
  idempotencyKey: string,
  options: { forUpdate?: boolean } = {},
): Promise<LedgerEntry | undefined> {
  const exists = await client.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [
    qualified(snapshotSchema, LEDGER_TABLE),
  ]);
  if (exists.rows[0]?.found !== true) return undefined;
  const result = await client.query<{
    deployment_id: string;
    plan_hash: string;
    step_index: number;
    service: string;
    migration: string;
    previous_migration: string | null;
    snapshots: SnapshotRecord[];
    applied_at: Date;
    compensated_at: Date | null;
  }>(
    `SELECT deployment_id, plan_hash, step_index, service, migration, previous_migration, snapshots,
            applied_at, compensated_at
       FROM ${qualified(snapshotSchema, LEDGER_TABLE)} WHERE idempotency_key = $1
       ${options.forUpdate === true ? 'FOR UPDATE' : ''}`,
    [idempotencyKey],
  );
  const row = result.rows[0];
  if (row === undefined) return undefined;
  return {
    idempotencyKey,
    deploymentId: row.deployment_id,
    planHash: row.plan_hash,
    stepIndex: row.step_index,
    service: row.service,
    migration: row.migration,
    previousMigration: row.previous_migration,
    snapshots: row.snapshots,
    appliedAt: row.applied_at,
    compensatedAt: row.compensated_at,
  };
}

export async function recordApplied(
  client: Client,
  snapshotSchema: string,
  entry: Omit<LedgerEntry, 'appliedAt' | 'compensatedAt'>,
): Promise<void> {
  await client.query(
    `INSERT INTO ${qualified(snapshotSchema, LEDGER_TABLE)}
       (idempotency_key, deployment_id, plan_hash, step_index, service, migration, previous_migration, snapshots)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      entry.idempotencyKey,
      entry.deploymentId,
      entry.planHash,
      entry.stepIndex,
      entry.service,
      entry.migration,
      entry.previousMigration,
      JSON.stringify(entry.snapshots),
    ],
  );
}

export async function recordCompensated(
  client: Client,
  snapshotSchema: string,
  idempotencyKey: string,
): Promise<void> {
  await client.query(
    `UPDATE ${qualified(snapshotSchema, LEDGER_TABLE)} SET compensated_at = now() WHERE idempotency_key = $1`,
    [idempotencyKey],
  );
}
