import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, open, readFile, type FileHandle } from 'node:fs/promises';

/** Size and SHA-256 (hex) of a file's bytes. */
export interface FileDigest {
  size: number;
  sha256: string;
}

const CHUNK = 1 << 20;

/** SHA-256 of `bytes`, hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Streams the file through SHA-256 from offset 0, up to `limit` bytes, in
 * chunks of at most 1 MiB so that memory stays flat for any file size.
 */
async function hashHandle(handle: FileHandle, limit = Infinity): Promise<FileDigest> {
  const hash = createHash('sha256');
  const { size } = await handle.stat();
  const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK, size, limit)));
  let total = 0;
  for (;;) {
    const want = Math.min(buffer.length, limit - total);
    if (want <= 0) break;
    const { bytesRead } = await handle.read(buffer, 0, want, total);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    total += bytesRead;
  }
  return { size: total, sha256: hash.digest('hex') };
}

/**
 * Hashes a regular file without following a symlink: a backup must not be
 * vouched for by bytes that live elsewhere. With `sync`, also fsyncs it (files
 * another tool wrote, such as tar, before they become part of a backup).
 * @returns `undefined` when `path` is not a regular file.
 * @throws the fs error (ENOENT...) when it cannot be opened.
 */
export async function hashFile(path: string, sync = false): Promise<FileDigest | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ELOOP') return undefined;
    throw error;
  }
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    const digest = await hashHandle(handle);
    if (sync) await handle.sync();
    return digest;
  } finally {
    await handle.close();
  }
}

/** SHA-256 of the first `length` bytes of `path` (fewer if the file is shorter). */
export async function hashPrefix(path: string, length: number): Promise<FileDigest> {
  const handle = await open(path, 'r');
  try {
    return await hashHandle(handle, length);
  } finally {
    await handle.close();
  }
}

/** Below this, a copy reads the file into memory: fewer system calls than a kernel copy and a re-read. */
const SMALL_FILE = 1 << 20;

/**
 * Copies `from` to `to` and fsyncs the copy, returning the digest of the bytes
 * written, not of a source that may have changed since. A small file is read,
 * hashed and written from memory; a large one is copied by the kernel (a
 * reflink where the file system offers one) and the copy is hashed through
 * the handle that fsyncs it, in 1 MiB chunks. A failed fsync is not retried
 * (RELIABILITY.md, fsyncgate).
 * @param sizeHint the source's size when known (from a stat), to choose the path.
 * @throws the fs error; `to` may then exist partly written (callers copy into a work directory).
 */
export async function copyDurably(
  from: string,
  to: string,
  sizeHint = Infinity,
): Promise<FileDigest> {
  if (sizeHint <= SMALL_FILE) {
    const bytes = await readFile(from);
    if (bytes.length <= SMALL_FILE) return writeDurably(to, bytes);
  }
  await copyFile(from, to, constants.COPYFILE_FICLONE);
  const handle = await open(to, 'r');
  try {
    const digest = await hashHandle(handle);
    await handle.sync();
    return digest;
  } finally {
    await handle.close();
  }
}

/** Writes `bytes` to a new `to` and fsyncs it. */
export async function writeDurably(to: string, bytes: Uint8Array): Promise<FileDigest> {
  const handle = await open(to, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { size: bytes.length, sha256: sha256(bytes) };
}
