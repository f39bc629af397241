import { unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ItemLockedError, InvalidIdError } from './errors.js';
import { fsyncDirectory, nodeFs } from './fs-layer.js';
import { readdirOrEmpty } from './missing-files.js';
import { assertSafeId } from './safe-id.js';
import { ensureDir } from './write-atomic.js';
import { withLock } from './with-lock.js';

/** One spec-002 lock file: `{item-id}.lock.{locked-by}.{unix-timestamp}`. */
export interface ItemLock {
  itemId: string;
  lockedBy: string;
  /** When it was taken (the timestamp in the name, whole seconds). */
  lockedAt: Date;
  expiresAt: Date;
  path: string;
}

export interface ItemLocksOptions {
  /** A lock older than this has expired. Default 30 minutes. */
  ttlMs?: number | undefined;
  /** Clock, for tests. */
  now?: (() => number) | undefined;
}

const LOCK_NAME = /^(.+)\.lock\.([^.]+)\.(\d+)$/;

/**
 * Item-level locks as spec 002 lays them out (`.pm/locks/issues/issue-001.lock.user123.1704110400`):
 * the file's presence is the lock, its timestamp its age. Taking a lock is
 * atomic across processes (a directory lock around check-and-create); expired
 * locks are removed as they are met.
 */
export class ItemLocks {
  readonly dir: string;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(dir: string, options: ItemLocksOptions = {}) {
    this.dir = resolve(dir);
    this.#ttlMs = options.ttlMs ?? 30 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  #parse(name: string): ItemLock | undefined {
    const match = LOCK_NAME.exec(name);
    if (match === null) return undefined;
    const lockedAt = new Date(Number(match[3]) * 1000);
    return {
      itemId: match[1] ?? '',
      lockedBy: match[2] ?? '',
      lockedAt,
      expiresAt: new Date(lockedAt.getTime() + this.#ttlMs),
      path: join(this.dir, name),
    };
  }

  /** Every lock file in the directory, expired ones included. */
  async list(): Promise<ItemLock[]> {
    return (await readdirOrEmpty(this.dir)).flatMap((name) => this.#parse(name) ?? []);
  }

  isExpired(lock: ItemLock): boolean {
    return lock.expiresAt.getTime() <= this.#now();
  }

  /**
   * Takes the lock on `itemId` for `lockedBy`. Taking it again as the same
   * holder renews it.
   * @throws {ItemLockedError} someone else holds an unexpired lock.
   * @throws {InvalidIdError} an id is unsafe as a file name, or `lockedBy` contains a dot.
   */
  async acquire(itemId: string, lockedBy: string): Promise<ItemLock> {
    assertSafeId(itemId, 'itemId');
    assertSafeId(lockedBy, 'lockedBy');
    if (lockedBy.includes('.')) throw new InvalidIdError(lockedBy, 'lockedBy must not contain "."');
    await ensureDir(this.dir);
    return withLock(join(this.dir, '.item-locks'), async () => {
      const existing = (await this.list()).filter((lock) => lock.itemId === itemId);
      for (const lock of existing) {
        if (this.isExpired(lock) || lock.lockedBy === lockedBy) {
          await unlink(lock.path).catch(() => undefined);
        } else {
          throw new ItemLockedError(itemId, lock.lockedBy, lock.expiresAt, lock.path);
        }
      }
      const seconds = Math.floor(this.#now() / 1000);
      const path = join(this.dir, `${itemId}.lock.${lockedBy}.${seconds}`);
      await writeFile(path, JSON.stringify({ itemId, lockedBy, pid: process.pid }) + '\n', {
        flag: 'wx',
      });
      await fsyncDirectory(nodeFs, this.dir);
      const lock = this.#parse(`${itemId}.lock.${lockedBy}.${seconds}`);
      if (lock === undefined)
        throw new InvalidIdError(itemId, 'cannot be parsed back from its lock file name');
      return lock;
    });
  }

  /** Releases `lockedBy`'s lock on `itemId`. @returns whether there was one. */
  async release(itemId: string, lockedBy: string): Promise<boolean> {
    assertSafeId(itemId, 'itemId');
    let removed = false;
    for (const lock of await this.list()) {
      if (lock.itemId !== itemId || lock.lockedBy !== lockedBy) continue;
      await unlink(lock.path).catch(() => undefined);
      removed = true;
    }
    if (removed) await fsyncDirectory(nodeFs, this.dir);
    return removed;
  }

  /** The unexpired lock on `itemId`, if any. */
  async holder(itemId: string): Promise<ItemLock | undefined> {
    return (await this.list()).find((lock) => lock.itemId === itemId && !this.isExpired(lock));
  }

  /** Removes expired lock files. @returns the locks removed. */
  async cleanExpired(): Promise<ItemLock[]> {
    const expired = (await this.list()).filter((lock) => this.isExpired(lock));
    for (const lock of expired) await unlink(lock.path).catch(() => undefined);
    if (expired.length > 0) await fsyncDirectory(nodeFs, this.dir);
    return expired;
  }
}
