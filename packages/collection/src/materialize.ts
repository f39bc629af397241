import { statOrNull } from '@vellum/atomic-io';
import { resolve } from 'node:path';
import { listSegments } from '@vellum/journal';
import { adopt, findExternalChanges } from './adopt.js';
import { STATE_FILES, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { DocumentSlot } from './document-slot.js';
import { writeIndexFiles } from './index-files.js';
import type { LayoutState } from './layout.js';
import { writeSnapshot, type SnapshotIndex } from './snapshot.js';
import { documentEntries, type CollectionState } from './state.js';
import type { CollectionFiles } from './types.js';

/** Above this, the journal's current segment is sealed when a snapshot covers it. */
const SEAL_AT_SNAPSHOT_BYTES = 1024 * 1024;

/**
 * Writes every change into the layout's files, then the persisted indexes and
 * the checkpoint (and, when due, a snapshot, compacting the journal). Runs
 * holding the lock, caught up. A file edited by hand since the last checkpoint
 * is adopted first, not overwritten.
 * `snapshot`: `due` (every `snapshotEvery` operations), `changed` (if anything
 * changed since the last), or `force`.
 */
export async function materialize<T>(
  state: CollectionState<T>,
  snapshot: 'due' | 'changed' | 'force',
): Promise<void> {
  state.cancelFlush();
  const found = await readCheckpoint(state.stateDir);
  if (found !== null && found.checkpoint.materializedSeq > state.checkpoint.materializedSeq) {
    // Another process materialized since: what it covered is on disk.
    for (const [id, dirty] of state.dirty)
      if (dirty.seq <= found.checkpoint.materializedSeq) state.dirty.delete(id);
    state.checkpoint = found.checkpoint;
    state.checkpointMtime = found.mtimeMs;
  }
  // A snapshot already at the applied sequence is not written again, even when forced.
  const snapshotDue = (): boolean =>
    (snapshot === 'force' && state.checkpoint.snapshotSeq !== state.appliedSeq) ||
    state.opsSinceSnapshot >= state.snapshotEvery ||
    (snapshot === 'changed' && state.opsSinceSnapshot > 0);
  const idle = (): boolean =>
    state.dirty.size === 0 && !state.rewriteAll && state.dirtyIndexes.size === 0 && !snapshotDue();
  // Nothing to write, so no file can be overwritten: a hand edit is adopted at the next open or write.
  if (idle()) return;
  const external = await findExternalChanges(state, false);
  await adopt(state, external, new Set(state.dirty.keys()));
  if (idle()) return;
  const view: LayoutState<T> = {
    entries: () => documentEntries(state.docs),
    get: (id) => state.docs.get(id)?.doc,
    jsonEntries: () => jsonEntries(state.docs),
  };
  const changed = new Map<string, readonly T[]>();
  if (state.rewriteAll) for (const id of state.docs.keys()) changed.set(id, []);
  for (const [id, dirty] of state.dirty) changed.set(id, dirty.versions);
  if (changed.size > 0) await state.layout.write(state.root, view, changed);
  await writeIndexFiles(state, state.rewriteAll);
  let snapshotSeq = state.checkpoint.snapshotSeq;
  const writeSnapshotNow = snapshotDue();
  if (writeSnapshotNow) {
    await writeSnapshot(
      state.stateDir,
      state.appliedSeq,
      storedDocuments(state.docs),
      persistedIndexes(state),
    );
    snapshotSeq = state.appliedSeq;
    state.opsSinceSnapshot = 0;
  }
  state.checkpoint = {
    format: 1,
    materializedSeq: state.appliedSeq,
    snapshotSeq,
    at: state.now().toISOString(),
  };
  state.checkpointMtime = await writeCheckpoint(state.stateDir, state.checkpoint);
  state.dirty.clear();
  state.rewriteAll = false;
  state.dirtyIndexes.clear();
  if (writeSnapshotNow) {
    // Sealing a large segment lets the next open skip it instead of reading what the snapshot covers.
    if (state.journal.segmentBytes >= SEAL_AT_SNAPSHOT_BYTES) await state.journal.rotate();
    if (!state.keepJournal) await state.journal.compact(snapshotSeq);
  }
}

/** The secondary indexes to keep in the snapshot: those whose definition can be recognized. */
function persistedIndexes<T>(state: CollectionState<T>): SnapshotIndex[] {
  const out: SnapshotIndex[] = [];
  for (const [name, { index, fingerprint }] of state.indexes) {
    if (fingerprint !== undefined) out.push({ name, fingerprint, entries: index.toJSON() });
  }
  return out;
}

function* jsonEntries<T>(
  docs: ReadonlyMap<string, DocumentSlot<T>>,
): Generator<readonly [string, string]> {
  for (const [id, slot] of docs) yield [id, slot.json()];
}

function* storedDocuments<T>(
  docs: ReadonlyMap<string, DocumentSlot<T>>,
): Generator<{ id: string; rev: number; json: string }> {
  for (const [id, slot] of docs) yield { id, rev: slot.revision, json: slot.json() };
}

/** Every file the collection owns now, by role (absolute paths of those that exist). */
export async function collectionFiles<T>(state: CollectionState<T>): Promise<CollectionFiles> {
  const existing = async (paths: string[]): Promise<string[]> => {
    const found: string[] = [];
    for (const path of paths) if ((await statOrNull(path)) !== null) found.push(path);
    return found;
  };
  const indexFiles = [...state.indexes.values()].flatMap(({ file }) =>
    file === undefined ? [] : [resolve(state.root, file)],
  );
  if (state.fullText?.file !== undefined) indexFiles.push(resolve(state.root, state.fullText.file));
  return {
    documents: await state.layout.files(state.root),
    indexes: await existing(indexFiles),
    state: await existing([
      resolve(state.stateDir, STATE_FILES.checkpoint),
      resolve(state.stateDir, STATE_FILES.snapshot),
    ]),
    journal: (await listSegments(state.journalDir)).map((segment) =>
      resolve(state.journalDir, segment.name),
    ),
  };
}
