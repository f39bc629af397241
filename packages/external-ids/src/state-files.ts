import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import {
  CorruptFileError,
  fsyncDirectory,
  nodeFs,
  formatJson,
  quarantineName,
  readFileOrNull,
  readJson,
  statOrNull,
  writeFileAtomic,
  type FsLayer,
  type HeldLock,
  type StandardSchemaV1,
} from '@vellum/atomic-io';
import { StateUnreadableError, UnsupportedVersionError } from './errors.js';
import { isSupportedVersion } from './formats.js';

/** A state file that was repaired from its `.bak` while it was read. */
export interface StateRecovery {
  /** The file that was restored. */
  path: string;
  /**
   * `corrupt`: it was unparseable or invalid and was moved to `quarantinedTo`;
   * `missing`: it was gone while its `.bak` remained.
   */
  reason: 'corrupt' | 'missing';
  /** The backup whose content is now in `path`. */
  restoredFrom: string;
  /** Where the corrupt file was kept (never deleted); `undefined` for `missing`. */
  quarantinedTo: string | undefined;
  /** What was wrong with the file; `undefined` for `missing`. */
  error: CorruptFileError | undefined;
}

export interface Codec<F extends { version: string }, S> {
  readonly schema: StandardSchemaV1<unknown, F>;
  decode(file: F): S;
  encode(state: S, updated: string): unknown;
  empty(): S;
  /** The `reset()` argument that clears this file. */
  readonly resetTarget: string;
  /** What that reset costs, for the recovery advice. */
  readonly resetEffect: string;
}

export interface DocFileOptions {
  fs?: FsLayer | undefined;
  /** Told about every repair; without it a process warning is emitted. */
  onRecover?: ((report: StateRecovery) => void) | undefined;
}

interface FileIdentity {
  /** ino, size, mtime and ctime in nanoseconds: any replace or edit changes it. */
  signature: string;
  ctimeMs: number;
}

async function identityOf(path: string): Promise<FileIdentity | null> {
  const info = await statOrNull(path, { bigint: true });
  if (info === null) return null;
  return {
    signature: `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`,
    ctimeMs: Number(info.ctimeNs / 1_000_000n),
  };
}

async function exists(path: string): Promise<boolean> {
  return (await identityOf(path)) !== null;
}

/**
 * A file changed less than this long ago may be replaced again within the
 * same file-system timestamp tick, by a file that reuses its inode and size:
 * its signature is not trusted until it is older (git's "racy clean" rule).
 */
const RACY_WINDOW_MS = 1000;

interface CacheEntry<S> {
  /** The file's signature once it is old enough to be trusted; `undefined`: compare the bytes. */
  signature: string | undefined;
  /** The bytes `state` was decoded from (`null`: no file). */
  text: string | null;
  state: S;
}

/**
 * One JSON state file with its `.bak`: cached lock-free reads, reads that
 * repair from the backup (under the lock only, so a repair can never move
 * aside a file another process just wrote), and atomic writes.
 */
export class DocFile<F extends { version: string }, S> {
  readonly path: string;
  readonly backupPath: string;
  readonly #codec: Codec<F, S>;
  readonly #fs: FsLayer;
  readonly #onRecover: ((report: StateRecovery) => void) | undefined;
  #cache: CacheEntry<S> | undefined;

  constructor(path: string, codec: Codec<F, S>, options: DocFileOptions = {}) {
    this.path = path;
    this.backupPath = `${path}.bak`;
    this.#codec = codec;
    this.#fs = options.fs ?? nodeFs;
    this.#onRecover = options.onRecover;
  }

  /**
   * The current state without taking the lock, from the cache when the file
   * has not changed since it was read. The result is shared: do not mutate it.
   * @returns `undefined` when the file needs a repair, which only `load` may do.
   * @throws {UnsupportedVersionError} the file was written by a newer format.
   */
  async peek(): Promise<S | undefined> {
    // Identity before content: if the file is replaced in between, the next peek sees a new
    // identity and reads again, so a trusted signature never vouches for stale content.
    const identity = await identityOf(this.path);
    const cache = this.#cache;
    if (identity !== null && cache?.signature === identity.signature) return cache.state;
    if (identity === null) {
      // A missing file whose backup exists was deleted: only the locked path may restore it.
      if (await exists(this.backupPath)) return undefined;
      if (cache?.text !== null) {
        this.#cache = { signature: undefined, text: null, state: this.#codec.empty() };
      }
      return (this.#cache as CacheEntry<S>).state;
    }
    const text = await readFileOrNull(this.path, 'utf8');
    // Replaced by a missing file between the stat and the read: let the locked path decide.
    if (text === null) return undefined;
    const trusted = Date.now() - identity.ctimeMs > RACY_WINDOW_MS ? identity.signature : undefined;
    if (cache !== undefined && cache.text === text) {
      // Same bytes: keep the decoded state (and whatever was derived from it).
      cache.signature = trusted;
      return cache.state;
    }
    const file = await this.#parse(text);
    if (file === undefined) return undefined;
    this.#cache = { signature: trusted, text, state: this.#decode(file) };
    return this.#cache.state;
  }

  /**
   * Reads the file fresh, repairing it from `.bak` when it is corrupt or
   * missing while the backup remains. Call only while holding the lock.
   * The result is the caller's to mutate.
   * @throws {StateUnreadableError} the file and its backup are both unusable; nothing was changed.
   * @throws {UnsupportedVersionError} the file was written by a newer format.
   */
  async load(lock: HeldLock): Promise<S> {
    let file: F | null;
    try {
      file = await readJson(this.path, {
        schema: this.#codec.schema,
        fallbackToBackup: true,
        onRecover: (report) =>
          this.#report({
            path: report.path,
            reason: 'corrupt',
            restoredFrom: report.restoredFrom,
            quarantinedTo: report.quarantinedTo,
            error: report.error,
          }),
      });
    } catch (error) {
      if (error instanceof CorruptFileError) throw this.#unreadable(error);
      throw error;
    }
    file ??= await this.#restoreMissing(lock);
    return file === null ? this.#codec.empty() : this.#decode(file);
  }

  /**
   * Replaces the file atomically, keeping the previous version as `.bak`,
   * with sorted keys as spec 003's `json.dump(..., sort_keys=True)` does.
   * @throws {WriteError | DiskFullError | LockCompromisedError | DurabilityError} from the write.
   */
  async save(state: S, updated: string, lock: HeldLock): Promise<void> {
    this.#cache = undefined;
    const text = formatJson(this.#codec.encode(state, updated), { sortKeys: true }, this.path);
    await writeFileAtomic(this.path, text, { backup: true, lock, fs: this.#fs });
    // Just written, so not trusted by signature yet; the next peek compares the bytes.
    this.#cache = { signature: undefined, text, state };
  }

  /**
   * Moves the file and its `.bak` aside (`<name>.reset-<UTC time>-<random>`,
   * never deleted), so that the file starts empty. Call only while holding the lock.
   * @returns the new names of the files moved.
   */
  async moveAside(lock: HeldLock): Promise<string[]> {
    this.#cache = undefined;
    const moved: string[] = [];
    for (const path of [this.backupPath, this.path]) {
      if (!(await exists(path))) continue;
      const destination = quarantineName(path, 'reset');
      await lock.assertHeld();
      await this.#fs.rename(path, destination);
      moved.push(destination);
    }
    if (moved.length > 0) await fsyncDirectory(this.#fs, dirname(this.path));
    return moved;
  }

  /** The parsed, schema-valid file, or `undefined` when it needs a repair. */
  async #parse(text: string): Promise<F | undefined> {
    let value: unknown;
    try {
      value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch {
      return undefined;
    }
    const result = await this.#codec.schema['~standard'].validate(value);
    return result.issues === undefined ? result.value : undefined;
  }

  #decode(file: F): S {
    if (!isSupportedVersion(file.version))
      throw new UnsupportedVersionError(this.path, file.version);
    return this.#codec.decode(file);
  }

  /**
   * The file is gone but its backup is not: something deleted it (our writes
   * never leave it missing once it existed). Starting empty would make the next
   * save replace every mapping, so the backup is put back.
   */
  async #restoreMissing(lock: HeldLock): Promise<F | null> {
    let file: F | null;
    try {
      file = await readJson(this.backupPath, { schema: this.#codec.schema });
    } catch (error) {
      if (error instanceof CorruptFileError) throw this.#unreadable(error);
      throw error;
    }
    if (file === null) return null;
    await writeFileAtomic(this.path, await readFile(this.backupPath), { lock, fs: this.#fs });
    this.#report({
      path: this.path,
      reason: 'missing',
      restoredFrom: this.backupPath,
      quarantinedTo: undefined,
      error: undefined,
    });
    return file;
  }

  #unreadable(error: CorruptFileError): StateUnreadableError {
    const name = basename(this.path);
    return new StateUnreadableError(
      this.path,
      this.backupPath,
      [
        `restore a good copy: put a known-good version of ${name} (from your own backups or version control) at ${this.path}; ` +
          `the unreadable ${name} and ${name}.bak have been left exactly as they are.`,
        `or reset explicitly: mapper.reset('${this.#codec.resetTarget}') moves ${name} and ${name}.bak aside ` +
          `(renamed to <name>.reset-<time>-<random>, never deleted) and starts the file empty; ${this.#codec.resetEffect}.`,
      ],
      error,
    );
  }

  #report(report: StateRecovery): void {
    if (this.#onRecover === undefined) {
      process.emitWarning(
        `${report.path} was ${report.reason}; restored from ${report.restoredFrom}` +
          (report.quarantinedTo === undefined
            ? ''
            : `, corrupt file kept at ${report.quarantinedTo}`),
        { code: 'VELLUM_RECOVERED_FROM_BACKUP' },
      );
    } else {
      this.#onRecover(report);
    }
  }
}
