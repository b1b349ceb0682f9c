import type { Client } from 'pg';
import { PermanentStepError } from '../errors';
import { qualified } from './sql';

/**
 * node-pg-migrate's own bookkeeping table (id, name, run_on). Its order is
 * node-pg-migrate's order: run_on, then id; the last row is the schema's
 * version.
 */
export class MigrationsTable {
  constructor(
    private readonly schema: string,
    private readonly table: string,
  ) {}

  get name(): string {
    return `${this.schema}.${this.table}`;
  }

  /** The latest applied migrations, newest first. */
  async latest(client: Client, count: number): Promise<string[]> {
    await this.mustExist(client);
    const result = await client.query<{ name: string }>(
      `SELECT name FROM ${qualified(this.schema, this.table)} ORDER BY run_on DESC, id DESC LIMIT $1`,
      [count],
    );
    return result.rows.map((row) => row.name);
  }

  async isApplied(client: Client, migration: string): Promise<boolean> {
    await this.mustExist(client);
    const result = await client.query(`SELECT 1 FROM ${qualified(this.schema, this.table)} WHERE name = $1`, [
      migration,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  /** What node-pg-migrate does after a down. */
  async markRolledBack(client: Client, migration: string): Promise<void> {
    await client.query(`DELETE FROM ${qualified(this.schema, this.table)} WHERE name = $1`, [migration]);
  }

  /** What node-pg-migrate does after an up. */
  async markApplied(client: Client, migration: string): Promise<void> {
    await client.query(
      `INSERT INTO ${qualified(this.schema, this.table)} (name, run_on) VALUES ($1, now())`,
      [migration],
    );
  }

  private async mustExist(client: Client): Promise<void> {
    const result = await client.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [
      qualified(this.schema, this.table),
    ]);
    if (result.rows[0]?.found !== true) {
      throw new PermanentStepError(
        `the database has no migrations table ${this.name}: has node-pg-migrate ever run against it (migrationsTable, migrationsSchema)?`,
      );
    }
  }
}
