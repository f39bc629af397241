import { VellumError, type VellumErrorOptions } from '@vellum/atomic-io';
import { BACKUP_ERROR_CODES, type BackupErrorCode } from './codes.js';

/** A file of a backup that does not match its manifest. */
export interface ChangedFile {
  /** Relative to the backup, `/`-separated. */
  path: string;
  expectedSize: number;
  actualSize: number;
  expectedSha256: string;
  /** `undefined` when the file could not be read as a regular file (a symlink, a directory). */
  actualSha256: string | undefined;
}

/** What `verifyBackup` found; `ok` only when every list is empty. */
export interface BackupVerifyReport {
  id: string;
  /** Absolute path of the checkpoint directory. */
  path: string;
  ok: boolean;
  /** Why the manifest itself is unusable (unreadable, bad checksum, unknown version); then nothing else was checked. */
  manifest: string | undefined;
  /** In the manifest, absent from the backup. */
  missing: string[];
  /** In the backup, absent from the manifest. */
  extra: string[];
  /** Present but with other bytes (size or SHA-256). */
  changed: ChangedFile[];
  /** Files and bytes hashed. */
  files: number;
  bytes: number;
}

/** The errors of `@vellum/backup`: the category comes from `BACKUP_ERROR_CODES`. */
export class BackupError extends VellumError {
  constructor(code: BackupErrorCode, message: string, options: VellumErrorOptions = {}) {
    super(code, BACKUP_ERROR_CODES[code], message, options);
  }
}

/** No backup with this id in the backup directory (`VELLUM_BACKUP_NOT_FOUND`). */
export class BackupNotFoundError extends BackupError {
  readonly id: string;
  constructor(id: string, path: string) {
    super('VELLUM_BACKUP_NOT_FOUND', `backup ${JSON.stringify(id)}: not found (no ${path})`, {
      path,
    });
    this.id = id;
  }
}

/**
 * A backup's files do not match its manifest, or the manifest is unusable
 * (`VELLUM_BACKUP_CORRUPT`). `files` lists every bad path; `report` has the detail.
 */
export class BackupCorruptError extends BackupError {
  readonly id: string;
  readonly report: BackupVerifyReport;
  /** Every missing, extra or changed file, and `manifest.json` when the manifest is the problem. */
  readonly files: string[];
  constructor(report: BackupVerifyReport) {
    const files = [
      ...(report.manifest === undefined ? [] : ['manifest.json']),
      ...report.missing,
      ...report.extra,
      ...report.changed.map((c) => c.path),
    ];
    const detail =
      report.manifest !== undefined
        ? `manifest: ${report.manifest}`
        : [
            report.missing.length > 0 ? `${report.missing.length} missing` : '',
            report.extra.length > 0 ? `${report.extra.length} extra` : '',
            report.changed.length > 0 ? `${report.changed.length} changed` : '',
          ]
            .filter((part) => part !== '')
            .join(', ');
    const shown = files.slice(0, 5).join(', ') + (files.length > 5 ? ', ...' : '');
    super(
      'VELLUM_BACKUP_CORRUPT',
      `backup ${report.id}: corrupt (${detail}) at ${report.path}: ${shown}`,
      { path: report.path },
    );
    this.id = report.id;
    this.report = report;
    this.files = files;
  }
}

/** A backup with this id is already there (`VELLUM_BACKUP_EXISTS`): an import never overwrites one. */
export class BackupExistsError extends BackupError {
  readonly id: string;
  constructor(id: string, path: string) {
    super('VELLUM_BACKUP_EXISTS', `backup ${id}: already exists at ${path}`, { path });
    this.id = id;
  }
}

/** Options that cannot be carried out as given (`VELLUM_BACKUP_USAGE`); nothing was changed. */
export class BackupUsageError extends BackupError {
  constructor(message: string, path?: string) {
    super('VELLUM_BACKUP_USAGE', message, { path });
  }
}

/**
 * The restore target lies before the point the backup can restore to, or names
 * an unknown collection (`VELLUM_BACKUP_TARGET`); nothing was changed.
 */
export class RestoreTargetError extends BackupError {
  readonly collection: string;
  /** The earliest sequence number this backup can restore the collection to. */
  readonly earliestSeq: number;
  constructor(collection: string, message: string, earliestSeq: number) {
    super('VELLUM_BACKUP_TARGET', `${collection}: ${message}`);
    this.collection = collection;
    this.earliestSeq = earliestSeq;
  }
}

/**
 * The journal history between the backup and the restore target is not
 * available (`VELLUM_BACKUP_HISTORY_MISSING`): compacted since the backup, or
 * the current journal is not a continuation of the backup's. Nothing was changed.
 */
export class HistoryMissingError extends BackupError {
  readonly collection: string;
  readonly reason: string;
  constructor(collection: string, reason: string, path?: string) {
    super(
      'VELLUM_BACKUP_HISTORY_MISSING',
      `${collection}: cannot replay past the backup: ${reason}`,
      { path },
    );
    this.collection = collection;
    this.reason = reason;
  }
}
