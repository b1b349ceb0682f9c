import { ApplicationFailure } from '@temporalio/common';
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { chainRecord, serializeChained, type StoredEntry } from '../../security/audit-chain';
import type { AuditSigner } from '../../security/audit-signing';
import type { AuditRecord } from '../../model/audit';
import { type AuditAppendResult, type AuditSink, redactRecord } from './sink';

/**
 * The audit trail in PostgreSQL: table `ripcord_audit`, one row per chained
 * record. `entry` holds the record exactly as hashed; the other columns are
 * copies for querying and are checked against it by `ripcord audit verify`.
 * Triggers refuse UPDATE, DELETE and TRUNCATE, so an application bug or a
 * worker credential cannot rewrite history; an owner or superuser can still
 * disable them, and the signatures (the worker's audit key) are what notice
 * that, or a forged row inserted by anyone who may INSERT.
 *
 * The worker never runs DDL: `ripcord audit init-db` creates the table once,
 * as its owner (initAuditSchema), and prints the grants. The worker's role
 * then needs SELECT and INSERT only: advisory locks need no privilege, and
 * the next seq is read from the table, not taken from a sequence.
 *
 * Several workers may share the table: appends serialise on an advisory
 * lock, so two appends never take the same seq; the record key (`id`) is
 * unique, so a retried activity stores its record once.
 */

export const AUDIT_TABLE = 'ripcord_audit';
// Any constant works; this one is "rcaudit" in ASCII, unlikely to collide with another application's lock.
const APPEND_LOCK = 0x7263617564697;

export const AUDIT_SCHEMA = `
CREATE TABLE IF NOT EXISTS ${AUDIT_TABLE} (
  seq bigint PRIMARY KEY,
  record_key text NOT NULL UNIQUE,
  workflow_id text NOT NULL,
  deployment_id text NOT NULL,
  at timestamptz NOT NULL,
  kind text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  entry text NOT NULL
);
CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_deployment ON ${AUDIT_TABLE} (deployment_id, seq);
CREATE OR REPLACE FUNCTION ${AUDIT_TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '${AUDIT_TABLE} is append-only (% refused)', TG_OP;
END $$;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '${AUDIT_TABLE}_no_rewrite') THEN
    CREATE TRIGGER ${AUDIT_TABLE}_no_rewrite BEFORE UPDATE OR DELETE ON ${AUDIT_TABLE}
      FOR EACH ROW EXECUTE FUNCTION ${AUDIT_TABLE}_append_only();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '${AUDIT_TABLE}_no_truncate') THEN
    CREATE TRIGGER ${AUDIT_TABLE}_no_truncate BEFORE TRUNCATE ON ${AUDIT_TABLE}
      FOR EACH STATEMENT EXECUTE FUNCTION ${AUDIT_TABLE}_append_only();
  END IF;
END $$;
`;

/** The connection string without credentials, safe to print. */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the audit database';
  }
}

/** What the owner grants the worker's role (and readers: SELECT only). */
export function auditGrants(workerRole: string, readerRole?: string): string[] {
  const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
  return [
    `GRANT SELECT, INSERT ON ${AUDIT_TABLE} TO ${ident(workerRole)};`,
    ...(readerRole ? [`GRANT SELECT ON ${AUDIT_TABLE} TO ${ident(readerRole)};`] : []),
  ];
}

/** Creates the table, its index and append-only triggers (as the table's owner; idempotent, serialised). */
export async function initAuditSchema(connection: string | PoolConfig): Promise<void> {
  const sink = new PostgresAuditSink(connection);
  try {
    await sink.createSchema();
  } finally {
    await sink.close();
  }
}

export class PostgresAuditSink implements AuditSink {
  private readonly pool: Pool;
  private ready: Promise<void> | undefined;

  constructor(
    connection: string | PoolConfig,
    private readonly options: { signer?: AuditSigner } = {},
  ) {
    this.pool = new Pool(
      typeof connection === 'string' ? { connectionString: connection, max: 4 } : { max: 4, ...connection },
    );
    // An idle client losing its connection must not crash the worker; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  /** DDL, for `ripcord audit init-db` only: creates the table and its triggers (serialised with appends). */
  createSchema(): Promise<void> {
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
      await client.query(AUDIT_SCHEMA);
    });
  }

  /** Checks once per process that the table exists; the worker never creates it. */
  checkTable(): Promise<void> {
    this.ready ??= this.pool
      .query<{ t: string | null }>('SELECT to_regclass($1) AS t', [AUDIT_TABLE])
      .then((result) => {
        if (!result.rows[0]?.t) {
          throw ApplicationFailure.nonRetryable(
            `audit table ${AUDIT_TABLE} does not exist: run \`ripcord audit init-db --db <url>\` as the table's owner first`,
            'AuditTableMissing',
          );
        }
      })
      .catch((error: unknown) => {
        this.ready = undefined;
        throw error;
      });
    return this.ready;
  }

  async append(record: AuditRecord): Promise<AuditAppendResult> {
    await this.checkTable();
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
      const seen = await client.query<{ seq: string; hash: string }>(
        `SELECT seq, hash FROM ${AUDIT_TABLE} WHERE record_key = $1`,
        [record.id],
      );
      if (seen.rows[0]) {
        return { outcome: 'duplicate' as const, seq: Number(seen.rows[0].seq), hash: seen.rows[0].hash };
      }
      const last = await client.query<{ seq: string; hash: string }>(
        `SELECT seq, hash FROM ${AUDIT_TABLE} ORDER BY seq DESC LIMIT 1`,
      );
      const previous = last.rows[0] ? { seq: Number(last.rows[0].seq), hash: last.rows[0].hash } : undefined;
      const chained = chainRecord(redactRecord(record), previous, this.options.signer);
      await client.query(
        `INSERT INTO ${AUDIT_TABLE} (seq, record_key, workflow_id, deployment_id, at, kind, prev_hash, hash, entry)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          chained.seq,
          chained.id,
          chained.workflowId,
          chained.deploymentId,
          chained.at,
          chained.kind,
          chained.prevHash,
          chained.hash,
          serializeChained(chained),
        ],
      );
      return { outcome: 'stored' as const, seq: chained.seq, hash: chained.hash };
    });
  }

  /** Every row in seq order, as stored, for verification. A missing table is an empty trail. */
  async readEntries(): Promise<StoredEntry[]> {
    const exists = await this.pool.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [AUDIT_TABLE]);
    if (!exists.rows[0]?.t) return [];
    const rows = await this.pool.query<{ seq: string; entry: string }>(
      `SELECT seq, entry FROM ${AUDIT_TABLE} ORDER BY seq`,
    );
    return rows.rows.map((row) => ({
      where: `row seq=${row.seq}`,
      text: row.entry,
      storedSeq: Number(row.seq),
    }));
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  private async transaction<R>(fn: (client: PoolClient) => Promise<R>): Promise<R> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
