import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  openSync,
  readFileSync,
  rmSync,
  rmdirSync,
  statSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AtomicIoError,
  LockCompromisedError,
  LockTimeoutError,
  VellumError,
  errnoOf,
  type LockHolder,
} from './errors.js';
import type { Flock } from './flock.js';
import { holderRecord, kernelLockHolder, parseHolder } from './lock-holder.js';
import type { HeldLock } from './with-lock.js';

/** Backoff between tries: holders keep a lock for about one fsync. */
const MIN_DELAY_MS = 1;
const MAX_DELAY_MS = 10;
/**
 * A lock directory left at the lock file's path by a Vellum before 0012
 * (proper-lockfile) is refreshed every 5 s by a live holder: one untouched
 * for longer than this has been abandoned.
 */
export const LEGACY_STALE_MS = 10_000;

const OPEN_READ_WRITE = constants.O_RDWR | constants.O_CREAT;
const READ_ONLY_ERRNOS = new Set(['EACCES', 'EPERM', 'EROFS']);

function lockFailed(target: string, error: unknown): VellumError {
  if (error instanceof VellumError) return error;
  return new AtomicIoError(
    'VELLUM_LOCK_FAILED',
    `${target}: cannot lock: ${error instanceof Error ? error.message : String(error)}`,
    { path: target, cause: error },
  );
}

function sameFile(a: Pick<Stats, 'dev' | 'ino'>, b: Pick<Stats, 'dev' | 'ino'>): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** An exclusive `flock` on `<file>.lock`, held through one open descriptor. */
export class KernelLock implements HeldLock {
  readonly path: string;
  readonly #controller = new AbortController();
  readonly #flock: Flock;
  readonly #lockFile: string;
  readonly #fd: number;
  readonly #file: Pick<Stats, 'dev' | 'ino'>;
  readonly #writable: boolean;
  #lost: LockCompromisedError | undefined;
  #released = false;

  constructor(
    flock: Flock,
    path: string,
    lockFile: string,
    fd: number,
    file: Pick<Stats, 'dev' | 'ino'>,
    writable: boolean,
  ) {
    this.path = path;
    this.#flock = flock;
    this.#lockFile = lockFile;
    this.#fd = fd;
    this.#file = file;
    this.#writable = writable;
  }

  /** Aborted only when the lock file was found removed or replaced: the kernel never takes the lock back. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get lost(): LockCompromisedError | undefined {
    return this.#lost;
  }

  #markLost(reason: string, cause?: unknown): LockCompromisedError {
    this.#lost ??= new LockCompromisedError(this.path, reason, { cause });
    if (!this.#controller.signal.aborted) this.#controller.abort(this.#lost);
    return this.#lost;
  }

  /**
   * The lock cannot be lost while the descriptor is open; but a lock file
   * removed or replaced under us (by hand) no longer excludes the next process
   * to open the path.
   */
  assertHeld(): Promise<void> {
    if (this.#lost !== undefined) return Promise.reject(this.#lost);
    if (this.#released) {
      return Promise.reject(this.#markLost('it was already released'));
    }
    let current: Stats | undefined;
    try {
      current = statSync(this.#lockFile, { throwIfNoEntry: false });
    } catch (error) {
      return Promise.reject(this.#markLost('its lock file cannot be checked', error));
    }
    if (current === undefined) {
      return Promise.reject(this.#markLost(`its lock file ${this.#lockFile} was removed`));
    }
    if (!sameFile(current, this.#file)) {
      return Promise.reject(this.#markLost(`its lock file ${this.#lockFile} was replaced`));
    }
    return Promise.resolve();
  }

  /** Clears the holder record, unlocks and closes. Closing alone would release it too. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    try {
      if (this.#writable) ftruncateSync(this.#fd, 0);
      this.#flock.unlock(this.#fd);
    } finally {
      closeSync(this.#fd);
    }
  }
}

type Attempt = KernelLock | 'busy' | 'again';

function openLockFile(lockFile: string): { fd: number; writable: boolean } {
  try {
    return { fd: openSync(lockFile, OPEN_READ_WRITE, 0o666), writable: true };
  } catch (error) {
    // A lock file made by another user, or a read-only mount: a read-only descriptor locks too.
    if (!READ_ONLY_ERRNOS.has(errnoOf(error) ?? '')) throw error;
    return { fd: openSync(lockFile, constants.O_RDONLY), writable: false };
  }
}

/**
 * A directory at the lock file's path is the lock of a Vellum before 0012.
 * Abandoned (not refreshed for `LEGACY_STALE_MS`): removed, with its owner file.
 * @returns 'again' when the path may now be free, 'busy' while a live holder may refresh it.
 */
function clearLegacyDirectory(target: string, lockFile: string): 'busy' | 'again' {
  const info = statSync(lockFile, { throwIfNoEntry: false });
  if (info?.isDirectory() !== true) return 'again';
  if (Date.now() - info.mtimeMs <= LEGACY_STALE_MS) return 'busy';
  try {
    rmdirSync(lockFile);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOTEMPTY' || errno === 'EEXIST') {
      throw new AtomicIoError(
        'VELLUM_LOCK_FAILED',
        `${target}: cannot lock: ${lockFile} is a directory that is not a lock (it is not empty)`,
        { path: target, cause: error },
      );
    }
    // Gone already (another waiter removed it) or replaced by a lock file: try again.
    return 'again';
  }
  rmSync(`${lockFile}.owner`, { force: true });
  return 'again';
}

function tryOnce(flock: Flock, target: string, lockFile: string): Attempt {
  let opened;
  try {
    opened = openLockFile(lockFile);
  } catch (error) {
    if (errnoOf(error) === 'EISDIR') return clearLegacyDirectory(target, lockFile);
    throw lockFailed(target, error);
  }
  const { fd, writable } = opened;
  try {
    if (!flock.tryLockExclusive(fd)) {
      closeSync(fd);
      return 'busy';
    }
    const mine = fstatSync(fd);
    const there = statSync(lockFile, { throwIfNoEntry: false });
    // Locked a file that is no longer the path's: the next process to open the path would not wait for us.
    if (there === undefined || !sameFile(there, mine)) {
      closeSync(fd);
      return 'again';
    }
    if (writable) {
      const record = holderRecord();
      // Only read for error messages: no fsync.
      writeSync(fd, record, 0, record.length, 0);
      ftruncateSync(fd, record.length);
    }
    return new KernelLock(flock, target, lockFile, fd, mine, writable);
  } catch (error) {
    closeSync(fd);
    throw lockFailed(target, error);
  }
}

/** Who holds the lock, for `LockTimeoutError`: the kernel's answer, or a legacy owner file. */
function currentHolder(lockFile: string): LockHolder | undefined {
  try {
    const info = statSync(lockFile, { throwIfNoEntry: false });
    if (info === undefined) return undefined;
    if (info.isDirectory()) return parseHolder(readFileSync(`${lockFile}.owner`, 'utf8'));
    return kernelLockHolder(lockFile, info);
  } catch {
    return undefined;
  }
}

/**
 * Takes the kernel lock on `lockFile` for `target`: a non-blocking try, then
 * jittered backoff from 1 ms growing to 10 ms, until `deadline`. Nothing waits
 * in the kernel, so no thread-pool thread is ever held by a waiter.
 * @throws {LockTimeoutError} not acquired by `deadline`, naming the holder.
 */
export async function acquireKernelLock(
  flock: Flock,
  target: string,
  lockFile: string,
  started: number,
  deadline: number,
): Promise<KernelLock> {
  let delay = MIN_DELAY_MS;
  for (;;) {
    const attempt = tryOnce(flock, target, lockFile);
    if (attempt instanceof KernelLock) return attempt;
    const now = Date.now();
    if (now >= deadline) {
      throw new LockTimeoutError(target, now - started, currentHolder(lockFile));
    }
    if (attempt === 'again') {
      // At once, but yielding: a path replaced again and again must not freeze the event loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
      continue;
    }
    await sleep(Math.min(delay * (0.5 + Math.random() * 0.5), deadline - now));
    delay = Math.min(delay * 1.5, MAX_DELAY_MS);
  }
}
