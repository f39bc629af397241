import { readdir } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { errnoOf, lstatOrNull } from '@vellum/atomic-io';
import { lockDirectoryKind } from './lock-dirs.js';

export interface FileEntry {
  /** Absolute path. */
  path: string;
  name: string;
  kind: 'file' | 'directory' | 'other';
  size: number;
  mtimeMs: number;
}

export interface WalkResult {
  entries: FileEntry[];
  /** Directories that could not be listed (permissions); their content is not in `entries`. */
  unreadable: string[];
}

// lstat calls in flight per directory: enough to hide latency, few enough to spare file handles.
const STAT_BATCH = 64;

/** The directories in `dirs` that are not inside another one of them, so nothing is walked twice. */
export function outermost(dirs: readonly string[]): string[] {
  const sorted = [...new Set(dirs)].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const dir of sorted) {
    if (
      !kept.some(
        (outer) => dir === outer || dir.startsWith(outer.endsWith(sep) ? outer : outer + sep),
      )
    )
      kept.push(dir);
  }
  return kept;
}

/**
 * Lists every entry under `roots` without following symbolic links, down to
 * `maxDepth` levels. Lock directories (`*.lock`, `*.lock.d`) are listed, not entered.
 * Entries that vanish while walking (a writer's temp file) are left out.
 * @throws the first error other than a missing or unreadable directory.
 */
export async function walk(roots: readonly string[], maxDepth: number): Promise<WalkResult> {
  const result: WalkResult = { entries: [], unreadable: [] };
  const pending: { dir: string; depth: number }[] = outermost(roots).map((dir) => ({
    dir,
    depth: 0,
  }));
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    let names: string[];
    try {
      names = await readdir(next.dir);
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 'ENOENT' || errno === 'ENOTDIR') continue;
      if (errno === 'EACCES' || errno === 'EPERM') {
        result.unreadable.push(next.dir);
        continue;
      }
      throw error;
    }
    for (let i = 0; i < names.length; i += STAT_BATCH) {
      const batch = names.slice(i, i + STAT_BATCH);
      const found = await Promise.all(batch.map((name) => entryOf(join(next.dir, name), name)));
      for (const entry of found) {
        if (entry === undefined) continue;
        result.entries.push(entry);
        if (
          entry.kind === 'directory' &&
          lockDirectoryKind(entry) === undefined &&
          next.depth < maxDepth
        )
          pending.push({ dir: entry.path, depth: next.depth + 1 });
      }
    }
  }
  return result;
}

async function entryOf(path: string, name: string): Promise<FileEntry | undefined> {
  const info = await lstatOrNull(path);
  if (info === null) return undefined;
  const kind = info.isFile() ? 'file' : info.isDirectory() ? 'directory' : 'other';
  return { path, name, kind, size: info.size, mtimeMs: info.mtimeMs };
}
