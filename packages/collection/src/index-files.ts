import { dirname, resolve } from 'node:path';
import {
  CorruptFileError,
  cleanupTempFiles,
  ensureDir,
  readJson,
  writeJsonAtomic,
} from '@vellum/atomic-io';
import { SEARCH_INDEX, documentEntries, type CollectionState } from './state.js';
import type { IndexReport } from './types.js';

/**
 * Compares persisted index files with the indexes built from the documents
 * (at open): drift is reported and, unless `repairIndexFiles` is off, rewritten.
 */
export async function checkIndexFiles<T>(state: CollectionState<T>): Promise<void> {
  for (const [name, { index, file }] of state.indexes) {
    if (file === undefined) continue;
    let stored: unknown;
    try {
      stored = await readJson(resolve(state.root, file));
    } catch (error) {
      if (!(error instanceof CorruptFileError)) throw error;
      stored = undefined;
    }
    if (stored === null) {
      // Never written yet (a store from before the index existed): write it, nothing drifted.
      if (state.docs.size > 0 && state.repairIndexFiles) state.dirtyIndexes.add(name);
    } else if (canonical(stored) !== canonical(index.toJSON())) {
      state.report.indexDrift.push(name);
      if (state.repairIndexFiles) state.dirtyIndexes.add(name);
    }
  }
  if (state.dirtyIndexes.size > 0) state.scheduleFlush();
}

/**
 * Removes the temp files writers killed mid-write left next to the persisted
 * index files (those of dead processes only): nothing else would, and
 * `vellum health` would report them for good. Called under the lock.
 */
export async function cleanIndexFolders<T>(state: CollectionState<T>): Promise<void> {
  const files = [...state.indexes.values()].map(({ file }) => file);
  files.push(state.fullText?.file);
  const folders = new Set(
    files.flatMap((file) => (file === undefined ? [] : [dirname(resolve(state.root, file))])),
  );
  for (const folder of folders) await cleanupTempFiles(folder);
}

/** Writes the persisted index files that changed (every one with `all`). */
export async function writeIndexFiles<T>(state: CollectionState<T>, all: boolean): Promise<void> {
  for (const [name, { index, file }] of state.indexes) {
    if (file === undefined || !(all || state.dirtyIndexes.has(name))) continue;
    const path = resolve(state.root, file);
    await ensureDir(dirname(path));
    await writeJsonAtomic(path, index.toJSON());
  }
  const fullText = state.fullText;
  if (fullText?.file !== undefined && (all || state.dirtyIndexes.has(SEARCH_INDEX))) {
    const path = resolve(state.root, fullText.file);
    await ensureDir(dirname(path));
    await writeJsonAtomic(path, state.ensureFullText()?.toJSON());
  }
}

/**
 * Rebuilds every index in memory from the documents and marks their files
 * for rewriting. @returns the names of the indexes rebuilt.
 */
export function rebuildIndexes<T>(state: CollectionState<T>): string[] {
  for (const [name, { index, file }] of state.indexes) {
    index.rebuild(documentEntries(state.docs));
    if (file !== undefined) state.dirtyIndexes.add(name);
  }
  const fullText = state.fullText;
  if (fullText !== undefined) {
    fullText.built = false;
    state.ensureFullText();
    if (fullText.file !== undefined) state.dirtyIndexes.add(SEARCH_INDEX);
  }
  return [...state.indexes.keys(), ...(fullText === undefined ? [] : ['search'])];
}

/** Every index against the documents, in memory and, for one kept in a file, that file. */
export async function verifyIndexes<T>(
  state: CollectionState<T>,
): Promise<Record<string, IndexReport>> {
  const out: Record<string, IndexReport> = {};
  for (const [name, { index, file }] of state.indexes) {
    const report = index.verify(documentEntries(state.docs));
    const fileState =
      file === undefined
        ? 'none'
        : await indexFileState(state, name, resolve(state.root, file), index.toJSON());
    out[name] = {
      ok: report.ok && (fileState === 'ok' || fileState === 'none' || fileState === 'pending'),
      missing: report.missing.length,
      extra: report.extra.length,
      file: fileState,
    };
  }
  return out;
}

async function indexFileState<T>(
  state: CollectionState<T>,
  name: string,
  path: string,
  expected: unknown,
): Promise<IndexReport['file']> {
  if (state.dirtyIndexes.has(name)) return 'pending';
  let stored: unknown;
  try {
    stored = await readJson(path);
  } catch (error) {
    if (error instanceof CorruptFileError) return 'corrupt';
    throw error;
  }
  if (stored === null) return state.docs.size === 0 ? 'ok' : 'missing';
  if (typeof stored !== 'object' || Array.isArray(stored)) return 'corrupt';
  return canonical(stored) === canonical(expected) ? 'ok' : 'drift';
}

/** JSON with keys and id lists in a fixed order, so equal indexes compare equal. */
function canonical(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'undefined';
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return JSON.stringify(
    entries.map(([key, ids]) => [
      key,
      Array.isArray(ids) ? [...(ids as unknown[])].map(String).sort() : ids,
    ]),
  );
}
