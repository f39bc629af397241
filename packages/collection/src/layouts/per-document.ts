import { readdirSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import {
  CorruptFileError,
  InvalidIdError,
  assertSafeId,
  ensureDir,
  errnoOf,
  fsyncDirectory,
  nodeFs,
  readJson,
  unlinkIfExists,
  writeJsonAtomic,
} from '@vellum/atomic-io';
import type { Layout, LayoutEntry, LayoutRead, LayoutState } from '../layout.js';

export interface PerDocumentOptions<T> {
  /** Folder under the root that holds the documents, e.g. `tasks`. */
  dir: string;
  /** Path of a document's file relative to `dir`, e.g. `active/TASK-001-001.json`. */
  pathOf: (doc: T, id: string) => string;
  /** Which files under `dir` are documents (relative path, `/`-separated). Default: `*.json` outside `index/` and dot folders. */
  isDocumentFile?: ((relativePath: string) => boolean) | undefined;
  /** The id a document file holds. Default: the file name without `.json`. */
  idOfFile?: ((relativePath: string, doc: unknown) => string | undefined) | undefined;
  /** Sort keys when writing. Default false (keep the document's own order). */
  sortKeys?: boolean | undefined;
}

const defaultIsDocumentFile = (path: string): boolean =>
  path.endsWith('.json') &&
  !path.split('/').some((part) => part.startsWith('.') || part === 'index');

/**
 * Every file under `dir`: absolute path and `/`-separated path relative to
 * `dir` (built as it goes: `path.relative` per file is slow). Synchronous:
 * listing a few dozen folders costs less than their thread-pool round trips.
 */
function walk(
  dir: string,
  prefix = '',
  found: { full: string; relative: string }[] = [],
): { full: string; relative: string }[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return found;
    throw error;
  }
  for (const entry of entries) {
    // `dir` is absolute and normalized already: a plain concatenation, not `join`, per file.
    const full = `${dir}${sep}${entry.name}`;
    const relativePath = `${prefix}${entry.name}`;
    if (entry.isDirectory()) walk(full, `${relativePath}/`, found);
    else if (entry.isFile()) found.push({ full, relative: relativePath });
  }
  return found;
}

/**
 * One JSON file per document in folders the caller chooses (spec 000's
 * `tasks/active/<id>.json` and `tasks/completed/YYYY-MM/<id>.json`). A document
 * whose path changes is written at the new path first, then removed from the old.
 */
export function perDocumentLayout<T>(options: PerDocumentOptions<T>): Layout<T> {
  const isDocumentFile = options.isDocumentFile ?? defaultIsDocumentFile;
  const idOfFile =
    options.idOfFile ??
    ((path: string) =>
      path
        .split('/')
        .at(-1)
        ?.replace(/\.json$/, ''));
  const base = (root: string): string => resolve(root, options.dir);
  const pathFor = (root: string, doc: T, id: string): string => {
    assertSafeId(id);
    const relativePath = options.pathOf(doc, id);
    const segments = relativePath.split('/');
    for (const segment of segments) assertSafeId(segment, 'path segment');
    const full = resolve(base(root), ...segments);
    if (!full.startsWith(base(root) + sep)) {
      throw new InvalidIdError(relativePath, `resolves outside ${base(root)}`);
    }
    return full;
  };
  const files = (root: string): Promise<string[]> =>
    Promise.resolve(
      walk(base(root)).flatMap((file) => (isDocumentFile(file.relative) ? [file.full] : [])),
    );

  return {
    name: `per-document(${options.dir})`,
    capabilities: { perDocument: true, ordered: false },
    files,

    idOf: (root, file) => idOfFile(relative(base(root), file).split(sep).join('/'), undefined),

    async read(root, only): Promise<LayoutRead> {
      const dir = base(root);
      const entries: LayoutEntry[] = [];
      const problems: CorruptFileError[] = [];
      for (const file of only ?? (await files(root))) {
        let doc: unknown;
        try {
          doc = await readJson(file);
        } catch (error) {
          if (error instanceof CorruptFileError) {
            problems.push(error);
            continue;
          }
          throw error;
        }
        const id = idOfFile(relative(dir, file).split(sep).join('/'), doc);
        if (id !== undefined && doc !== null) entries.push({ id, doc, file });
      }
      return { entries, problems };
    },

    async write(root, state: LayoutState<T>, changed) {
      const touched: string[] = [];
      const removedFrom = new Set<string>();
      for (const [id, versions] of changed) {
        const current = state.get(id);
        const target = current === undefined ? undefined : pathFor(root, current, id);
        if (current !== undefined && target !== undefined) {
          await ensureDir(dirname(target));
          await writeJsonAtomic(target, current, { sortKeys: options.sortKeys });
          touched.push(target);
        }
        const stale = new Set(versions.map((version) => pathFor(root, version, id)));
        stale.delete(target ?? '');
        for (const old of stale) {
          if (await unlinkIfExists(old)) {
            removedFrom.add(dirname(old));
            touched.push(old);
          }
        }
      }
      for (const dir of removedFrom) await fsyncDirectory(nodeFs, dir);
      return touched;
    },
  };
}
