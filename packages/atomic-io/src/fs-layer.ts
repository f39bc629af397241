import * as fsp from 'node:fs/promises';

/** The subset of `FileHandle` the write paths use. Node's `FileHandle` satisfies it. */
export interface FileHandleLike {
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  stat(): Promise<{ size: number; mode: number }>;
  close(): Promise<void>;
}

/**
 * Every file-system call a write path makes goes through this layer, so that
 * tests can count calls and inject faults or a SIGKILL at each boundary.
 */
export interface FsLayer {
  open(path: string, flags: string | number, mode?: number): Promise<FileHandleLike>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
}

export const nodeFs: FsLayer = {
  open: (path, flags, mode) => fsp.open(path, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  link: (existing, newPath) => fsp.link(existing, newPath),
  copyFile: (from, to) => fsp.copyFile(from, to),
};

/** Writes every byte: `write` may return fewer bytes than asked without an error. */
export async function writeAll(
  handle: FileHandleLike,
  data: Uint8Array,
  startPosition: number | null,
): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const position = startPosition === null ? null : startPosition + written;
    const { bytesWritten } = await handle.write(data, written, data.length - written, position);
    if (bytesWritten <= 0) {
      throw Object.assign(new Error('write made no progress (no space left?)'), {
        code: 'ENOSPC',
      });
    }
    written += bytesWritten;
  }
}

/**
 * fsync a directory so that a rename or a new entry in it survives a crash.
 * Windows cannot open a directory for fsync (EPERM/EISDIR); there it is skipped.
 */
export async function fsyncDirectory(fs: FsLayer, dir: string): Promise<void> {
  let handle: FileHandleLike;
  try {
    handle = await fs.open(dir, 'r');
  } catch (error) {
    if (process.platform === 'win32') return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (!(process.platform === 'win32' && (code === 'EPERM' || code === 'EISDIR'))) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }
  await handle.close();
}
