import { statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { quarantineFile, quarantineName } from '@vellum/atomic-io';
import { ValidationError } from './errors.js';
import type { LayoutEntry } from './layout.js';
import { encoded, journalOp, type Planned } from './records.js';
import type { CollectionState } from './state.js';
import { idOfDocument, validateDocument } from './validate.js';

/** Files changed outside Vellum: documents to write, documents whose file is gone. */
export interface ExternalChanges {
  puts: LayoutEntry[];
  deletes: { id: string; file: string | undefined }[];
}

/** Reads the layout's files; `complete` is false when some could not be read (and were kept aside). */
export async function readLayout<T>(
  state: CollectionState<T>,
  files: readonly string[] | undefined,
): Promise<{ entries: LayoutEntry[]; complete: boolean }> {
  const read = await state.layout.read(state.root, files);
  for (const problem of read.problems) {
    if (problem.path === undefined) continue;
    await keepAside(state, problem.path, problem.message, 'move');
    restoreFile(state, state.layout.idOf?.(state.root, problem.path));
  }
  return { entries: read.entries, complete: read.problems.length === 0 };
}

/**
 * A file kept aside held documents the collection still has, good: write
 * them again, or the missing file would later read as a deletion.
 */
export function restoreFile<T>(state: CollectionState<T>, id: string | undefined): void {
  if (!state.layout.capabilities.perDocument) {
    if (state.docs.size > 0) state.rewriteAll = true;
    return;
  }
  if (id === undefined || !state.docs.has(id) || state.dirty.has(id)) return;
  // An infinite seq: no other process's checkpoint can have written this file back.
  state.dirty.set(id, { versions: [], seq: Number.POSITIVE_INFINITY });
}

/** Validates a document found in a file; an invalid one's file is kept aside and reported. */
export async function validateAdopted<T>(
  state: CollectionState<T>,
  entry: LayoutEntry,
): Promise<T | undefined> {
  const perDocument = state.layout.capabilities.perDocument;
  try {
    const doc = await validateDocument(
      state.schema,
      entry.doc,
      `document ${entry.id} in ${entry.file}`,
    );
    if (idOfDocument(doc, state.id, entry.file) !== entry.id) {
      throw new ValidationError(`document in ${entry.file}`, [
        {
          path: [state.id.field],
          message: `does not match the id ${JSON.stringify(entry.id)} its file gives it`,
        },
      ]);
    }
    return doc;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    // A whole-file layout is rewritten without the bad document: keep a copy of the file as it was.
    await keepAside(state, entry.file, error.message, perDocument ? 'move' : 'copy');
    restoreFile(state, entry.id);
    if (!perDocument) state.rewriteAll = true;
    return undefined;
  }
}

/** Moves (or copies) an unusable file to a quarantine name, and reports it. */
export async function keepAside<T>(
  state: CollectionState<T>,
  file: string,
  reason: string,
  how: 'move' | 'copy',
): Promise<void> {
  if (state.report.quarantined.some((q) => q.file === file)) return;
  state.checkpointStale = true;
  let keptAt: string;
  if (how === 'move') {
    keptAt = await quarantineFile(file);
  } else {
    keptAt = quarantineName(file, 'corrupt');
    await copyFile(file, keptAt);
  }
  state.report.quarantined.push({ file, keptAt, reason });
  process.emitWarning(`${state.name}: ${reason}; the file is kept at ${keptAt}`, {
    code: 'VELLUM_QUARANTINED',
  });
}

/**
 * Documents in files changed since the checkpoint that differ from every
 * version the collection knows for them, and documents whose file is gone.
 */
export async function findExternalChanges<T>(
  state: CollectionState<T>,
  atOpen: boolean,
  listed?: readonly string[],
): Promise<ExternalChanges> {
  // Every file, before a flush too: the flush moves the checkpoint's time past any edit not
  // adopted now, and the next open would no longer see it.
  const files = listed ?? (await state.layout.files(state.root));
  const times = modificationTimes(files);
  // Equal times are ambiguous on coarse clocks: look at the content.
  const changed = files.filter((_, i) => (times[i] ?? -1) >= state.checkpointMtime);
  if (atOpen && changed.length > 0) state.checkpointStale = true;
  const perDocument = state.layout.capabilities.perDocument;
  const countDiffers = atOpen && perDocument && files.length !== state.docs.size;
  const wholeFileGone = atOpen && !perDocument && files.length === 0 && state.docs.size > 0;
  if (changed.length === 0 && !countDiffers && !wholeFileGone) return { puts: [], deletes: [] };
  const readAll = countDiffers || !perDocument;
  const { entries, complete } = await readLayout(state, readAll ? undefined : changed);
  const puts = entries.filter((entry) => !isKnownVersion(state, entry.id, entry.doc));
  const deletes: ExternalChanges['deletes'] = [];
  // A document is gone only if every file could be read: an unreadable one is no deletion.
  if (readAll && complete) {
    const present = new Set(entries.map((entry) => entry.id));
    for (const id of state.docs.keys()) {
      if (!present.has(id) && state.dirty.get(id) === undefined)
        deletes.push({ id, file: undefined });
    }
  }
  return { puts, deletes };
}

function isKnownVersion<T>(state: CollectionState<T>, id: string, doc: unknown): boolean {
  const text = orderFreeJson(doc);
  const current = state.docs.get(id);
  if (current !== undefined && orderFreeJson(current.doc) === text) return true;
  return state.dirty.get(id)?.versions.some((version) => orderFreeJson(version) === text) ?? false;
}

/**
 * JSON with every object's members sorted: a layout may write them in another
 * order (the map file sorts them), which is no edit.
 */
function orderFreeJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => {
    if (typeof member !== 'object' || member === null || Array.isArray(member)) return member;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(member).sort()) {
      // defineProperty: a "__proto__" member is data, never the prototype.
      Object.defineProperty(sorted, key, {
        value: (member as Record<string, unknown>)[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return sorted;
  });
}

/**
 * Journals hand edits so they become part of the history, newest of all.
 * `changedInJournal`: ids also written through Vellum since the checkpoint
 * (the hand edit wins; they are reported as conflicts).
 */
export async function adopt<T>(
  state: CollectionState<T>,
  external: ExternalChanges,
  changedInJournal: ReadonlySet<string>,
): Promise<void> {
  const planned: Planned<T>[] = [];
  for (const entry of external.puts) {
    const doc = await validateAdopted(state, entry);
    if (doc === undefined) continue;
    planned.push({ op: 'external-put', id: entry.id, doc });
    state.report.adopted.push({ id: entry.id, change: 'put', file: entry.file });
  }
  for (const { id, file } of external.deletes) {
    planned.push({ op: 'delete', id, doc: undefined });
    state.report.adopted.push({ id, change: 'delete', file });
  }
  if (planned.length === 0) return;
  state.checkpointStale = true;
  for (const p of planned) if (changedInJournal.has(p.id)) state.report.conflicts.push(p.id);
  const tx = await state.journal.append(
    planned.map((p) =>
      p.op === 'delete' ? { op: 'external-delete', id: p.id } : journalOp(encoded(p)),
    ),
  );
  state.apply(tx, 'external');
}

/**
 * Modification times (`-1` for a file that is gone). Synchronous: for
 * thousands of stats of cached inodes, the thread pool's round trips cost
 * three to four times the calls (10,000 files: about 50 ms against 150-220 ms).
 */
function modificationTimes(files: readonly string[]): number[] {
  return files.map((file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1);
}
