import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readdirOrEmpty, statOrNull } from '@vellum/atomic-io';
import { BackupNotFoundError } from './errors.js';
import { recoverInterruptedRestore } from './interrupted.js';
import { compareIds, isBackupId, readManifest, type Manifest } from './manifest.js';

/** Where a store and its backups are. */
export interface BackupLocation {
  /** The store's root directory (spec 000: `.ap-state`). */
  root: string;
  /** The folder that holds `checkpoints/`. Default: the root, as in spec 000. */
  backupDir?: string | undefined;
}

/** `<backupDir>/checkpoints`, absolute. */
export function checkpointsDir(location: BackupLocation): string {
  return resolve(location.backupDir ?? location.root, 'checkpoints');
}

/**
 * The checkpoint directory of backup `id`.
 * @throws {BackupNotFoundError} no such backup (or `id` is not a backup id).
 */
export async function backupPath(location: BackupLocation, id: string): Promise<string> {
  const path = join(checkpointsDir(location), id);
  if (!isBackupId(id)) throw new BackupNotFoundError(id, path);
  if ((await statOrNull(path))?.isDirectory() === true) return path;
  throw new BackupNotFoundError(id, path);
}

/** A checkpoint directory, as `listBackups` sees it. */
export interface BackupInfo {
  id: string;
  /** Absolute path of the checkpoint directory. */
  path: string;
  /** The manifest; `undefined` when it is unusable (see `problem`). */
  manifest: Manifest | undefined;
  /** Why the manifest cannot be used: missing, changed, unknown version... */
  problem: string | undefined;
}

/**
 * Every checkpoint directory (`YYYYMMDD_HHMMSS`), oldest first. Only the
 * manifest is read (and its checksum checked), not the files: use
 * `verifyBackup` for that. Work directories of unfinished operations are not listed.
 */
export async function listBackups(location: BackupLocation): Promise<BackupInfo[]> {
  // With the backups inside the root, a half-done restore would hide them all.
  await recoverInterruptedRestore(location);
  const dir = checkpointsDir(location);
  const out: BackupInfo[] = [];
  for (const id of (await readdirOrEmpty(dir)).filter(isBackupId).sort(compareIds)) {
    const path = join(dir, id);
    if (!(await stat(path)).isDirectory()) continue;
    const manifest = await readManifest(path);
    if (manifest instanceof Error) {
      out.push({ id, path, manifest: undefined, problem: manifest.message });
    } else if (manifest.id !== id) {
      out.push({
        id,
        path,
        manifest: undefined,
        problem: `its manifest is for backup ${manifest.id}`,
      });
    } else {
      out.push({ id, path, manifest, problem: undefined });
    }
  }
  return out;
}
