import { mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { errnoOf, statOrNull, unlinkIfExists } from '@vellum/atomic-io';
import { BackupUsageError } from './errors.js';
import { fromPosix, isLockName, mapLimit, relativeInside } from './files.js';
import { copyDurably, writeDurably } from './hash.js';
import { MANIFEST, type FileRole, type ManifestFile } from './manifest.js';
import type { ProgressCounter } from './progress.js';

/** Identity of a source file when it was copied: any rewrite (atomic rename, append) changes it. */
interface Stamp {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

interface Copied {
  file: ManifestFile;
  /** The source as it was just before the copy; `undefined` for bytes written from memory. */
  stamp: Stamp | undefined;
  scope: string;
}

export interface SourceFile {
  /** Absolute path in the store. */
  path: string;
  role: FileRole;
  collection?: string | undefined;
}

function sameStamp(a: Stamp | undefined, b: Stamp | undefined): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs
  );
}

async function stampOf(path: string): Promise<Stamp | undefined> {
  const info = await statOrNull(path);
  if (info === null) return undefined;
  return {
    dev: info.dev,
    ino: info.ino,
    size: info.size,
    mtimeMs: info.mtimeMs,
    ctimeMs: info.ctimeMs,
  };
}

/**
 * The files being copied into a checkpoint's work directory, by path. A sync
 * copies only what is new or changed since it was last copied (by stat
 * identity), so a second pass after files moved under it, or the short pass
 * under the lock, costs little.
 */
export class CopySet {
  readonly #root: string;
  readonly #dest: string;
  readonly #concurrency: number;
  readonly #progress: ProgressCounter;
  readonly #copies = new Map<string, Copied>();
  readonly #dirs = new Map<string, Promise<unknown>>();

  constructor(root: string, dest: string, concurrency: number, progress: ProgressCounter) {
    this.#root = root;
    this.#dest = dest;
    this.#concurrency = concurrency;
    this.#progress = progress;
  }

  #relative(path: string): string {
    const rel = relativeInside(this.#root, path);
    if (rel === undefined)
      throw new BackupUsageError(`${path} is not inside the store root ${this.#root}`, path);
    if (rel === MANIFEST)
      throw new BackupUsageError(`a store file named ${MANIFEST} at the root would clash`, path);
    return rel;
  }

  async #parent(target: string): Promise<void> {
    const dir = dirname(target);
    let made = this.#dirs.get(dir);
    if (made === undefined) {
      made = mkdir(dir, { recursive: true });
      this.#dirs.set(dir, made);
    }
    await made;
  }

  /** Whether `path` (absolute, in the store) is copied already, by any scope. */
  has(path: string): boolean {
    const rel = relativeInside(this.#root, path);
    return rel !== undefined && this.#copies.has(rel);
  }

  /**
   * Makes the copies of `scope` match `sources`: copies new and changed files,
   * drops those no longer listed. A file that vanishes before it is copied is
   * left out (it was deleted or moved; the pass that sees it moved copies it).
   * Paths another scope already holds are skipped, and so are lock files
   * (`isLockName`), whoever lists them.
   * @throws {BackupUsageError} a source outside the root, or named like the manifest.
   */
  async sync(scope: string, sources: readonly SourceFile[]): Promise<void> {
    const wanted = new Map<string, SourceFile>();
    for (const source of sources) {
      if (isLockName(basename(source.path))) continue;
      const rel = this.#relative(source.path);
      const holder = this.#copies.get(rel);
      if (holder !== undefined && holder.scope !== scope) continue;
      wanted.set(rel, source);
    }
    for (const [rel, copied] of this.#copies) {
      if (copied.scope === scope && !wanted.has(rel)) await this.#drop(rel);
    }
    const stamps = await mapLimit([...wanted], this.#concurrency * 4, async ([rel, source]) => ({
      rel,
      source,
      stamp: await stampOf(source.path),
    }));
    const work = stamps.filter(({ rel, stamp }) => {
      if (stamp === undefined) return false;
      return !sameStamp(this.#copies.get(rel)?.stamp, stamp);
    });
    for (const { rel, stamp } of stamps) if (stamp === undefined) await this.#drop(rel);
    this.#progress.plan(
      work.length,
      work.reduce((sum, { stamp }) => sum + (stamp?.size ?? 0), 0),
    );
    await mapLimit(work, this.#concurrency, async ({ rel, source, stamp }) => {
      const target = fromPosix(this.#dest, rel);
      await this.#parent(target);
      try {
        const digest = await copyDurably(source.path, target, stamp?.size);
        this.#copies.set(rel, {
          scope,
          stamp,
          file: {
            path: rel,
            ...digest,
            role: source.role,
            ...(source.collection === undefined ? {} : { collection: source.collection }),
          },
        });
        this.#progress.done(digest.size);
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') throw error;
        await this.#drop(rel);
        this.#progress.done(0);
      }
    });
  }

  /** Adds a file from bytes already read (the checkpoint that was checked). */
  async put(scope: string, source: SourceFile, bytes: Buffer): Promise<void> {
    const rel = this.#relative(source.path);
    const target = fromPosix(this.#dest, rel);
    await this.#parent(target);
    this.#progress.plan(1, bytes.length);
    const digest = await writeDurably(target, bytes);
    this.#progress.done(digest.size);
    this.#copies.set(rel, {
      scope,
      stamp: undefined,
      file: {
        path: rel,
        ...digest,
        role: source.role,
        ...(source.collection === undefined ? {} : { collection: source.collection }),
      },
    });
  }

  async #drop(rel: string): Promise<void> {
    this.#copies.delete(rel);
    await unlinkIfExists(fromPosix(this.#dest, rel));
  }

  /** The manifest's file list, sorted by path. */
  files(): ManifestFile[] {
    return [...this.#copies.values()]
      .map((copied) => copied.file)
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Absolute paths of the copies. */
  targets(): string[] {
    return [...this.#copies.keys()].map((rel) => fromPosix(this.#dest, rel));
  }
}
