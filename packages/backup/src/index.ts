export {
  createBackup,
  type BackupSource,
  type CreateBackupOptions,
  type CreatedBackup,
} from './create.js';
export { listBackups, type BackupInfo, type BackupLocation } from './location.js';
export { verifyBackup, type VerifyOptions } from './verify.js';
export {
  restoreBackup,
  type RestoreOptions,
  type RestoreReport,
  type RestoreTarget,
  type RestoredCollection,
} from './restore.js';
export { recoverInterruptedRestore, type CompletedRestore } from './interrupted.js';
export {
  rotateBackups,
  selectKept,
  isoWeek,
  type RotatePolicy,
  type RotateResult,
} from './rotate.js';
export {
  exportBackup,
  importBackup,
  type ArchiveOptions,
  type ExportedArchive,
} from './archive.js';
export {
  MANIFEST,
  type FileRole,
  type Manifest,
  type ManifestCollection,
  type ManifestFile,
} from './manifest.js';
export type { BackupPhase, BackupProgress, OnProgress } from './progress.js';
export { BACKUP_ERROR_CODES, type BackupErrorCode } from './codes.js';
export {
  BackupCorruptError,
  BackupError,
  BackupExistsError,
  BackupNotFoundError,
  BackupUsageError,
  HistoryMissingError,
  RestoreTargetError,
  type ChangedFile,
  type BackupVerifyReport,
} from './errors.js';
