import { dirname, join } from 'node:path';
import { CorruptFileError, cleanupTempFiles, ensureDir, statOrNull } from '@vellum/atomic-io';
import { SecondaryIndex } from '@vellum/index';
import { Journal, listSegments, type Transaction } from '@vellum/journal';
import {
  adopt,
  findExternalChanges,
  keepAside,
  readLayout,
  restoreFile,
  validateAdopted,
} from './adopt.js';
import { STATE_FILES, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { DocumentSlot } from './document-slot.js';
import { StoreExistsError, StoreNotFoundError } from './errors.js';
import { checkIndexFiles, cleanIndexFolders } from './index-files.js';
import { encoded, journalOp, type Planned } from './records.js';
import { readSnapshot, type SnapshotIndex } from './snapshot.js';
import { documentEntries, type CollectionState } from './state.js';
import type { CollectionOptions } from './types.js';

/**
 * Opens the journal and brings the state up to date: loads the snapshot,
 * replays the journal, adopts files edited outside Vellum and, in a folder with
 * layout files but no journal, imports them. Unusable files are kept aside and
 * listed in `state.report`. On failure, what was opened is closed again.
 * @throws {StoreNotFoundError} none there, with `createIfMissing: false`; nothing created.
 * @throws {StoreExistsError} one there already, with `errorIfExists: true`.
 */
export async function openState<T>(
  state: CollectionState<T>,
  options: CollectionOptions<T>,
): Promise<void> {
  const errorIfExists = options.errorIfExists ?? false;
  if (options.createIfMissing === false || errorIfExists) {
    const exists = await collectionExists(state);
    if (!exists && options.createIfMissing === false)
      throw new StoreNotFoundError(state.name, state.root);
    if (exists && errorIfExists) throw new StoreExistsError(state.name, state.root);
  }
  try {
    await ensureDir(state.stateDir);
    await cleanupTempFiles(state.stateDir);
    state.journal = await Journal.open(state.journalDir, {
      lockTimeout: options.lockTimeout,
      rotateBytes: options.rotateBytes,
      now: options.now,
    });
    await state.journal.exclusive(async () => {
      // Listed under the lock: no other process materializes between the listing and its use.
      const files = await state.layout.files(state.root);
      for (const dir of new Set(files.map((file) => dirname(file)))) await cleanupTempFiles(dir);
      await cleanIndexFolders(state);
      const found = await loadCheckpoint(state);
      // Checked again under the lock: another process may have created it since.
      if (found !== null && errorIfExists) throw new StoreExistsError(state.name, state.root);
      if (found === null) {
        await adoptFolder(state);
        await checkIndexFiles(state);
        state.checkpointStale = true;
      } else {
        state.checkpointMtime = found.mtimeMs;
        await recover(state, files);
      }
      // A read-only open leaves the checkpoint (and its time, which hand edits are compared with) alone.
      if (state.checkpointStale) {
        state.checkpointMtime = await writeCheckpoint(state.stateDir, state.checkpoint);
      }
    });
    // Opening is a one-off: another process must not wait out the lease.
    await state.journal.release();
  } catch (error) {
    // The lease and the files opened so far are released; the open's own error is the one to see.
    await (state.journal as Journal | undefined)?.close().catch(() => undefined);
    await state.snapshotFile?.close().catch(() => undefined);
    throw error;
  }
  if (state.dirty.size > 0 || state.rewriteAll) state.scheduleFlush();
}

/** Whether the collection has a checkpoint, a journal segment or a layout file; reads only. */
async function collectionExists<T>(state: CollectionState<T>): Promise<boolean> {
  const checkpoint = (await statOrNull(join(state.stateDir, STATE_FILES.checkpoint))) !== null;
  if (checkpoint || (await listSegments(state.journalDir)).length > 0) return true;
  return (await state.layout.files(state.root)).length > 0;
}

async function loadCheckpoint<T>(state: CollectionState<T>): Promise<{ mtimeMs: number } | null> {
  try {
    const found = await readCheckpoint(state.stateDir);
    if (found === null) return null;
    state.checkpoint = found.checkpoint;
    return { mtimeMs: found.mtimeMs };
  } catch (error) {
    if (!(error instanceof CorruptFileError) || error.path === undefined) throw error;
    await keepAside(state, error.path, error.message, 'move');
    return null;
  }
}

/** A folder without checkpoint: import its files, then replay whatever the journal has. */
async function adoptFolder<T>(state: CollectionState<T>): Promise<void> {
  const { entries } = await readLayout(state, undefined);
  const planned: Planned<T>[] = [];
  for (const entry of entries) {
    const doc = await validateAdopted(state, entry);
    if (doc !== undefined) planned.push({ op: 'import', id: entry.id, doc });
  }
  if (planned.length > 0) {
    const tx = await state.journal.append(planned.map((p) => journalOp(encoded(p))));
    state.apply(tx, undefined);
    state.report.imported = planned.length;
  }
  for await (const tx of state.journal.read(state.appliedSeq)) {
    state.apply(tx, 'remote');
    state.report.replayed++;
  }
  state.checkpoint = {
    ...state.checkpoint,
    materializedSeq: state.appliedSeq,
    at: state.now().toISOString(),
  };
}

/** Snapshot, replay to the checkpoint, adopt hand edits, replay the rest. */
async function recover<T>(state: CollectionState<T>, files: readonly string[]): Promise<void> {
  const { materializedSeq } = state.checkpoint;
  let snapshot: Awaited<ReturnType<typeof readSnapshot>> = null;
  const source = { fd: -1, path: '' };
  try {
    snapshot = await readSnapshot(state.stateDir, (id, rev, offset, length) =>
      state.docs.set(id, DocumentSlot.inFile<T>(source, offset, length, rev)),
    );
  } catch (error) {
    // What was read before the damage is no state to keep.
    state.docs.clear();
    if (!(error instanceof CorruptFileError) || error.path === undefined) throw error;
    await keepAside(state, error.path, error.message, 'move');
  }
  if (snapshot !== null) {
    source.fd = snapshot.file.fd;
    source.path = snapshot.path;
    state.snapshotFile = snapshot.file;
    loadIndexes(state, snapshot.indexes);
    state.appliedSeq = snapshot.seq;
  } else if (state.checkpoint.snapshotSeq > 0) {
    await rebuildWithoutSnapshot(state);
  }
  const later: Transaction[] = [];
  for await (const tx of state.journal.read(state.appliedSeq)) {
    if (tx.lastSeq <= materializedSeq) state.apply(tx, undefined);
    else later.push(tx);
    state.report.replayed++;
  }
  // The index files were written from this state: compare before later writes and hand edits.
  await checkIndexFiles(state);
  const external = await findExternalChanges(state, true, files);
  const rebuilt = state.report.rebuilt;
  if (rebuilt !== undefined) {
    // Without the snapshot the state folder was damaged: a missing file is no proof of a
    // deletion, and the journal's version is written back rather than dropped.
    for (const { id } of external.deletes) {
      restoreFile(state, id);
      rebuilt.restored.push(id);
    }
    external.deletes = [];
  }
  for (const tx of later) state.apply(tx, 'remote');
  await adopt(state, external, new Set(later.flatMap((tx) => tx.ops.map((op) => op.id ?? ''))));
}

/**
 * The checkpoint names a snapshot that is gone (or was kept aside), and the
 * journal before it may be compacted. A journal that still starts at sequence
 * 1 is the whole history: it is replayed from there, and the files are only
 * compared with it. Otherwise the files stand for the state at the checkpoint,
 * the journal's records are replayed over them from its first, and the
 * sequence numbers it lacks are reported: a document whose file was lost and
 * whose last write lies there cannot be recovered.
 */
async function rebuildWithoutSnapshot<T>(state: CollectionState<T>): Promise<void> {
  const { materializedSeq } = state.checkpoint;
  let firstSeq: number | undefined;
  for await (const tx of state.journal.read(0)) {
    firstSeq = tx.seq;
    break;
  }
  state.checkpointStale = true;
  if (firstSeq === 1) {
    state.report.rebuilt = { from: 'journal', gap: undefined, restored: [] };
    return;
  }
  for (const entry of (await readLayout(state, undefined)).entries) {
    const doc = await validateAdopted(state, entry);
    if (doc !== undefined) state.set(entry.id, DocumentSlot.ofDocument(doc, materializedSeq));
  }
  const toSeq = Math.min(firstSeq ?? Number.POSITIVE_INFINITY, materializedSeq + 1) - 1;
  state.report.rebuilt = {
    from: 'files',
    gap: toSeq >= 1 ? { fromSeq: 1, toSeq } : undefined,
    restored: [],
  };
  if (toSeq >= 1) {
    process.emitWarning(
      `${state.name}: the snapshot is gone and the journal no longer holds sequence numbers 1 to ${toSeq}: a document whose file was lost and last written there cannot be recovered`,
      { code: 'VELLUM_HISTORY_GAP' },
    );
  }
  // The records up to the checkpoint are replayed over the files: the journal's version wins.
  for await (const tx of state.journal.read(0)) {
    if (tx.lastSeq > materializedSeq) break;
    state.apply(tx, undefined);
    state.report.replayed++;
  }
  state.appliedSeq = materializedSeq;
}

/**
 * Takes the snapshot's persisted indexes whose definition is unchanged,
 * after checking a sample of documents against them; rebuilds the others.
 */
function loadIndexes<T>(state: CollectionState<T>, persisted: readonly SnapshotIndex[]): void {
  const sample = sampleIds(state.docs, 32);
  for (const [name, entry] of state.indexes) {
    const stored = persisted.find((index) => index.name === name);
    let loaded: SecondaryIndex<T> | undefined;
    if (stored !== undefined && entry.fingerprint !== undefined) {
      if (stored.fingerprint === entry.fingerprint) {
        try {
          loaded = SecondaryIndex.fromJSON<T>(stored.entries, entry.options);
        } catch (error) {
          if (!(error instanceof CorruptFileError)) throw error;
        }
      }
    }
    const holdsSample = (index: SecondaryIndex<T>): boolean =>
      sample.every((id) => {
        const doc = state.docs.get(id)?.doc;
        return doc === undefined || index.holds(id, doc);
      });
    if (loaded !== undefined && holdsSample(loaded)) {
      entry.index = loaded;
    } else {
      entry.index.rebuild(documentEntries(state.docs));
    }
  }
}

/** Up to `count` ids spread over the whole collection. */
function sampleIds(docs: ReadonlyMap<string, unknown>, count: number): string[] {
  const step = Math.max(1, Math.floor(docs.size / count));
  const out: string[] = [];
  let i = 0;
  for (const id of docs.keys()) {
    if (i++ % step === 0) out.push(id);
    if (out.length === count) break;
  }
  return out;
}
