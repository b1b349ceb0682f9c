import { z } from 'zod';
import { SecretRef } from '../../policy/schema/common';

/**
 * The migrations target's entry in the worker's targets file.
 *
 * ```yaml
 * type: postgres-migrations
 * services:
 *   checkout:                                  # the deployment's service name
 *     migrationsDir: ../checkout/migrations    # node-pg-migrate's dir (relative: to the targets file)
 *     connectionSecret: ${secret:CHECKOUT_DB}  # a postgres:// URL; a plan step's connectionSecret wins
 *     migrationsTable: pgmigrations            # optional, node-pg-migrate's default
 *     schema: public                           # optional: where unqualified tables live (search_path)
 *     migrationsSchema: public                 # optional: where migrationsTable lives (default: schema)
 *     snapshotSchema: ripcord_snapshots        # optional: snapshots and ripcord's own ledger table
 *     lockTimeoutSeconds: 5                    # optional: how long DDL may wait for a table lock
 * ```
 */

// PostgreSQL identifiers as people write them unquoted; ripcord quotes them anyway.
const Identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/, {
  error: 'must be a PostgreSQL identifier: a letter or "_", then letters, digits, "_" or "$" (at most 63)',
});

const ServiceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
  error: 'must be a service name: letters, digits, "_", "." and "-", at most 64',
});

export const MigrationsServiceConfig = z.strictObject({
  migrationsDir: z.string().min(1, { error: 'must name the directory of the migration files' }),
  /** Optional here when every down-migration step of the service's policies names its own. */
  connectionSecret: SecretRef.optional(),
  migrationsTable: Identifier.default('pgmigrations'),
  schema: Identifier.default('public'),
  migrationsSchema: Identifier.optional(),
  snapshotSchema: Identifier.default('ripcord_snapshots'),
  /**
   * DDL takes an exclusive lock and every query on the table queues behind it
   * while it waits: better to give up quickly (the step is retried) than to
   * stall the application behind a long transaction.
   */
  lockTimeoutSeconds: z.number().int().min(1).max(600).default(5),
});
export type MigrationsServiceConfig = z.infer<typeof MigrationsServiceConfig>;

export const MigrationsTargetConfig = z.strictObject({
  type: z.literal('postgres-migrations'),
  services: z
    .record(ServiceName, MigrationsServiceConfig)
    .refine((services) => Object.keys(services).length > 0, { error: 'must name at least one service' }),
});
export type MigrationsTargetConfig = z.infer<typeof MigrationsTargetConfig>;
