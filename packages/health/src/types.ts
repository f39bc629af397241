import type { FileEntry } from './walk.js';

/** `warning`: the store works but needs attention. `error`: it cannot be trusted to work. */
export type Severity = 'warning' | 'error';

/** `ok`: no issue. `degraded`: warnings only. `failing`: at least one error. */
export type HealthStatus = 'ok' | 'degraded' | 'failing';

/** The codes the built-in checks report. They are stable: match on them, not on messages. */
export type BuiltInIssueCode =
  | 'dir_missing'
  | 'dir_not_writable'
  | 'disk_low'
  | 'disk_critical'
  | 'index_drift'
  | 'index_file_corrupt'
  | 'journal_torn_tail'
  | 'journal_corrupt'
  | 'snapshot_rebuilt'
  | 'history_gap'
  | 'lock_stale'
  | 'lock_owner_dead'
  | 'temp_orphan'
  | 'backup_missing'
  | 'backup_stale'
  | 'backup_incomplete'
  | 'check_failed';

export interface HealthIssue {
  /** A `BuiltInIssueCode`, or a custom check's own code. */
  code: string;
  severity: Severity;
  message: string;
  /** The file or directory concerned, when there is one. */
  path?: string;
}

/**
 * What the index and journal checks need from a collection. `Collection`
 * from `@vellum/collection` has all of it; anything else with these members
 * can be checked too.
 */
export interface HealthSource {
  readonly name: string;
  readonly stateDir: string;
  readonly journalDir: string;
  verifyIndexes(): Promise<
    Record<string, { ok: boolean; missing: number; extra: number; file?: string }>
  >;
  files(): Promise<{ readonly indexes: readonly string[] }>;
  /**
   * What opening it found; `rebuilt`: the snapshot was lost and the state rebuilt
   * (`Collection.report`), which the recovery check reports.
   */
  readonly report?:
    | {
        readonly rebuilt?:
          | {
              from: 'journal' | 'files';
              gap?: { fromSeq: number; toSeq: number } | undefined;
              restored: readonly string[];
            }
          | undefined;
      }
    | undefined;
}

/** Limits the checks compare against. Every one has a default. */
export interface HealthThresholds {
  /** Less free space than this is `disk_low` (warning). Default 1 GiB, spec 000's `df` limit. */
  minFreeBytes: number;
  /** Less free space than this is `disk_critical` (error). Default 64 MiB. */
  criticalFreeBytes: number;
  /** A lock not refreshed for this long is `lock_stale`. Default 30 s (holders refresh every 5 s). */
  staleLockMs: number;
  /** A temp file of a live process older than this is orphaned (its pid was reused). Default 1 h. */
  tempMaxAgeMs: number;
  /** The newest complete backup older than this is `backup_stale`. Default 24 h. */
  maxBackupAgeMs: number;
  /** A checkpoint without `manifest.json` younger than this is in progress, not abandoned. Default 1 h. */
  backupGraceMs: number;
  /** A torn journal tail still there after this long is not an append in flight. Default 100 ms. */
  journalSettleMs: number;
  /** How deep the scans for locks, temp files and sizes go. Default 32. */
  maxScanDepth: number;
}

/** What every check receives: normalized options and shared, lazily computed facts. */
export interface CheckContext {
  /** The store's root directory (absolute). */
  readonly root: string;
  /** The root and every collection's state and journal directory (absolute, distinct). */
  readonly dirs: readonly string[];
  readonly sources: readonly HealthSource[];
  /** Every collection's journal directory and the extra ones given (absolute, distinct). */
  readonly journalDirs: readonly string[];
  readonly backupDir: string | undefined;
  /** How backup directory names (`YYYYMMDD_HHMMSS`) are read. */
  readonly backupTimeZone: 'utc' | 'local';
  readonly thresholds: Readonly<HealthThresholds>;
  now(): Date;
  /** Every entry under `dirs`, scanned once however many checks ask. */
  entries(): Promise<readonly FileEntry[]>;
}

/** A check's findings; `details` are facts for people and dashboards (JSON values). */
export type CheckOutcome =
  { issues: HealthIssue[]; details: Record<string, unknown> } | { skipped: string };

/** One health check: one job, told everything through the context. */
export interface HealthCheck {
  /** Names the check in `HealthReport.checks`; unique within one run. */
  readonly name: string;
  run(context: CheckContext): Promise<CheckOutcome>;
}

export interface CheckReport {
  status: HealthStatus | 'skipped';
  issues: HealthIssue[];
  durationMs: number;
  details: Record<string, unknown>;
}

export interface HealthReport {
  status: HealthStatus;
  checkedAt: string;
  /** Every check's issues, in check order. */
  issues: HealthIssue[];
  checks: Record<string, CheckReport>;
}
