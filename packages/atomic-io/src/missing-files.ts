import type { BigIntStats, Dirent, Stats } from 'node:fs';
import { lstat, open, readFile, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { errnoOf } from './errors.js';

// A missing path reads as empty or null; every other error (EACCES, ENOTDIR, EIO...) is
// thrown as Node reports it, with its `path` and `code`: an unreadable file is not an absent one.

function missing(error: unknown): boolean {
  return errnoOf(error) === 'ENOENT';
}

/**
 * The names in `dir` (or its entries, with `withFileTypes`); `[]` when `dir` does not exist.
 * @throws the fs error for anything but a missing directory.
 */
export async function readdirOrEmpty(dir: string): Promise<string[]>;
export async function readdirOrEmpty(
  dir: string,
  options: { withFileTypes: true },
): Promise<Dirent[]>;
export async function readdirOrEmpty(
  dir: string,
  options?: { withFileTypes: true },
): Promise<string[] | Dirent[]> {
  try {
    return options === undefined ? await readdir(dir) : await readdir(dir, options);
  } catch (error) {
    if (missing(error)) return [];
    throw error;
  }
}

/**
 * `stat` of `path` (following symbolic links), or `null` when it does not exist.
 * @throws the fs error for anything but a missing path.
 */
export async function statOrNull(path: string): Promise<Stats | null>;
export async function statOrNull(
  path: string,
  options: { bigint: true },
): Promise<BigIntStats | null>;
export async function statOrNull(
  path: string,
  options?: { bigint: true },
): Promise<Stats | BigIntStats | null> {
  try {
    return options === undefined ? await stat(path) : await stat(path, options);
  } catch (error) {
    if (missing(error)) return null;
    throw error;
  }
}

/**
 * `lstat` of `path` (a symbolic link itself), or `null` when it does not exist.
 * @throws the fs error for anything but a missing path.
 */
export async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (error) {
    if (missing(error)) return null;
    throw error;
  }
}

/**
 * The bytes of `path` (its text, with an encoding), or `null` when it does not exist.
 * @throws the fs error for anything but a missing file.
 */
export async function readFileOrNull(path: string): Promise<Buffer | null>;
export async function readFileOrNull(path: string, encoding: 'utf8'): Promise<string | null>;
export async function readFileOrNull(
  path: string,
  encoding?: 'utf8',
): Promise<Buffer | string | null> {
  try {
    return encoding === undefined ? await readFile(path) : await readFile(path, encoding);
  } catch (error) {
    if (missing(error)) return null;
    throw error;
  }
}

/**
 * `path` opened for reading, or `null` when it does not exist. The caller closes it.
 * @throws the fs error for anything but a missing file.
 */
export async function openOrNull(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if (missing(error)) return null;
    throw error;
  }
}

/**
 * Removes the file `path` if it exists (not durable: fsync the directory when it must be).
 * @returns whether there was a file to remove.
 * @throws the fs error for anything but a missing file.
 */
export async function unlinkIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (missing(error)) return false;
    throw error;
  }
}
