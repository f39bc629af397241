/**
 * The fallback lock, where the kernel lock (`flock.ts`) is not available:
 * proper-lockfile's mkdir lock, with the take-over of 0003. Its directory is
 * `<lock file>.d`, a path that never collides with the kernel lock's file.
 */
import * as fs from 'node:fs';
import { mkdir, readFile, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import {
  AtomicIoError,
  LockCompromisedError,
  LockTimeoutError,
  VellumError,
  errnoOf,
  type LockHolder,
} from './errors.js';
import { HOST } from './lock-holder.js';
import { processIsAlive } from './process-alive.js';
import type { HeldLock } from './with-lock.js';

/** `<lock>.owner`: who holds the lock, and which lock directory is theirs. */
interface Owner extends LockHolder {
  lockIno?: number;
  lockBirthtimeMs?: number;
}

const MIN_DELAY_MS = 1;
const MAX_DELAY_MS = 25;

async function readOwner(ownerPath: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(ownerPath, 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

function holderOf(owner: Owner | undefined): LockHolder | undefined {
  return owner === undefined
    ? undefined
    : { pid: owner.pid, hostname: owner.hostname, acquiredAt: owner.acquiredAt };
}

class DirectoryLock implements HeldLock {
  readonly path: string;
  readonly #controller = new AbortController();
  readonly #lockPath: string;
  readonly #ownerPath: string;
  readonly #stale: number;
  #identity: { ino: number; birthtimeMs: number } | undefined;
  #lost: LockCompromisedError | undefined;

  constructor(path: string, lockPath: string, stale: number) {
    this.path = path;
    this.#lockPath = lockPath;
    this.#ownerPath = `${lockPath}.owner`;
    this.#stale = stale;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get lost(): LockCompromisedError | undefined {
    return this.#lost;
  }

  markLost(reason: string, cause?: unknown): LockCompromisedError {
    this.#lost ??= new LockCompromisedError(this.path, reason, { cause });
    if (!this.#controller.signal.aborted) this.#controller.abort(this.#lost);
    return this.#lost;
  }

  /** Whether a lock directory is the one this lock created (before that is known: yes, it is being created). */
  owns(info: { ino: number; birthtimeMs: number }): boolean {
    return (
      this.#identity === undefined ||
      (info.ino === this.#identity.ino && info.birthtimeMs === this.#identity.birthtimeMs)
    );
  }

  async recordOwnership(): Promise<void> {
    let info;
    try {
      info = await stat(this.#lockPath);
    } catch (error) {
      throw this.markLost('the lock directory vanished right after it was taken', error);
    }
    this.#identity = { ino: info.ino, birthtimeMs: info.birthtimeMs };
    const owner: Owner = {
      pid: process.pid,
      hostname: HOST,
      acquiredAt: new Date().toISOString(),
      lockIno: info.ino,
      lockBirthtimeMs: info.birthtimeMs,
    };
    // Only read for error messages, so a plain write is enough: no temp file, no fsync.
    await writeFile(this.#ownerPath, JSON.stringify(owner));
  }

  #throwIfLost(): void {
    if (this.#lost !== undefined) throw this.#lost;
  }

  async assertHeld(): Promise<void> {
    this.#throwIfLost();
    let info;
    try {
      info = await stat(this.#lockPath);
    } catch (error) {
      throw this.markLost('the lock directory was removed', error);
    }
    if (info.ino !== this.#identity?.ino || info.birthtimeMs !== this.#identity.birthtimeMs) {
      throw this.markLost('another process re-created the lock');
    }
    if (Date.now() - info.mtimeMs > this.#stale) {
      throw this.markLost(`not refreshed within ${this.#stale} ms (the holder stalled)`);
    }
    // A compromise noticed by the refresh timer while we were checking.
    this.#throwIfLost();
  }

  /** Removes the owner file after the lock is released, unless it already names the next holder's lock. */
  async dropOwnership(): Promise<void> {
    if (this.#lost !== undefined) return;
    const owner = await readOwner(this.#ownerPath);
    if (
      owner?.lockIno !== this.#identity?.ino ||
      owner?.lockBirthtimeMs !== this.#identity?.birthtimeMs
    )
      return;
    await unlink(this.#ownerPath).catch(() => undefined);
  }
}

export interface AcquiredDirectoryLock {
  readonly lock: HeldLock;
  /** Why the lock was lost while held, if it was. */
  lost(): LockCompromisedError | undefined;
  release(): Promise<void>;
}

/**
 * Takes the mkdir lock `directory` for `target` (0003): refreshed every
 * `update` ms, taken over once not refreshed for `stale` ms or when its holder
 * on this host is gone.
 * @throws {LockTimeoutError} not acquired by `deadline`, naming the holder.
 */
export async function acquireDirectoryLock(
  target: string,
  directory: string,
  options: { stale: number; update: number | undefined; started: number; deadline: number },
): Promise<AcquiredDirectoryLock> {
  const lock = new DirectoryLock(target, directory, options.stale);
  const release = await acquire(
    target,
    directory,
    lock,
    options.stale,
    options.update,
    options.started,
    options.deadline,
  );
  try {
    await lock.recordOwnership();
  } catch (error) {
    await releaseQuietly(release);
    throw error;
  }
  return {
    lock,
    lost: () => lock.lost,
    release: async () => {
      // The lock first, then its owner file: a kill in between leaves an owner file naming a lock
      // that is gone (harmless), never a lock whose holder cannot be named (taken over only once stale).
      try {
        await releaseQuietly(release);
      } finally {
        await lock.dropOwnership();
      }
    },
  };
}

async function releaseQuietly(release: () => Promise<void>): Promise<void> {
  await release().catch((error: unknown) => {
    if (errnoOf(error) !== 'ECOMPROMISED' && errnoOf(error) !== 'ERELEASED') throw error;
  });
}

/** proper-lockfile's `stale`: a year, so that it never takes a lock over by itself. */
const NEVER_STALE = 365 * 24 * 3600 * 1000;
/** How long past its deadline a waiter may still take over an abandoned lock. */
const TAKEOVER_GRACE_MS = 1000;
/** A take-over ticket older than this belongs to a waiter that died mid take-over. */
const TICKET_STALE_MS = 10_000;

/**
 * The file system proper-lockfile works through, except that it never removes
 * a lock directory that is not this lock's: a holder that lost its lock must
 * not release (or, at exit, remove) the lock of the process that took over.
 */
function guardedFs(lock: DirectoryLock): typeof fs {
  return {
    ...fs,
    rmdir: (path: fs.PathLike, callback: (error: NodeJS.ErrnoException | null) => void) => {
      fs.stat(path, (error, info) => {
        if (error !== null) callback(error);
        else if (!lock.owns(info)) callback(null);
        else fs.rmdir(path, callback);
      });
    },
    rmdirSync: (path: fs.PathLike) => {
      const info = fs.statSync(path, { throwIfNoEntry: false });
      if (info !== undefined && lock.owns(info)) fs.rmdirSync(path);
    },
  } as typeof fs;
}

/**
 * Takes an abandoned lock away from its holder: one not refreshed for
 * `stale` ms, or whose holder on this host is gone (killed with SIGKILL).
 * Only the waiter that creates this lock instance's ticket
 * (`<lock>.takeover-<ino>-<birth>`, an atomic mkdir) may remove it, and only
 * if it is still that instance: waiters never remove a lock another one has
 * just created.
 * @returns whether to try to acquire again at once.
 */
async function takeOverIfAbandoned(lockPath: string, stale: number): Promise<boolean> {
  const info = await stat(lockPath).catch(() => undefined);
  if (info === undefined) return true;
  const owner = await readOwner(`${lockPath}.owner`);
  const ownerOfThis = owner?.lockIno === info.ino && owner.lockBirthtimeMs === info.birthtimeMs;
  const dead = ownerOfThis && owner.hostname === HOST && !processIsAlive(owner.pid);
  if (!dead && Date.now() - info.mtimeMs <= stale) return false;
  const ticket = `${lockPath}.takeover-${info.ino}-${Math.round(info.birthtimeMs * 1000)}`;
  try {
    await mkdir(ticket);
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') return false;
    const ticketInfo = await stat(ticket).catch(() => undefined);
    if (ticketInfo !== undefined && Date.now() - ticketInfo.mtimeMs > TICKET_STALE_MS) {
      await rmdir(ticket).catch(() => undefined);
    }
    return false;
  }
  try {
    const again = await stat(lockPath).catch(() => undefined);
    if (again?.ino === info.ino && again.birthtimeMs === info.birthtimeMs) {
      await rmdir(lockPath).catch(() => undefined);
    }
    return true;
  } finally {
    await rmdir(ticket).catch(() => undefined);
  }
}

async function acquire(
  target: string,
  lockPath: string,
  lock: DirectoryLock,
  stale: number,
  update: number | undefined,
  started: number,
  deadline: number,
): Promise<() => Promise<void>> {
  let delay = MIN_DELAY_MS;
  for (;;) {
    try {
      return await lockfile.lock(target, {
        // Never stale to proper-lockfile: its take-over (check, remove, create) races with other
        // waiters. Taking over is ours (`takeOverIfAbandoned`); it still refreshes every `update`.
        stale: NEVER_STALE,
        update: update ?? stale / 2,
        fs: guardedFs(lock),
        realpath: false,
        lockfilePath: lockPath,
        retries: 0,
        // proper-lockfile's default throws from a timer and kills the process.
        onCompromised: (error: Error) => {
          lock.markLost(error.message, error);
        },
      });
    } catch (error) {
      if (errnoOf(error) !== 'ELOCKED') {
        throw error instanceof VellumError
          ? error
          : new AtomicIoError(
              'VELLUM_LOCK_FAILED',
              `${target}: cannot lock: ${(error as Error).message}`,
              {
                path: target,
                cause: error,
              },
            );
      }
    }
    // Still worth a try just past the deadline: a holder often goes stale as a waiter's timeout
    // (by default equal to `stale`) runs out. Bounded, so a lock that keeps vanishing cannot loop.
    const tookOver = await takeOverIfAbandoned(lockPath, stale);
    const now = Date.now();
    if (tookOver && now < deadline + TAKEOVER_GRACE_MS) continue;
    if (now >= deadline) {
      throw new LockTimeoutError(
        target,
        now - started,
        holderOf(await readOwner(`${lockPath}.owner`)),
      );
    }
    // Jittered exponential backoff in milliseconds: holders keep locks for about one fsync.
    await sleep(Math.min(delay * (0.5 + Math.random() * 0.5), deadline - now));
    delay = Math.min(delay * 1.5, MAX_DELAY_MS);
  }
}
