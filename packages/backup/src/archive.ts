import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ensureDir, errnoOf, fsyncDirectory, nodeFs } from '@vellum/atomic-io';
import * as tar from 'tar';
import { BackupCorruptError, BackupExistsError, type BackupVerifyReport } from './errors.js';
import { exists, fromPosix, fsyncTree, removeStaleWork, walk, workName } from './files.js';
import { hashFile } from './hash.js';
import { recoverInterruptedRestore } from './interrupted.js';
import { backupPath, checkpointsDir, type BackupInfo, type BackupLocation } from './location.js';
import { isBackupId, type Manifest } from './manifest.js';
import { ProgressCounter, type OnProgress } from './progress.js';
import { DEFAULT_CONCURRENCY, checkFiles, loadManifest, verifyDirectory } from './verify.js';

export interface ArchiveOptions {
  onProgress?: OnProgress | undefined;
  /** Files hashed at once. Default 16. */
  concurrency?: number | undefined;
}

export interface ExportedArchive {
  /** Absolute path of the archive. */
  file: string;
  /** Size of the archive. */
  bytes: number;
  /** Files of the backup in it (the manifest aside). */
  files: number;
}

/** A temp name atomic-io's `cleanupTempFiles` recognizes: `.<name>.vellum-tmp-<pid>-<random>`. */
function tempPathFor(target: string): string {
  return join(
    dirname(target),
    `.${basename(target)}.vellum-tmp-${process.pid}-${randomBytes(6).toString('hex')}`,
  );
}

function unreadable(id: string, path: string, why: string): BackupVerifyReport {
  return {
    id,
    path,
    ok: false,
    manifest: why,
    missing: [],
    extra: [],
    changed: [],
    files: 0,
    bytes: 0,
  };
}

/**
 * Writes backup `id` as a portable `.tar.gz` holding its folder
 * (`<id>/manifest.json` and every file). The backup is verified first, so a
 * damaged backup is never passed on; the archive is written to a temp file,
 * fsynced and renamed into place.
 * @throws {BackupNotFoundError} no such backup.
 * @throws {BackupCorruptError} the backup does not match its manifest; nothing written.
 */
export async function exportBackup(
  location: BackupLocation,
  id: string,
  file: string,
  options: ArchiveOptions = {},
): Promise<ExportedArchive> {
  await recoverInterruptedRestore(location);
  const dir = await backupPath(location, id);
  const report = await verifyDirectory(dir, options);
  if (!report.ok) throw new BackupCorruptError(report);
  const target = resolve(file);
  await ensureDir(dirname(target));
  const temp = tempPathFor(target);
  const progress = new ProgressCounter('archive', options.onProgress);
  progress.plan(report.files + 1, report.bytes);
  try {
    await tar.create(
      {
        gzip: true,
        file: temp,
        cwd: dirname(dir),
        // No uid, gid, user names or atime: the archive says nothing about this machine's users.
        portable: true,
        filter: (_path, entry) => {
          if ('isFile' in entry && entry.isFile()) progress.done(entry.size);
          return true;
        },
      },
      [id],
    );
    const handle = await open(temp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    await fsyncDirectory(nodeFs, dirname(target));
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return { file: target, bytes: (await stat(target)).size, files: report.files };
}

/**
 * Adds the backup in a `.tar.gz` made by `exportBackup` to the backup
 * directory: extracted into a work folder (regular files and folders only;
 * links and absolute or `..` paths are refused), verified against its
 * manifest, fsynced, then renamed into `checkpoints/<id>`.
 * @returns the imported backup.
 * @throws {BackupCorruptError} the archive is unreadable, holds something else than one backup folder, or its files do not match the manifest; nothing added.
 * @throws {BackupExistsError} a backup with the same id is already there; nothing added.
 */
export async function importBackup(
  location: BackupLocation,
  file: string,
  options: ArchiveOptions = {},
): Promise<BackupInfo & { manifest: Manifest }> {
  await recoverInterruptedRestore(location);
  const archive = resolve(file);
  const dir = checkpointsDir(location);
  await ensureDir(dir);
  await removeStaleWork(dir, ['creating', 'importing', 'deleting']);
  const work = join(dir, workName('importing'));
  await mkdir(work);
  try {
    const refused: string[] = [];
    const extracting = new ProgressCounter('extract', options.onProgress);
    try {
      await tar.extract({
        file: archive,
        cwd: work,
        strict: true,
        preserveOwner: false,
        filter: (path, entry) => {
          const type = 'type' in entry ? entry.type : undefined;
          if (type === 'File' || type === 'OldFile' || type === 'Directory') {
            if (type !== 'Directory') {
              extracting.plan(1, entry.size);
              extracting.done(entry.size);
            }
            return true;
          }
          refused.push(path);
          return false;
        },
      });
    } catch (error) {
      throw new BackupCorruptError(
        unreadable(basename(archive), archive, `unreadable archive: ${(error as Error).message}`),
      );
    }
    const top = await readdir(work);
    const id = top[0];
    if (top.length !== 1 || id === undefined || !isBackupId(id)) {
      throw new BackupCorruptError(
        unreadable(
          basename(archive),
          archive,
          `the archive must hold exactly one backup folder (YYYYMMDD_HHMMSS), not ${JSON.stringify(top)}`,
        ),
      );
    }
    const extracted = join(work, id);
    const loaded = await loadManifest(extracted, id);
    if ('report' in loaded) throw new BackupCorruptError(loaded.report);
    // Hash and fsync in one read: tar does not fsync what it writes.
    const found = await checkFiles(
      extracted,
      loaded.manifest,
      (entry) => hashFile(fromPosix(extracted, entry.path), true),
      {
        phase: 'verify',
        onProgress: options.onProgress,
        concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
      },
    );
    const extra = [...found.extra, ...refused.map((path) => path.replace(`${id}/`, ''))];
    const ok = found.missing.length === 0 && extra.length === 0 && found.changed.length === 0;
    if (!ok) {
      throw new BackupCorruptError({
        id,
        path: archive,
        ok,
        manifest: undefined,
        ...found,
        extra,
      });
    }
    const target = join(dir, id);
    if (await exists(target)) throw new BackupExistsError(id, target);
    await hashFile(join(extracted, 'manifest.json'), true);
    const files = (await walk(extracted)).map((entry) => fromPosix(extracted, entry.path));
    await fsyncTree(extracted, files);
    try {
      await rename(extracted, target);
    } catch (error) {
      const errno = errnoOf(error);
      // Another import of the same backup won the race.
      if (errno === 'ENOTEMPTY' || errno === 'EEXIST') throw new BackupExistsError(id, target);
      throw error;
    }
    await fsyncDirectory(nodeFs, dir);
    return { id, path: target, manifest: loaded.manifest, problem: undefined };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
