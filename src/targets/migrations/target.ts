import path from 'node:path';
import type { Client } from 'pg';
import type { CompensationOutcome, PlannedStep } from '../../model/plan';
import type { DeploymentInfo } from '../../model/guardian';
import { type SecretProvider, envSecretProvider } from '../../security/secrets';
import { PermanentStepError, StepVerificationError } from '../errors';
import type { ApplyResult, RollbackTarget, StepContext } from '../types';
import { type MigrationClassification, classifyMigration } from './classify';
import type { MigrationsServiceConfig, MigrationsTargetConfig } from './config';
import { TransientMigrationError, inTransaction, withDatabase } from './connection';
import { type LedgerEntry, ensureLedger, readLedger, recordApplied, recordCompensated } from './ledger';
import { type LoadedMigration, loadMigration } from './migration-files';
import { MigrationsTable } from './migrations-table';
import { PG_MIGRATE_LOCK_ID } from './node-pg-migrate';
import { type MigrationDb, buildMigration } from './operations';
import { restoreSnapshots, snapshotPrefix, stillPresent, takeSnapshots } from './snapshot';
import { quoteIdent } from './sql';

type DownMigrationAction = Extract<PlannedStep['action'], { type: 'down-migration' }>;

export interface MigrationsTargetOptions {
  /** Relative migrationsDir entries are resolved against this (the targets file's directory). Default: cwd. */
  baseDir?: string;
  /** Where `${secret:NAME}` references are looked up. Default: the environment. */
  secrets?: SecretProvider;
}

/** One service's settings with the defaults applied and the directory resolved. */
interface ServiceSettings extends MigrationsServiceConfig {
  service: string;
  dir: string;
  migrations: MigrationsTable;
}

/**
 * Rolls back the deployment's last database migration with node-pg-migrate,
 * and can undo that rollback.
 *
 * apply: one transaction that takes node-pg-migrate's advisory lock, checks
 * the step's key in ripcord's ledger (already there: applied:false), checks
 * that the migration is the latest applied one, snapshots what its down
 * removes, runs the down, removes it from the migrations table and records the
 * key. A crash anywhere leaves either all of it or none of it.
 *
 * The target fails closed: a step marked irreversible, a policy that calls the
 * migration irreversible, or a migration the classifier finds destructive is
 * refused before anything connects (PermanentStepError): a person decides.
 */
export class MigrationsTarget implements RollbackTarget {
  readonly name = 'postgres migrations (node-pg-migrate)';
  private readonly secrets: SecretProvider;
  private readonly baseDir: string;

  constructor(
    private readonly config: MigrationsTargetConfig,
    options: MigrationsTargetOptions = {},
  ) {
    this.secrets = options.secrets ?? envSecretProvider();
    this.baseDir = options.baseDir ?? process.cwd();
  }

  /** Loads and classifies a migration of a service without touching its database (for `explain`-style tools and tests). */
  async classify(service: string, migration: string): Promise<MigrationClassification> {
    const settings = this.settings(service);
    return classifyMigration(await loadMigration(settings.dir, migration), { schema: settings.schema });
  }

  serves(deployment: DeploymentInfo): string | undefined {
    return Object.hasOwn(this.config.services, deployment.service)
      ? undefined
      : `no migrations are configured for service "${deployment.service}" (configured: ${Object.keys(this.config.services).join(', ')})`;
  }

  async apply(step: PlannedStep, ctx: StepContext): Promise<ApplyResult> {
    const action = downMigration(step);
    refuseIrreversible(step, action);
    const settings = this.settings(ctx.deployment.service);
    const migration = await loadMigration(settings.dir, action.migration);
    const classification = await classifyMigration(migration, { schema: settings.schema });
    if (classification.kind === 'destructive') {
      throw new PermanentStepError(
        `migration ${action.migration} is destructive to roll back, although the policy calls it reversible: ${classification.reasons.join('; ')}. ripcord never runs a destructive down on its own: freeze and escalate to a person`,
      );
    }
    ctx.heartbeat({ step: step.index, phase: 'classified' });

    return withDatabase(this.connectionRef(settings, action), this.secrets, ctx, (client) =>
      inTransaction(client, async () => {
        await this.prepare(client, settings);
        await ensureLedger(client, settings.snapshotSchema);
        const done = await readLedger(client, settings.snapshotSchema, step.idempotencyKey);
        if (done?.compensatedAt !== null && done !== undefined) {
          throw new PermanentStepError(
            `step ${step.index} "${step.name}" was already rolled back and undone again; it needs a new plan`,
          );
        }
        if (done !== undefined) {
          return {
            applied: false,
            detail: `already applied (key ${step.idempotencyKey.slice(0, 12)}…): ${action.migration} was rolled back at ${done.appliedAt.toISOString()}; not applied again`,
          };
        }

        const [latest, previous] = await settings.migrations.latest(client, 2);
        if (latest !== action.migration) {
          const applied = await settings.migrations.isApplied(client, action.migration);
          throw new PermanentStepError(
            applied
              ? `migration ${action.migration} is not the latest applied one (the latest is ${latest}): only the latest migration can be rolled back`
              : `migration ${action.migration} is not applied in ${settings.migrations.name} (the latest is ${latest ?? 'none'}): nothing to roll back`,
          );
        }

        const snapshots = await takeSnapshots(client, classification.touches, {
          snapshotSchema: settings.snapshotSchema,
          idempotencyKey: step.idempotencyKey,
          migration: action.migration,
        });
        ctx.heartbeat({ step: step.index, phase: 'snapshotted' });
        await this.run(client, migration, 'down', settings);
        await settings.migrations.markRolledBack(client, action.migration);
        await recordApplied(client, settings.snapshotSchema, {
          idempotencyKey: step.idempotencyKey,
          deploymentId: ctx.deployment.deploymentId,
          planHash: ctx.planHash,
          stepIndex: step.index,
          service: settings.service,
          migration: action.migration,
          previousMigration: previous ?? null,
          snapshots,
        });
        const kept =
          snapshots.length === 0
            ? 'nothing to snapshot'
            : `snapshot ${snapshots.map((s) => `${s.schema}.${s.table} (${s.rows} rows) in ${settings.snapshotSchema}.${s.snapshotTable}`).join(', ')}`;
        return {
          applied: true,
          detail: `rolled back ${action.migration}; schema version now ${previous ?? 'none'}; ${kept}`,
        };
      }),
    );
  }

  async verify(step: PlannedStep, ctx: StepContext): Promise<string> {
    const action = downMigration(step);
    const settings = this.settings(ctx.deployment.service);
    return withDatabase(this.connectionRef(settings, action), this.secrets, ctx, async (client) => {
      const entry = await readLedger(client, settings.snapshotSchema, step.idempotencyKey);
      if (entry === undefined) {
        throw new StepVerificationError(`the rollback of ${action.migration} is not recorded as applied`);
      }
      if (entry.compensatedAt !== null) {
        throw new StepVerificationError(`the rollback of ${action.migration} was undone by compensation`);
      }
      const [latest] = await settings.migrations.latest(client, 1);
      if (
        (latest ?? null) !== entry.previousMigration ||
        (await settings.migrations.isApplied(client, action.migration))
      ) {
        throw new StepVerificationError(
          `expected schema version ${entry.previousMigration ?? 'none'} without ${action.migration}, read back ${latest ?? 'none'}`,
        );
      }
      const left = await stillPresent(client, entry.snapshots);
      if (left.length > 0) {
        throw new StepVerificationError(
          `the down of ${action.migration} should have removed ${left.join(', ')}`,
        );
      }
      const removed = entry.snapshots.map((s) =>
        s.kind === 'table'
          ? `${s.schema}.${s.table}`
          : s.columns.map((c) => `${s.schema}.${s.table}.${c}`).join(', '),
      );
      return `schema version ${latest ?? 'none'} (${action.migration} rolled back)${removed.length > 0 ? `; removed ${removed.join(', ')}` : ''}`;
    });
  }

  async compensate(step: PlannedStep, ctx: StepContext): Promise<CompensationOutcome> {
    const action = downMigration(step);
    if (step.irreversible || !action.reversible) {
      // apply refuses these before it connects, so there is never anything to undo.
      return {
        compensated: false,
        detail: 'an irreversible migration step is never run by ripcord: nothing to undo',
      };
    }
    const settings = this.settings(ctx.deployment.service);
    const outcome = await withDatabase(this.connectionRef(settings, action), this.secrets, ctx, (client) =>
      inTransaction(client, async (): Promise<CompensationOutcome> => {
        await this.prepare(client, settings);
        const entry = await readLedger(client, settings.snapshotSchema, step.idempotencyKey, {
          forUpdate: true,
        });
        if (entry === undefined) return { compensated: false, detail: 'never applied: nothing to undo' };
        if (entry.compensatedAt !== null) {
          return {
            compensated: true,
            detail: `already undone at ${entry.compensatedAt.toISOString()}: ${action.migration} is applied again`,
          };
        }
        await this.checkUnchangedSinceRollback(client, settings, entry);
        const migration = await loadMigration(settings.dir, action.migration);
        await this.run(client, migration, 'up', settings);
        await settings.migrations.markApplied(client, action.migration);
        ctx.heartbeat({ step: step.index, phase: 'up re-applied' });
        const restored = await restoreSnapshots(client, entry.snapshots, settings.snapshotSchema);
        await recordCompensated(client, settings.snapshotSchema, step.idempotencyKey);

        // Read back before committing: a mismatch rolls everything back and the compensation is retried.
        const [latest] = await settings.migrations.latest(client, 1);
        if (latest !== action.migration) {
          throw new StepVerificationError(
            `after re-running the up, the schema version reads ${latest ?? 'none'}, not ${action.migration}`,
          );
        }
        return {
          compensated: true,
          detail: `re-applied ${action.migration} (schema version ${latest}); restored ${restored.length > 0 ? restored.join(', ') : 'nothing (no data was snapshotted)'}`,
        };
      }),
    );
    return outcome;
  }

  /** Per transaction: node-pg-migrate's lock, its search_path, and a short lock timeout. */
  private async prepare(client: Client, settings: ServiceSettings): Promise<void> {
    const lock = await client.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_xact_lock($1::bigint) AS locked`,
      [String(PG_MIGRATE_LOCK_ID)],
    );
    if (lock.rows[0]?.locked !== true) {
      throw new TransientMigrationError(
        "another migration run holds node-pg-migrate's advisory lock on this database; the step will be retried",
      );
    }
    await client.query(`SET LOCAL lock_timeout = '${settings.lockTimeoutSeconds}s'`);
    await client.query(`SET LOCAL search_path TO ${quoteIdent(settings.schema)}`);
  }

  /** Builds the migration's SQL with node-pg-migrate against this transaction and runs it. */
  private async run(
    client: Client,
    migration: LoadedMigration,
    direction: 'up' | 'down',
    settings: ServiceSettings,
  ): Promise<void> {
    const db: MigrationDb = {
      query: (text, values) => client.query(text, values),
      select: async (text, values) => (await client.query(text, values)).rows,
    };
    const built = await buildMigration(migration, direction, db, settings.schema);
    if (!built.usesTransaction) {
      // The classifier refuses these; a file changed since would otherwise break the one transaction.
      throw new PermanentStepError(
        `the ${direction} of ${migration.name} must run outside a transaction; refusing`,
      );
    }
    for (const statement of built.sql) await client.query(statement);
  }

  private async checkUnchangedSinceRollback(
    client: Client,
    settings: ServiceSettings,
    entry: LedgerEntry,
  ): Promise<void> {
    const [latest] = await settings.migrations.latest(client, 1);
    if ((latest ?? null) === entry.previousMigration) return;
    const where = `the snapshots are in ${settings.snapshotSchema}.${snapshotPrefix(entry.idempotencyKey)}_*`;
    throw new PermanentStepError(
      latest === entry.migration
        ? `${entry.migration} was applied again outside ripcord since the rollback; its data was not restored: ${where}`
        : `the schema moved on since the rollback (latest migration ${latest ?? 'none'}, expected ${entry.previousMigration ?? 'none'}); restore by hand: ${where}`,
    );
  }

  private settings(service: string): ServiceSettings {
    const config = this.config.services[service];
    if (config === undefined) {
      throw new PermanentStepError(
        `no migrations are configured for service "${service}" (configured: ${Object.keys(this.config.services).join(', ')})`,
      );
    }
    return {
      ...config,
      service,
      dir: path.resolve(this.baseDir, config.migrationsDir),
      migrations: new MigrationsTable(config.migrationsSchema ?? config.schema, config.migrationsTable),
    };
  }

  private connectionRef(settings: ServiceSettings, action: DownMigrationAction): string {
    const reference = action.connectionSecret ?? settings.connectionSecret;
    if (reference === undefined) {
      throw new PermanentStepError(
        `no database connection for service "${settings.service}": set connectionSecret in the targets file or in the plan step`,
      );
    }
    return reference;
  }
}

function downMigration(step: PlannedStep): DownMigrationAction {
  if (step.action.type !== 'down-migration') {
    throw new PermanentStepError(`the migrations target cannot run "${step.action.type}" steps`);
  }
  return step.action;
}

function refuseIrreversible(step: PlannedStep, action: DownMigrationAction): void {
  if (step.irreversible || !action.reversible) {
    throw new PermanentStepError(
      `step ${step.index} "${step.name}": migration ${action.migration} is irreversible by policy; no machine may run its down: freeze and escalate to a person`,
    );
  }
}
