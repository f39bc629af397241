import { join } from 'node:path';
import { CorruptFileError, ensureDir, readFileOrNull, writeFileAtomic } from '@vellum/atomic-io';
import { isVersion, type Version } from './versions.js';

/** Spec 000: `.ap-state/version`, read with `cat` and written with `echo "$v" >`. */
export const VERSION_FILE = 'version';

/** Absolute path of a store's version file. */
export function versionFilePath(root: string): string {
  return join(root, VERSION_FILE);
}

/**
 * The store's version: the file's text without surrounding whitespace, so a
 * file written by `echo`, by an editor without a final newline or with CRLF
 * reads the same.
 * @returns `null` when the store has no version file.
 * @throws {CorruptFileError} the file holds something other than one version.
 */
export async function readStoreVersion(root: string): Promise<Version | null> {
  const path = versionFilePath(root);
  const text = await readFileOrNull(path, 'utf8');
  if (text === null) return null;
  const version = text.trim();
  if (!isVersion(version)) {
    throw new CorruptFileError(
      `${path}:1:1: expected one version such as "2" or "1.0.0" followed by a newline, found ${JSON.stringify(text.slice(0, 40))}`,
      { path, line: 1, column: 1 },
    );
  }
  return version;
}

/**
 * Replaces the version file atomically (temp file, fsync, rename, fsync of the
 * root) with `<version>\n`, the bytes `echo "$version" > version` writes.
 * @throws {WriteError} | {DiskFullError} the file is unchanged.
 * @throws {DurabilityError} renamed, but the directory fsync failed.
 */
export async function writeStoreVersion(root: string, version: Version): Promise<void> {
  await ensureDir(root);
  await writeFileAtomic(versionFilePath(root), `${version}\n`);
}
