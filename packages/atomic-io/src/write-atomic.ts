import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DurabilityError, errnoOf, toWriteError } from './errors.js';
import { fsyncDirectory, nodeFs, writeAll, type FileHandleLike, type FsLayer } from './fs-layer.js';
import { formatJson, type JsonFormatOptions } from './json-format.js';
import { tempPathFor } from './temp-files.js';

/** Proof that a lock is still held; checked right before the rename that publishes a write. */
export interface LockGuard {
  /** @throws {LockCompromisedError} when the lock was lost. */
  assertHeld(): Promise<void>;
}

export interface WriteFileOptions {
  /** Keep the previous version as `<name>.bak` (spec 003). */
  backup?: boolean | undefined;
  /** File mode for a new file (umask applies). Default: the existing file's mode, else 0o666. */
  mode?: number | undefined;
  /** The write is published only while this lock is held. */
  lock?: LockGuard | undefined;
  /** File-system layer, for fault injection. */
  fs?: FsLayer | undefined;
}

export type WriteJsonOptions = WriteFileOptions & JsonFormatOptions;

async function removeQuietly(fs: FsLayer, path: string): Promise<void> {
  await fs.unlink(path).catch(() => undefined);
}

async function existingMode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode & 0o7777;
  } catch {
    return undefined;
  }
}

async function syncAndClose(handle: FileHandleLike): Promise<void> {
  try {
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  await handle.close();
}

/**
 * Makes `<target>.bak` a synced copy of `target`. A copy, never a hard link:
 * spec 003's tool backs up with `shutil.copy2`, which refuses (`SameFileError`)
 * a `.bak` that is the live file, as a link would stay if the publish after it
 * failed or was cut off. A missing target means there is nothing to keep.
 */
async function keepBackup(fs: FsLayer, target: string): Promise<void> {
  const backup = `${target}.bak`;
  const temp = tempPathFor(backup);
  try {
    await fs.copyFile(target, temp);
  } catch (error) {
    await removeQuietly(fs, temp);
    if (errnoOf(error) === 'ENOENT') return;
    throw error;
  }
  try {
    await syncAndClose(await fs.open(temp, 'r+'));
    await fs.rename(temp, backup);
  } catch (error) {
    await removeQuietly(fs, temp);
    throw error;
  }
}

/**
 * Replaces `path` with `data` so that a crash at any moment leaves either the
 * old or the new content: unique temp file in the same directory, every byte
 * written, fsync, rename, fsync of the directory. Resolves only when durable.
 *
 * @throws {DiskFullError} the disk is full; the target is unchanged, no temp file is left.
 * @throws {WriteError} any other failure before the rename; the target is unchanged.
 * @throws {LockCompromisedError} `options.lock` was lost; nothing was published.
 * @throws {DurabilityError} the new content is in place but the directory fsync failed.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileOptions = {},
): Promise<void> {
  const fs = options.fs ?? nodeFs;
  const target = resolve(path);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const mode = options.mode ?? (await existingMode(target)) ?? 0o666;
  const temp = tempPathFor(target);

  let handle: FileHandleLike;
  try {
    handle = await fs.open(temp, 'wx', mode);
  } catch (error) {
    throw toWriteError(error, target, 'cannot create a temp file to write');
  }
  try {
    await writeAll(handle, bytes, 0);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await removeQuietly(fs, temp);
    throw toWriteError(error, target, 'cannot write');
  }
  try {
    // A failed fsync is never retried: the kernel may have dropped the pages (fsyncgate).
    await syncAndClose(handle);
  } catch (error) {
    await removeQuietly(fs, temp);
    throw toWriteError(error, target, 'cannot fsync');
  }
  try {
    if (options.backup === true) await keepBackup(fs, target);
    await options.lock?.assertHeld();
    await fs.rename(temp, target);
  } catch (error) {
    await removeQuietly(fs, temp);
    throw toWriteError(error, target, 'cannot replace');
  }
  try {
    await fsyncDirectory(fs, dirname(target));
  } catch (error) {
    throw new DurabilityError(
      `${target} was replaced but fsync of its directory failed: the change may not survive a crash`,
      { path: target, cause: error },
    );
  }
}

/**
 * `writeFileAtomic` of deterministic JSON (two-space indent, trailing newline,
 * optionally sorted keys).
 * @throws {SerializationError} the value is not JSON; nothing is written.
 */
export async function writeJsonAtomic(
  path: string,
  value: unknown,
  options: WriteJsonOptions = {},
): Promise<void> {
  await writeFileAtomic(path, formatJson(value, options, resolve(path)), options);
}

/**
 * `mkdir -p` that makes each new directory durable (fsync of its parent).
 * @returns the directories it created, outermost first.
 */
export async function ensureDir(dir: string, fs: FsLayer = nodeFs): Promise<string[]> {
  const target = resolve(dir);
  const first = await mkdir(target, { recursive: true });
  if (first === undefined) return [];
  const created: string[] = [];
  for (let current = target; ; current = dirname(current)) {
    created.unshift(current);
    if (current === first) break;
  }
  for (const made of created) await fsyncDirectory(fs, dirname(made));
  return created;
}
