import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SerializationError, errnoOf, toWriteError } from './errors.js';
import { fsyncDirectory, nodeFs, writeAll, type FileHandleLike, type FsLayer } from './fs-layer.js';
import { formatJsonLine } from './json-format.js';

export interface AppendResult {
  /** Byte offset of the first appended line. */
  offset: number;
  /** Bytes appended for these records. */
  bytes: number;
}

export interface AppenderOptions {
  fs?: FsLayer | undefined;
  /** Close the file after this long without appends (the appender reopens it). Default 1000 ms. */
  idleCloseMs?: number | undefined;
}

interface Pending {
  bytes: Buffer;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

const APPEND = constants.O_WRONLY | constants.O_APPEND;

/**
 * Appends JSONL records to one file with group commit: every caller that
 * arrives while a flush is under way joins the next one, so many concurrent
 * appends share one fdatasync. Assumes it is the file's only writer (hold a
 * `withLock` across processes).
 */
export class Appender {
  readonly path: string;
  readonly #fs: FsLayer;
  readonly #idleCloseMs: number;
  #handle: FileHandleLike | null = null;
  #needsNewline = false;
  #queue: Pending[] = [];
  #flushing = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(path: string, options: AppenderOptions = {}) {
    this.path = resolve(path);
    this.#fs = options.fs ?? nodeFs;
    this.#idleCloseMs = options.idleCloseMs ?? 1000;
  }

  /**
   * Appends `records` as one write and resolves once they are on disk (fdatasync).
   * @throws {SerializationError} a record is not JSON; nothing is written.
   * @throws {DiskFullError | WriteError} nothing of this batch remains in the file.
   */
  async append(records: readonly unknown[]): Promise<AppendResult> {
    // Serialized and queued synchronously: call order is file order.
    const text = records.map((record) => formatJsonLine(record, this.path)).join('');
    return this.#enqueue(text);
  }

  /**
   * Appends lines already serialized by the caller (e.g. with a checksum over
   * their exact text), one record per line, without newlines.
   * @throws {SerializationError} a line contains a newline; nothing is written.
   */
  appendLines(lines: readonly string[]): Promise<AppendResult> {
    if (lines.some((line) => line.includes('\n'))) {
      return Promise.reject(
        new SerializationError(`a JSONL line for ${this.path} contains a newline`, {
          path: this.path,
        }),
      );
    }
    return this.#enqueue(lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  }

  #enqueue(text: string): Promise<AppendResult> {
    if (this.#closed) {
      return Promise.reject(
        toWriteError(new Error('appender is closed'), this.path, 'cannot append to'),
      );
    }
    const bytes = Buffer.from(text, 'utf8');
    return new Promise<AppendResult>((resolvePending, rejectPending) => {
      this.#queue.push({ bytes, resolve: resolvePending, reject: rejectPending });
      if (!this.#flushing) {
        this.#flushing = true;
        // Start a microtask later, so appends issued in the same tick share one write and one fdatasync.
        queueMicrotask(() => void this.#flushLoop());
      }
    });
  }

  /** Waits for pending appends and closes the file. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing) await new Promise((r) => setImmediate(r));
    await this.#release();
  }

  async #open(): Promise<FileHandleLike> {
    if (this.#handle !== null) return this.#handle;
    let handle: FileHandleLike;
    try {
      handle = await this.#fs.open(this.path, APPEND);
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error;
      try {
        handle = await this.#fs.open(
          this.path,
          APPEND | constants.O_CREAT | constants.O_EXCL,
          0o666,
        );
      } catch (createError) {
        if (errnoOf(createError) !== 'EEXIST') throw createError;
        handle = await this.#fs.open(this.path, APPEND);
      }
      // The new directory entry must survive a crash as much as the records do.
      await fsyncDirectory(this.#fs, dirname(this.path));
    }
    this.#needsNewline = await endsWithoutNewline(this.path, handle);
    this.#handle = handle;
    return handle;
  }

  async #release(): Promise<void> {
    clearTimeout(this.#idleTimer);
    const handle = this.#handle;
    this.#handle = null;
    if (handle !== null) await handle.close().catch(() => undefined);
  }

  async #flushLoop(): Promise<void> {
    clearTimeout(this.#idleTimer);
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      await this.#flush(batch);
    }
    this.#flushing = false;
    if (this.#handle !== null && !this.#closed) {
      this.#idleTimer = setTimeout(() => void this.#release(), this.#idleCloseMs);
      this.#idleTimer.unref();
    }
  }

  async #flush(batch: Pending[]): Promise<void> {
    let handle: FileHandleLike | null = null;
    let start = -1;
    try {
      handle = await this.#open();
      start = (await handle.stat()).size;
      // A foreign writer may have left the last line without its newline.
      const prefix = this.#needsNewline && start > 0 ? Buffer.from('\n') : Buffer.alloc(0);
      const parts = batch.map((pending) => pending.bytes);
      // One large append (a bulk import) is written as it is, not copied.
      const data =
        prefix.length === 0 && parts.length === 1 && parts[0] !== undefined
          ? parts[0]
          : Buffer.concat([prefix, ...parts]);
      await writeAll(handle, data, null);
      // Never retried: after a failed fdatasync the kernel may have dropped the pages.
      await handle.datasync();
      this.#needsNewline = false;
      let offset = start + prefix.length;
      for (const pending of batch) {
        pending.resolve({ offset, bytes: pending.bytes.length });
        offset += pending.bytes.length;
      }
    } catch (error) {
      if (handle !== null && start >= 0) {
        // Cut the unacknowledged bytes so the next batch does not follow a torn record.
        await handle.truncate(start).catch(() => undefined);
      }
      await this.#release();
      const typed = toWriteError(error, this.path, 'cannot append to');
      for (const pending of batch) pending.reject(typed);
    }
  }
}

async function endsWithoutNewline(path: string, handle: FileHandleLike): Promise<boolean> {
  const { size } = await handle.stat();
  if (size === 0) return false;
  const reader = await open(path, 'r');
  try {
    const last = Buffer.alloc(1);
    await reader.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await reader.close();
  }
}

const shared = new Map<string, Appender>();

/**
 * Appends records to a JSONL file, durably (fdatasync) and as one write.
 * Concurrent callers in this process share one fdatasync (group commit).
 * Creating the file also fsyncs its directory.
 *
 * @throws {SerializationError} a record is not JSON; nothing is written.
 * @throws {DiskFullError | WriteError} the batch was cut back out of the file.
 */
export function appendRecords(
  path: string,
  records: readonly unknown[],
  options: AppenderOptions = {},
): Promise<AppendResult> {
  const key = resolve(path);
  let appender = shared.get(key);
  if (appender === undefined || options.fs !== undefined) {
    appender = new Appender(key, options);
    if (options.fs === undefined) shared.set(key, appender);
  }
  return appender.append(records);
}
