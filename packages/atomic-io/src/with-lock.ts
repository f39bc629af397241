import { AsyncLocalStorage } from 'node:async_hooks';
import { resolve } from 'node:path';
import { acquireDirectoryLock } from './dir-lock.js';
import { LockTimeoutError, LockUsageError, type LockCompromisedError } from './errors.js';
import { loadFlock } from './flock.js';
import { acquireKernelLock } from './lock-file.js';
import { HOST } from './lock-holder.js';
import type { LockGuard } from './write-atomic.js';

export interface WithLockOptions {
  /**
   * Fallback lock only (`lockMechanism() === 'proper-lockfile'`): a lock not
   * refreshed for this long may be taken over. Default 10,000 ms (minimum 2,000).
   * A kernel lock is never taken over: it is released when its holder exits.
   */
  stale?: number | undefined;
  /** Fallback lock only: how often the holder refreshes the lock. Default `stale / 2`. */
  update?: number | undefined;
  /** Give up after this long, with `LockTimeoutError`. Default 10,000 ms. */
  lockTimeout?: number | undefined;
  /** The lock file. Default `<path>.lock` (the fallback's directory is `<lock file>.d`). */
  lockPath?: string | undefined;
}

/** What the critical section receives: pass it as `lock` to writes that must stay exclusive. */
export interface HeldLock extends LockGuard {
  readonly path: string;
  /** Aborted as soon as the lock is known to be lost (a kernel lock: only if its file was replaced). */
  readonly signal: AbortSignal;
}

/**
 * `flock`: an exclusive `flock(2)` on the lock file, the lock spec 000's and
 * spec 003's own tools take. `proper-lockfile`: the fallback where the native
 * binding does not load (mkdir lock `<lock file>.d`); it does not exclude those tools.
 */
export type LockMechanism = 'flock' | 'proper-lockfile';

/**
 * Set to `proper-lockfile` to use the fallback lock even where `flock` is
 * available. For tests of the fallback: processes sharing a store must all use
 * the same mechanism, or they do not exclude each other.
 */
export const LOCK_MECHANISM_ENV = 'VELLUM_LOCK_MECHANISM';

/** Which lock `withLock` takes in this process (for `vellum health`). */
export function lockMechanism(): LockMechanism {
  if (process.env[LOCK_MECHANISM_ENV] === 'proper-lockfile') return 'proper-lockfile';
  return loadFlock() === undefined ? 'proper-lockfile' : 'flock';
}

const queues = new Map<string, Promise<void>>();
const held = new AsyncLocalStorage<ReadonlySet<string>>();

/** Waits for this process's earlier callers on the same lock, up to `deadline`. */
async function takeLocalTurn(key: string, deadline: number): Promise<() => void> {
  const previous = queues.get(key) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((r) => (done = r));
  const tail = previous.then(() => mine);
  queues.set(key, tail);
  const finish = (): void => {
    done();
    if (queues.get(key) === tail) queues.delete(key);
  };
  const remaining = deadline - Date.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    previous.then(() => 'turn' as const),
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(remaining, 0));
    }),
  ]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    finish();
    throw new LockTimeoutError(key, Math.max(remaining, 0), {
      pid: process.pid,
      hostname: HOST,
      acquiredAt: 'an earlier call in this process',
    });
  }
  return finish;
}

interface Acquired {
  lock: HeldLock;
  lost(): LockCompromisedError | undefined;
  release(): Promise<void>;
}

async function acquire(
  target: string,
  lockFile: string,
  options: WithLockOptions,
  started: number,
  deadline: number,
): Promise<Acquired> {
  const flock = loadFlock();
  if (flock !== undefined && lockMechanism() === 'flock') {
    const lock = await acquireKernelLock(flock, target, lockFile, started, deadline);
    return {
      lock,
      lost: () => lock.lost,
      release: () => Promise.resolve(lock.release()),
    };
  }
  return acquireDirectoryLock(target, `${lockFile}.d`, {
    stale: Math.max(options.stale ?? 10_000, 2000),
    update: options.update,
    started,
    deadline,
  });
}

/**
 * Runs `fn` while holding an exclusive lock on `path`, across processes (a
 * kernel `flock` on `<path>.lock`, released by the kernel when its holder
 * exits, even on SIGKILL) and within this process (a queue, so callers here
 * never poll for each other). Decision record 0012.
 *
 * Writes that pass the received lock as `{ lock }` check it right before
 * their rename: a lock file removed or replaced under the holder fails them
 * with `LockCompromisedError` instead of publishing.
 *
 * @throws {LockTimeoutError} not acquired within `lockTimeout`, naming the holder.
 * @throws {LockCompromisedError} the lock was found lost while `fn` ran.
 * @throws {LockUsageError} the same call chain already holds this lock.
 */
export async function withLock<T>(
  path: string,
  fn: (lock: HeldLock) => Promise<T> | T,
  options: WithLockOptions = {},
): Promise<T> {
  const target = resolve(path);
  const lockFile = resolve(options.lockPath ?? `${target}.lock`);
  const heldHere = held.getStore();
  if (heldHere?.has(lockFile) === true) {
    throw new LockUsageError(
      target,
      `lock on ${target} is already held by this call chain (locks are not re-entrant)`,
    );
  }
  const timeout = options.lockTimeout ?? 10_000;
  const started = Date.now();
  const deadline = started + timeout;
  const endTurn = await takeLocalTurn(lockFile, deadline);
  try {
    const acquired = await acquire(target, lockFile, options, started, deadline);
    let result: T;
    try {
      result = await held.run(new Set([...(heldHere ?? []), lockFile]), () => fn(acquired.lock));
    } finally {
      await acquired.release();
    }
    const lost = acquired.lost();
    if (lost !== undefined) throw lost;
    return result;
  } finally {
    endTurn();
  }
}
