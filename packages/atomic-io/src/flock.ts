import { createRequire } from 'node:module';
import { constants } from 'node:os';

/**
 * `flock(2)` through koffi (an FFI library whose npm package ships prebuilt
 * binaries, no compiler needed): Node has no binding of its own. Only the
 * non-blocking form is exposed, so no call ever waits, on the main thread or
 * on the thread pool. Decision record 0012.
 */
export interface Flock {
  /** Takes the exclusive lock on `fd` if it is free. @returns false when another open file holds it. */
  tryLockExclusive(fd: number): boolean;
  unlock(fd: number): void;
}

// The same values on Linux, the BSDs and macOS (<sys/file.h>).
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

const WOULD_BLOCK = new Set([constants.errno.EWOULDBLOCK, constants.errno.EAGAIN]);
const EINTR = constants.errno.EINTR;

function flockError(errno: number, fd: number): NodeJS.ErrnoException {
  const name = Object.entries(constants.errno).find(([, value]) => value === errno)?.[0];
  return Object.assign(new Error(`flock(${fd}) failed: ${name ?? `errno ${errno}`}`), {
    code: name ?? 'EUNKNOWN',
    errno: -errno,
  });
}

type Koffi = typeof import('koffi').default;

function bind(): Flock | undefined {
  if (process.platform === 'win32') return undefined;
  let koffi: Koffi;
  try {
    // Synchronous, so that `lockMechanism()` can answer without a promise.
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch {
    return undefined;
  }
  // The process's own symbols: libc is already loaded into node, whatever its file name (glibc, musl).
  const call = koffi.load(null).func('int flock(int fd, int operation)') as (
    fd: number,
    operation: number,
  ) => number;
  const run = (fd: number, operation: number): number => {
    for (;;) {
      if (call(fd, operation) === 0) return 0;
      const errno = koffi.errno();
      if (errno !== EINTR) return errno;
    }
  };
  return {
    tryLockExclusive(fd) {
      const errno = run(fd, LOCK_EX | LOCK_NB);
      if (errno === 0) return true;
      if (WOULD_BLOCK.has(errno)) return false;
      throw flockError(errno, fd);
    },
    unlock(fd) {
      const errno = run(fd, LOCK_UN);
      if (errno !== 0) throw flockError(errno, fd);
    },
  };
}

let loaded: { flock: Flock | undefined } | undefined;

/**
 * The binding, loaded on first use (koffi costs tens of milliseconds to load,
 * which a command that takes no lock should not pay).
 * @returns undefined where the native module does not load (then the fallback lock is used).
 */
export function loadFlock(): Flock | undefined {
  if (loaded === undefined) {
    let flock: Flock | undefined;
    try {
      flock = bind();
    } catch {
      flock = undefined;
    }
    loaded = { flock };
  }
  return loaded.flock;
}
