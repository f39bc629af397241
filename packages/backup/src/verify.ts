import { basename } from 'node:path';
import { errnoOf } from '@vellum/atomic-io';
import type { ChangedFile, BackupVerifyReport } from './errors.js';
import { fromPosix, mapLimit, walk } from './files.js';
import { hashFile, type FileDigest } from './hash.js';
import { recoverInterruptedRestore } from './interrupted.js';
import { backupPath, type BackupLocation } from './location.js';
import { MANIFEST, readManifest, type Manifest, type ManifestFile } from './manifest.js';
import { ProgressCounter, type BackupPhase, type OnProgress } from './progress.js';

export interface VerifyOptions {
  onProgress?: OnProgress | undefined;
  /** Files hashed at once. Default 16. */
  concurrency?: number | undefined;
}

/** Files in flight at once: enough to keep libuv's four threads busy and let fsyncs share journal commits. */
export const DEFAULT_CONCURRENCY = 16;

/**
 * Compares a checkpoint directory with its manifest. `digestOf` reads one
 * listed file (hashing it in place, or copying it somewhere and hashing the
 * copy); it throws ENOENT for a missing file and returns `undefined` for
 * something that is not a regular file.
 */
export async function checkFiles(
  dir: string,
  manifest: Manifest,
  digestOf: (file: ManifestFile) => Promise<FileDigest | undefined>,
  options: VerifyOptions & { phase: BackupPhase },
): Promise<Omit<BackupVerifyReport, 'id' | 'path' | 'ok' | 'manifest'>> {
  const listed = new Set(manifest.files.map((file) => file.path));
  const extra = (await walk(dir))
    .map((entry) => entry.path)
    .filter((path) => path !== MANIFEST && !listed.has(path))
    .sort();
  const progress = new ProgressCounter(options.phase, options.onProgress);
  progress.plan(manifest.files.length, manifest.totals.bytes);
  const missing: string[] = [];
  const changed: ChangedFile[] = [];
  let bytes = 0;
  await mapLimit(manifest.files, options.concurrency ?? DEFAULT_CONCURRENCY, async (file) => {
    let digest: FileDigest | undefined;
    try {
      digest = await digestOf(file);
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error;
      missing.push(file.path);
      progress.done(0);
      return;
    }
    bytes += digest?.size ?? 0;
    progress.done(digest?.size ?? 0);
    if (digest === undefined || digest.size !== file.size || digest.sha256 !== file.sha256) {
      changed.push({
        path: file.path,
        expectedSize: file.size,
        actualSize: digest?.size ?? 0,
        expectedSha256: file.sha256,
        actualSha256: digest?.sha256,
      });
    }
  });
  missing.sort();
  changed.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { missing, extra, changed, files: manifest.files.length, bytes };
}

/**
 * Reads and checks a checkpoint directory's manifest.
 * @returns the manifest, or a report saying why it is unusable.
 */
export async function loadManifest(
  dir: string,
  id: string,
): Promise<{ manifest: Manifest } | { report: BackupVerifyReport }> {
  const manifest = await readManifest(dir);
  let problem: string | undefined;
  if (manifest instanceof Error) problem = manifest.message;
  else if (manifest.id !== id) problem = `it is the manifest of backup ${manifest.id}`;
  if (problem === undefined && !(manifest instanceof Error)) return { manifest };
  return {
    report: {
      id,
      path: dir,
      ok: false,
      manifest: problem,
      missing: [],
      extra: [],
      changed: [],
      files: 0,
      bytes: 0,
    },
  };
}

/** Verifies the checkpoint directory `dir` in place (its name is its id). */
export async function verifyDirectory(
  dir: string,
  options: VerifyOptions = {},
): Promise<BackupVerifyReport> {
  const id = basename(dir);
  const loaded = await loadManifest(dir, id);
  if ('report' in loaded) return loaded.report;
  const found = await checkFiles(
    dir,
    loaded.manifest,
    (file) => hashFile(fromPosix(dir, file.path)),
    { ...options, phase: 'verify' },
  );
  const ok = found.missing.length === 0 && found.extra.length === 0 && found.changed.length === 0;
  return { id, path: dir, ok, manifest: undefined, ...found };
}

/**
 * Hashes every file of backup `id` and compares it with the manifest: files
 * missing, extra, or changed (size or SHA-256), and the manifest's own
 * checksum. Reports damage; never throws for it.
 * @throws {BackupNotFoundError} no such backup.
 */
export async function verifyBackup(
  location: BackupLocation,
  id: string,
  options: VerifyOptions = {},
): Promise<BackupVerifyReport> {
  await recoverInterruptedRestore(location);
  return verifyDirectory(await backupPath(location, id), options);
}
