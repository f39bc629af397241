import { lstat, mkdir, rm, utimes } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ensureDir, errnoOf } from '@vellum/atomic-io';
import { BackupCorruptError, BackupUsageError, RestoreTargetError } from './errors.js';
import {
  exists,
  fromPosix,
  fsyncTree,
  relativeInside,
  removeStaleWork,
  workName,
} from './files.js';
import { copyDurably } from './hash.js';
import { replayTo, type CollectionTarget, type ReplayResult } from './history.js';
import {
  asideName,
  completeRestore,
  recoverInterruptedRestore,
  writeIntent,
} from './interrupted.js';
import { backupPath, checkpointsDir, type BackupLocation } from './location.js';
import type { Manifest } from './manifest.js';
import { ProgressCounter, type OnProgress } from './progress.js';
import { DEFAULT_CONCURRENCY, checkFiles, loadManifest } from './verify.js';

/**
 * Where a point-in-time restore stops. `seq`: a journal sequence number (one
 * number for a store of one collection, else a number per collection name;
 * collections left out get the backup's state). `time`: the last transaction
 * committed at or before it, in every collection.
 */
export type RestoreTarget =
  { seq: number | Readonly<Record<string, number>> } | { time: Date | string };

export interface RestoreOptions {
  /** Replay the journal up to here; default: the backup as it was taken. */
  to?: RestoreTarget | undefined;
  onProgress?: OnProgress | undefined;
  /** Files copied at once. Default 16. */
  concurrency?: number | undefined;
  /** Clock, for tests: names the folder the current state is moved to. */
  now?: (() => Date) | undefined;
}

export interface RestoredCollection extends ReplayResult {
  name: string;
}

export interface RestoreReport {
  id: string;
  root: string;
  /** `<root>.backup.<YYYYMMDD_HHMMSS>`: the state that was current, intact; `null` when there was none. */
  movedAside: string | null;
  collections: RestoredCollection[];
  files: number;
  bytes: number;
}

/**
 * One target per collection, checked before anything is copied.
 * @throws {BackupUsageError} | {RestoreTargetError}
 */
function targetsOf(
  manifest: Manifest,
  to: RestoreTarget | undefined,
): Map<string, CollectionTarget> {
  const targets = new Map<string, CollectionTarget>();
  if (to === undefined) return targets;
  if ('time' in to) {
    const time = to.time instanceof Date ? to.time : new Date(to.time);
    if (Number.isNaN(time.getTime())) throw new BackupUsageError(`invalid time ${String(to.time)}`);
    for (const collection of manifest.collections) targets.set(collection.name, { time });
    return targets;
  }
  let seqs: Readonly<Record<string, number>>;
  if (typeof to.seq === 'number') {
    const only = manifest.collections[0];
    if (manifest.collections.length !== 1 || only === undefined) {
      throw new BackupUsageError(
        `backup ${manifest.id} has ${manifest.collections.length} collections: give a sequence number per collection name`,
      );
    }
    seqs = { [only.name]: to.seq };
  } else seqs = to.seq;
  for (const [name, seq] of Object.entries(seqs)) {
    const collection = manifest.collections.find((c) => c.name === name);
    if (collection === undefined)
      throw new BackupUsageError(`backup ${manifest.id} has no collection ${name}`);
    if (!Number.isSafeInteger(seq) || seq < 0)
      throw new BackupUsageError(`${name}: ${seq} is not a sequence number`);
    if (seq < collection.materializedSeq) {
      throw new RestoreTargetError(
        name,
        `sequence ${seq} is before ${collection.materializedSeq}, which the backup's files reflect: restore an older backup`,
        collection.materializedSeq,
      );
    }
    targets.set(name, { seq });
  }
  return targets;
}

/**
 * Restores backup `id` into the store root.
 *
 * 1. Copies every file of the backup into a staging folder beside the root,
 *    hashing each copy: the backup is verified by what is restored, and a
 *    mismatch stops here with nothing changed.
 * 2. With `to`, replays to the target (see `replayTo`): the backup's journal,
 *    extended when needed by the current journal's later history, cut after
 *    the target. The next `Collection.open` loads the snapshot and replays up to it.
 * 3. Moves the current root aside as `<root>.backup.<YYYYMMDD_HHMMSS>` (spec
 *    000; never deleted), brings the backups' folder back when it lived in the
 *    root, and renames the staging folder into place. An intent file makes
 *    these renames complete after a crash (`recoverInterruptedRestore`).
 *
 * Close every collection of the store, in every process, first.
 *
 * @throws {BackupNotFoundError} no such backup.
 * @throws {BackupCorruptError} the backup does not match its manifest; nothing changed.
 * @throws {RestoreTargetError} the target is before the backup; nothing changed.
 * @throws {HistoryMissingError} the history up to the target is not available; nothing changed.
 * @throws {BackupUsageError} an ambiguous or invalid target; nothing changed.
 */
export async function restoreBackup(
  location: BackupLocation,
  id: string,
  options: RestoreOptions = {},
): Promise<RestoreReport> {
  const root = resolve(location.root);
  await recoverInterruptedRestore(location);
  const source = await backupPath(location, id);
  const loaded = await loadManifest(source, id);
  if ('report' in loaded) throw new BackupCorruptError(loaded.report);
  const { manifest } = loaded;
  const targets = targetsOf(manifest, options.to);
  const now = options.now ?? (() => new Date());

  const parent = dirname(root);
  await ensureDir(parent);
  const prefix = `${basename(root)}.restoring`;
  await removeStaleWork(parent, [prefix]);
  const staging = join(parent, workName(prefix));
  await mkdir(staging);
  let handedOver = false;
  try {
    const made = new Map<string, Promise<unknown>>();
    const found = await checkFiles(
      source,
      manifest,
      async (file) => {
        const from = fromPosix(source, file.path);
        // Never restore through a symlink planted in the backup.
        const info = await lstat(from);
        if (!info.isFile()) return undefined;
        const to = fromPosix(staging, file.path);
        const dir = dirname(to);
        if (!made.has(dir)) made.set(dir, mkdir(dir, { recursive: true }));
        await made.get(dir);
        return copyDurably(from, to, info.size);
      },
      {
        phase: 'stage',
        onProgress: options.onProgress,
        concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
      },
    );
    const ok = found.missing.length === 0 && found.extra.length === 0 && found.changed.length === 0;
    if (!ok) throw new BackupCorruptError({ id, path: source, ok, manifest: undefined, ...found });

    // The checkpoint newer than every restored document: the next open has no reason to
    // reread them as possible hand edits (it would find them equal, at the cost of reading all).
    const touched = new Date();
    for (const collection of manifest.collections) {
      const path = join(fromPosix(staging, collection.stateDir), 'checkpoint.json');
      await utimes(path, touched, touched).catch((error: unknown) => {
        if (errnoOf(error) !== 'ENOENT') throw error;
      });
    }

    const currentRoot = (await exists(root)) ? root : null;
    const journalProgress = new ProgressCounter('journal', options.onProgress);
    const collections: RestoredCollection[] = [];
    for (const collection of manifest.collections) {
      const target = targets.get(collection.name);
      if (target === undefined) {
        collections.push({ name: collection.name, seq: collection.seq, history: 'backup' });
        continue;
      }
      const replayed = await replayTo({
        manifest,
        collection,
        staging,
        currentRoot,
        target,
        progress: journalProgress,
      });
      collections.push({ name: collection.name, ...replayed });
    }
    await fsyncTree(staging, [
      ...manifest.files.map((file) => fromPosix(staging, file.path)),
      // The journal folders the replay changed (a name inside each stands for them).
      ...manifest.collections
        .filter((c) => targets.has(c.name))
        .map((c) => join(fromPosix(staging, c.journalDir), 'segment')),
    ]);

    const checkpoints = relativeInside(root, checkpointsDir(location));
    const intent = {
      root,
      staging,
      aside: currentRoot === null ? null : await asideName(root, now()),
      checkpoints: checkpoints ?? null,
    };
    await writeIntent(intent);
    handedOver = true;
    const done = await completeRestore(intent);
    return {
      id,
      root,
      movedAside: done.movedAside,
      collections,
      files: found.files,
      bytes: found.bytes,
    };
  } finally {
    if (!handedOver) await rm(staging, { recursive: true, force: true });
  }
}
