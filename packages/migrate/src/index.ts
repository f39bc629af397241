export {
  Migrator,
  type MigrationReport,
  type MigratorOptions,
  type ProgressEvent,
  type MigrationRecoveryReport,
  type RunOptions,
  type StepReport,
} from './runner.js';
export {
  MigrationRegistry,
  defineMigrations,
  type Doc,
  type DocTransform,
  type Migration,
  type MigrationDefinition,
  type MigrationInfo,
  type Step,
  type StoreHook,
  type StoreHookContext,
  type TransformContext,
  type Transforms,
} from './registry.js';
export { defineCollection, type MigrationCollectionSetup } from './collections.js';
export { copyBackup, type BackupContext, type BackupFn, type BackupManifest } from './backup.js';
export { checkStoreVersion, type MigrationStatus, type StatusOptions } from './status.js';
export { readStoreVersion, writeStoreVersion, VERSION_FILE } from './version-file.js';
export { compareVersions, isVersion, type Version } from './versions.js';
export {
  upgradeDocument,
  upgradingSchema,
  type Upgraded,
  type UpgradeOptions,
} from './upgrade-on-read.js';
export { MIGRATION_FIELD, VERSION_FIELD, type MigrationStamp } from './document.js';
export type { Change } from './diff.js';
export type { CollectionReport, DocumentDiff } from './step.js';
export type { HistoryEntry, Marker } from './marker.js';
export { MIGRATE_ERROR_CODES, MIGRATE_WARNING_CODES, type MigrateErrorCode } from './codes.js';
export {
  DocumentVersionError,
  InvalidMigrationsError,
  MigrateError,
  MigrationFailedError,
  MigrationInProgressError,
  MigrationPlanError,
  StoreTooNewError,
  type Direction,
  type InterruptedMigration,
} from './errors.js';
