import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  ensureDir,
  errnoOf,
  fsyncDirectory,
  isTempName,
  nodeFs,
  statOrNull,
  writeFileAtomic,
} from '@vellum/atomic-io';
import type { CollectionFiles } from '@vellum/collection';
import { listSegments } from '@vellum/journal';
import { CopySet, type SourceFile } from './copy-set.js';
import { BackupUsageError } from './errors.js';
import {
  exists,
  fsyncTree,
  isLockName,
  relativeInside,
  removeStaleWork,
  walk,
  workName,
} from './files.js';
import { recoverInterruptedRestore } from './interrupted.js';
import { lastCommittedSeq, withJournalLock } from './journal-tail.js';
import { checkpointsDir, type BackupLocation } from './location.js';
import {
  MANIFEST,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  formatStamp,
  serializeManifest,
  type Manifest,
  type ManifestCollection,
} from './manifest.js';
import { ProgressCounter, type OnProgress } from './progress.js';
import { DEFAULT_CONCURRENCY } from './verify.js';

/**
 * What a backup needs of a collection. A `Collection` from
 * `@vellum/collection` is one; the interface keeps the schema type out.
 */
export interface BackupSource {
  readonly name: string;
  /** Folder of `checkpoint.json` and `snapshot.jsonl`. */
  readonly stateDir: string;
  /** Folder of the journal's segments. */
  readonly journalDir: string;
  /** Materializes everything and writes a snapshot, under the collection's lock. */
  checkpoint(): Promise<{ seq: number }>;
  /** Every file the collection owns, by role. */
  files(): Promise<CollectionFiles>;
}

export interface CreateBackupOptions extends BackupLocation {
  /** The open collections of the store. */
  collections: readonly BackupSource[];
  /** More files or folders to copy, relative to the root (lock files and temp files are skipped). */
  include?: readonly string[] | undefined;
  /** The store's kind for the manifest (`ap-state`, `pm`, `coaia`...). Default `vellum`. */
  kind?: string | undefined;
  /** Clock, for tests: names the backup and stamps the manifest. */
  now?: (() => Date) | undefined;
  onProgress?: OnProgress | undefined;
  /** Files copied at once. Default 16. */
  concurrency?: number | undefined;
  /** Copy passes without the lock before one under it. Default 3. */
  unlockedPasses?: number | undefined;
  /** How long to wait for a collection's lock. Default 10 s. */
  lockTimeout?: number | undefined;
  /**
   * Checkpoint each collection first (default true): its files and snapshot are then
   * current and a restore replays little. `false` copies the last snapshot and the
   * journal since, which is as consistent and avoids rewriting the snapshot of a
   * large store that changed.
   */
  checkpoint?: boolean | undefined;
}

export interface CreatedBackup {
  id: string;
  /** Absolute path of the checkpoint directory. */
  path: string;
  manifest: Manifest;
  /**
   * Copy passes per collection: 1 unless a writer rewrote its files during the
   * copy; the last one ran under the lock when it exceeds `unlockedPasses`.
   */
  passes: Record<string, number>;
}

const CHECKPOINT = 'checkpoint.json';

/** `checkpoint.json` as read at one moment, with the identity of its file. */
interface CheckpointRead {
  bytes: Buffer;
  ino: number;
  mtimeMs: number;
  size: number;
}

async function readCheckpoint(path: string, collection: string): Promise<CheckpointRead> {
  try {
    const info = await stat(path);
    const bytes = await readFile(path);
    return { bytes, ino: info.ino, mtimeMs: info.mtimeMs, size: info.size };
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') {
      throw new BackupUsageError(
        `collection ${collection} has no ${CHECKPOINT} at ${path}: pass an open collection`,
        path,
      );
    }
    throw error;
  }
}

/** The checkpoint file was not replaced (atomic writes always give a new inode) or rewritten. */
function unchanged(a: CheckpointRead, b: CheckpointRead): boolean {
  return a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.size === b.size && a.bytes.equals(b.bytes);
}

function checkpointSeqs(
  bytes: Buffer,
  path: string,
): { materializedSeq: number; snapshotSeq: number } {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as {
      materializedSeq?: unknown;
      snapshotSeq?: unknown;
    };
    if (Number.isSafeInteger(value.materializedSeq) && Number.isSafeInteger(value.snapshotSeq))
      return {
        materializedSeq: value.materializedSeq as number,
        snapshotSeq: value.snapshotSeq as number,
      };
  } catch {
    // Reported below.
  }
  throw new BackupUsageError(`${path} is not a Vellum checkpoint`, path);
}

function sourcesOf(files: CollectionFiles, name: string, except: string): SourceFile[] {
  const roles = ['documents', 'indexes', 'state', 'journal'] as const;
  return roles.flatMap((role) =>
    files[role]
      .filter((path) => resolve(path) !== except)
      .map((path) => ({ path: resolve(path), role, collection: name })),
  );
}

interface Context {
  root: string;
  checkpoint: boolean;
  copies: CopySet;
  unlockedPasses: number;
  lockTimeout: number | undefined;
}

/**
 * Checkpoints the collection, so that the backup's files and snapshot are
 * current and a restore has little to replay; skipped when the collection is
 * already checkpointed at its last sequence number (a checkpoint would rewrite
 * the same snapshot: 0.6 s for 100k documents). Consistency does not depend
 * on it: see `copyCollection`.
 * @returns the sequence number of the snapshot the backup starts from.
 */
async function checkpointFirst(
  source: BackupSource,
  checkpointPath: string,
  journalDir: string,
  wanted: boolean,
): Promise<number> {
  const current = checkpointSeqs(
    (await readCheckpoint(checkpointPath, source.name)).bytes,
    checkpointPath,
  );
  if (!wanted) return current.snapshotSeq;
  const idle =
    current.snapshotSeq === current.materializedSeq &&
    (await lastCommittedSeq(journalDir)) === current.materializedSeq;
  return idle ? current.snapshotSeq : (await source.checkpoint()).seq;
}

/**
 * Copies one collection consistently while its writers keep going.
 *
 * A pass reads `checkpoint.json`, then copies the snapshot, the documents, the
 * index files and the journal without any lock. Then, under the journal's
 * lock (a few milliseconds), it checks that `checkpoint.json` is the very file
 * it read and copies what the journal gained. A collection writes its
 * documents, index files and snapshot before `checkpoint.json`, and only under
 * that lock: so an unchanged checkpoint proves no file was rewritten during
 * the pass, and the journal, caught up under the lock, holds every
 * transaction the files reflect and those after. If the checkpoint changed, the
 * next pass recopies only what changed; after `unlockedPasses`, one pass runs
 * under the lock. Decision 0007 explains why the documents cannot just be
 * copied as they are.
 */
async function copyCollection(
  source: BackupSource,
  context: Context,
): Promise<{ entry: ManifestCollection; passes: number }> {
  const stateDir = resolve(source.stateDir);
  const journalDir = resolve(source.journalDir);
  const stateRel = relativeInside(context.root, stateDir);
  const journalRel = relativeInside(context.root, journalDir);
  if (stateRel === undefined || journalRel === undefined) {
    throw new BackupUsageError(
      `collection ${source.name} keeps its state or journal outside the root ${context.root}`,
    );
  }
  const checkpointPath = join(stateDir, CHECKPOINT);
  const checkpointSeq = await checkpointFirst(
    source,
    checkpointPath,
    journalDir,
    context.checkpoint,
  );
  const scope = (part: string): string => `${source.name}:${part}`;
  const syncAll = async (): Promise<CheckpointRead> => {
    const read = await readCheckpoint(checkpointPath, source.name);
    const sources = sourcesOf(await source.files(), source.name, checkpointPath);
    // The roles in parallel: a single-file layout has one big file per role.
    await Promise.all(
      (['state', 'documents', 'indexes', 'journal'] as const).map((role) =>
        context.copies.sync(
          scope(role),
          sources.filter((s) => s.role === role),
        ),
      ),
    );
    return read;
  };
  const syncJournal = async (): Promise<void> => {
    const segments = await listSegments(journalDir);
    await context.copies.sync(
      scope('journal'),
      segments.map((segment) => ({
        path: join(journalDir, segment.name),
        role: 'journal' as const,
        collection: source.name,
      })),
    );
  };

  const lock = <T>(fn: () => Promise<T>): Promise<T> =>
    withJournalLock(journalDir, fn, context.lockTimeout);
  let passes = 0;
  let read: CheckpointRead | undefined;
  let seq = 0;
  while (read === undefined) {
    passes++;
    if (passes > context.unlockedPasses) {
      [read, seq] = await lock(async () => [await syncAll(), await lastCommittedSeq(journalDir)]);
      break;
    }
    const before = await syncAll();
    const checked = await lock(async () => {
      const now = await readCheckpoint(checkpointPath, source.name);
      if (!unchanged(before, now)) return undefined;
      await syncJournal();
      return lastCommittedSeq(journalDir);
    });
    if (checked !== undefined) [read, seq] = [before, checked];
  }
  await context.copies.put(
    scope('checkpoint'),
    { path: checkpointPath, role: 'state', collection: source.name },
    read.bytes,
  );
  const seqs = checkpointSeqs(read.bytes, checkpointPath);
  return {
    passes,
    entry: {
      name: source.name,
      stateDir: stateRel,
      journalDir: journalRel,
      seq: Math.max(seq, seqs.materializedSeq),
      ...seqs,
      checkpointSeq,
    },
  };
}

/** Copies the `include` paths (files or folders), skipping locks, temp files and the backups. */
async function copyIncluded(
  include: readonly string[],
  root: string,
  backups: string,
  copies: CopySet,
): Promise<void> {
  const sources: SourceFile[] = [];
  for (const entry of include) {
    const path = resolve(root, entry);
    if (path !== root && relativeInside(root, path) === undefined)
      throw new BackupUsageError(`include ${entry} is not inside the root ${root}`, path);
    const info = await statOrNull(path);
    if (info === null) throw new BackupUsageError(`include ${entry} does not exist`, path);
    const skipDir = (dir: string): boolean =>
      dir === backups || isLockName(basename(dir)) || relativeInside(backups, dir) !== undefined;
    const files = info.isDirectory()
      ? (await walk(path, skipDir))
          .filter((file) => file.kind === 'file')
          .map((file) => join(path, ...file.path.split('/')))
      : [path];
    for (const file of files) {
      const name = basename(file);
      // Lock files are left out by `copies.sync`.
      if (isTempName(name) || copies.has(file)) continue;
      if (relativeInside(backups, file) !== undefined) continue;
      sources.push({ path: file, role: 'extra' });
    }
  }
  await copies.sync('extra', sources);
}

/**
 * Writes the manifest (last: until then the work directory is not a backup)
 * and renames the work directory to `<checkpoints>/<id>`, taking the next
 * `-N` when that second is taken, by a file or by another process racing us.
 * @returns the id and manifest it was published under.
 */
async function publish(
  work: string,
  dir: string,
  body: Omit<Manifest, 'checksum'>,
): Promise<{ id: string; manifest: Manifest }> {
  for (let n = 1; ; n++) {
    const id = n === 1 ? body.id : `${body.id}-${n}`;
    const target = join(dir, id);
    if (await exists(target)) continue;
    const { bytes, manifest } = serializeManifest({ ...body, id });
    await writeFileAtomic(join(work, MANIFEST), bytes);
    try {
      await rename(work, target);
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 'ENOTEMPTY' || errno === 'EEXIST') continue;
      throw error;
    }
    await fsyncDirectory(nodeFs, dir);
    return { id, manifest };
  }
}

/**
 * Takes a backup of a store while its writers keep going: a checkpoint of
 * each collection, then a consistent copy of its documents, index files,
 * snapshot, checkpoint and journal segments (see `copyCollection`), plus the
 * `include` files, into `<backupDir>/checkpoints/YYYYMMDD_HHMMSS/` with a
 * `manifest.json` of every file's size and SHA-256.
 *
 * Crash-safe: everything is copied and fsynced in a work directory, the
 * manifest is written last, and the directory is renamed into place; a killed
 * create leaves only a work directory that later calls remove.
 *
 * @throws {BackupUsageError} a collection's files outside the root, a missing `include`, duplicate collection names.
 * @throws {LockTimeoutError} a collection's lock could not be taken (nothing is published).
 * @throws {DiskFullError | WriteError} the copy failed; nothing is published.
 */
export async function createBackup(options: CreateBackupOptions): Promise<CreatedBackup> {
  const root = resolve(options.root);
  const now = options.now ?? (() => new Date());
  const names = options.collections.map((c) => c.name);
  if (new Set(names).size !== names.length)
    throw new BackupUsageError(`collection names must be unique: ${names.join(', ')}`);
  await recoverInterruptedRestore(options);
  const startedAt = now();
  const dir = checkpointsDir(options);
  await ensureDir(dir);
  await removeStaleWork(dir, ['creating', 'importing', 'deleting']);
  const work = join(dir, workName('creating'));
  await mkdir(work);
  let published = false;
  try {
    const copying = new ProgressCounter('copy', options.onProgress);
    const checkpointing = new ProgressCounter('checkpoint', options.onProgress);
    checkpointing.plan(options.collections.length, 0);
    const copies = new CopySet(root, work, options.concurrency ?? DEFAULT_CONCURRENCY, copying);
    const context: Context = {
      root,
      checkpoint: options.checkpoint ?? true,
      copies,
      unlockedPasses: options.unlockedPasses ?? 3,
      lockTimeout: options.lockTimeout,
    };
    const collections: ManifestCollection[] = [];
    const passes: Record<string, number> = {};
    for (const source of options.collections) {
      const copied = await copyCollection(source, context);
      collections.push(copied.entry);
      passes[source.name] = copied.passes;
      checkpointing.done(0);
    }
    if (options.include !== undefined && options.include.length > 0)
      await copyIncluded(options.include, root, dir, copies);
    const files = copies.files();
    const stamp = formatStamp(startedAt);
    const body: Omit<Manifest, 'checksum'> = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      id: stamp,
      timestamp: startedAt.toISOString(),
      completedAt: now().toISOString(),
      store: { kind: options.kind ?? 'vellum', root },
      collections,
      totals: { files: files.length, bytes: files.reduce((sum, file) => sum + file.size, 0) },
      files,
    };
    await fsyncTree(work, copies.targets());
    const { id, manifest } = await publish(work, dir, body);
    published = true;
    return { id, path: join(dir, id), manifest, passes };
  } finally {
    if (!published) await rm(work, { recursive: true, force: true });
  }
}
