/** The `down-migration` rollback target: node-pg-migrate downs on PostgreSQL, with snapshots and compensation. */
export { MigrationsTarget, type MigrationsTargetOptions } from './target';
export { MigrationsTargetConfig, MigrationsServiceConfig } from './config';
export {
  classifyMigration,
  RipcordMigrationDeclaration,
  type ClassificationKind,
  type ClassifyOptions,
  type MigrationClassification,
  type TouchedObject,
} from './classify';
export { loadMigration, type LoadedMigration, type MigrationModule } from './migration-files';
export { snapshotPrefix } from './snapshot';
export { LEDGER_TABLE, type LedgerEntry, type SnapshotRecord } from './ledger';
