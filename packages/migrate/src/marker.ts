import { dirname, join } from 'node:path';
import {
  CorruptFileError,
  appendRecords,
  ensureDir,
  fsyncDirectory,
  nodeFs,
  readJson,
  unlinkIfExists,
  writeJsonAtomic,
} from '@vellum/atomic-io';
import type { Direction, InterruptedMigration } from './errors.js';
import type { Version } from './versions.js';

/** `<root>/.vellum/migrations`: the marker, the history and the default backups. */
export function migrationsDir(root: string): string {
  return join(root, '.vellum', 'migrations');
}

export function markerPath(root: string): string {
  return join(migrationsDir(root), 'in-progress.json');
}

export function historyPath(root: string): string {
  return join(migrationsDir(root), 'history.jsonl');
}

/**
 * `in-progress.json`: written before a step's first document is committed and
 * removed after its version file is written. Its presence at open means the
 * step was interrupted; `migrated_at` identifies the run, because every
 * document the run commits carries it in `_migration`.
 */
export interface Marker {
  format: 1;
  migration_id: string;
  direction: Direction;
  from_version: Version;
  to_version: Version;
  migrated_at: string;
  /** `documents`: committing documents; `store`: all committed, store hook running. */
  phase: 'documents' | 'store';
  backup: string | null;
  collections: string[];
  pid: number;
}

function isMarker(value: unknown): value is Marker {
  const m = value as Partial<Marker> | null;
  return (
    m?.format === 1 &&
    typeof m.migration_id === 'string' &&
    (m.direction === 'up' || m.direction === 'down') &&
    typeof m.from_version === 'string' &&
    typeof m.to_version === 'string' &&
    typeof m.migrated_at === 'string' &&
    (m.phase === 'documents' || m.phase === 'store') &&
    Array.isArray(m.collections)
  );
}

/**
 * @returns `null` when no migration step is in progress.
 * @throws {CorruptFileError} the marker is not one this package writes.
 */
export async function readMarker(root: string): Promise<Marker | null> {
  const path = markerPath(root);
  const value = await readJson(path);
  if (value === null) return null;
  if (!isMarker(value))
    throw new CorruptFileError(`${path}: not a migration marker`, { path, line: 1, column: 1 });
  return value;
}

/** Writes the marker atomically (and durably: the step relies on it). */
export async function writeMarker(root: string, marker: Marker): Promise<void> {
  await ensureDir(migrationsDir(root));
  await writeJsonAtomic(markerPath(root), marker);
}

/** Removes the marker durably: the directory is fsynced, so the removal survives a crash. */
export async function clearMarker(root: string): Promise<void> {
  const path = markerPath(root);
  if (!(await unlinkIfExists(path))) return;
  await fsyncDirectory(nodeFs, dirname(path));
}

export function interruptedFrom(marker: Marker): InterruptedMigration {
  return {
    migrationId: marker.migration_id,
    direction: marker.direction,
    from: marker.from_version,
    to: marker.to_version,
    startedAt: marker.migrated_at,
    backup: marker.backup ?? undefined,
    pid: marker.pid,
  };
}

/** One line of `history.jsonl`: a finished step. */
export interface HistoryEntry {
  migration_id: string;
  direction: Direction;
  from_version: Version;
  to_version: Version;
  migrated_at: string;
  finished_at: string;
  backup: string | null;
  documents: number;
  /** Finished by recovery after an interruption. */
  recovered: boolean;
}

/** Appends a finished step to the audit log (fdatasynced). */
export async function appendHistory(root: string, entry: HistoryEntry): Promise<void> {
  await ensureDir(migrationsDir(root));
  await appendRecords(historyPath(root), [entry]);
}
