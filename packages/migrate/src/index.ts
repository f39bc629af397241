export {
  Migrator,
  type MigrationReport,
  type MigratorOptions,
  type ProgressEvent,
  type RecoveryReport,
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
export { defineCollection, type CollectionSetup } from './collections.js';
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
export {
  DocumentVersionError,
  InvalidMigrationsError,
  MigrationFailedError,
  MigrationInProgressError,
  MigrationPlanError,
  StoreTooNewError,
  type Direction,
  type InterruptedMigration,
} from './errors.js';
