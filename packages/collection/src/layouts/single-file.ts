import { dirname, resolve } from 'node:path';
import {
  CorruptFileError,
  ensureDir,
  readJson,
  readRecords,
  statOrNull,
  writeFileAtomic,
  writeJsonAtomic,
} from '@vellum/atomic-io';
import type { Layout, LayoutEntry, LayoutRead, LayoutState } from '../layout.js';

function idOf(doc: unknown, field: string): string | undefined {
  const id = (doc as Record<string, unknown> | null)?.[field];
  return typeof id === 'string' ? id : undefined;
}

async function existing(path: string): Promise<string[]> {
  return (await statOrNull(path)) === null ? [] : [path];
}

/** Reads a whole-file JSON layout: `null` when missing, a problem when corrupt. */
async function readWhole(
  file: string,
): Promise<{ value: unknown } | { problem: CorruptFileError }> {
  try {
    return { value: await readJson(file) };
  } catch (error) {
    if (error instanceof CorruptFileError) return { problem: error };
    throw error;
  }
}

export interface ArrayFileOptions {
  /** The file, relative to the root, e.g. `.pm/projects/proj_1/tickets.json`. */
  file: string;
  /** The id field of each element. Default `id`. */
  idField?: string | undefined;
  /** Keep a `.bak` of the previous version. Default true. */
  backup?: boolean | undefined;
}

/** All documents as one JSON array file (spec 002's `tickets.json`), in collection order. */
export function arrayFileLayout<T>(options: ArrayFileOptions): Layout<T> {
  const idField = options.idField ?? 'id';
  return {
    name: `array-file(${options.file})`,
    capabilities: { perDocument: false, ordered: true },
    files: (root) => existing(resolve(root, options.file)),
    async read(root): Promise<LayoutRead> {
      const file = resolve(root, options.file);
      const whole = await readWhole(file);
      if ('problem' in whole) return { entries: [], problems: [whole.problem] };
      if (whole.value === null) return { entries: [], problems: [] };
      if (!Array.isArray(whole.value)) {
        const problem = new CorruptFileError(`${file}:1:1: expected a JSON array of documents`, {
          path: file,
          line: 1,
          column: 1,
        });
        return { entries: [], problems: [problem] };
      }
      const entries: LayoutEntry[] = [];
      const problems: CorruptFileError[] = [];
      whole.value.forEach((doc: unknown, index) => {
        const id = idOf(doc, idField);
        if (id === undefined) {
          problems.push(
            new CorruptFileError(`${file}: element ${index} has no string "${idField}"`, {
              path: file,
            }),
          );
        } else {
          entries.push({ id, doc, file });
        }
      });
      return { entries, problems };
    },
    async write(root, state: LayoutState<T>) {
      const file = resolve(root, options.file);
      await ensureDir(dirname(file));
      await writeJsonAtomic(
        file,
        Array.from(state.entries(), ([, doc]) => doc),
        {
          backup: options.backup ?? true,
        },
      );
      return [file];
    },
  };
}

export interface MapFileOptions<T> {
  /** The file, relative to the root. */
  file: string;
  /** The member that holds the map, e.g. `mappings`; omit for a bare map. */
  key?: string | undefined;
  /** The id field, removed from the stored value and put back on read. Default `id`; null keeps values whole. */
  idField?: string | null | undefined;
  /** Other top-level members (`version`, `updated`...), computed at each write. */
  envelope?: ((state: LayoutState<T>) => Record<string, unknown>) | undefined;
  /** Sort keys (the spec 003 files are written with sort_keys). Default true. */
  sortKeys?: boolean | undefined;
  backup?: boolean | undefined;
}

/** All documents as one JSON object keyed by id (spec 003's `external_id_mapping.json`). */
export function mapFileLayout<T>(options: MapFileOptions<T>): Layout<T> {
  const idField = options.idField === undefined ? 'id' : options.idField;
  return {
    name: `map-file(${options.file})`,
    capabilities: { perDocument: false, ordered: false },
    files: (root) => existing(resolve(root, options.file)),
    async read(root): Promise<LayoutRead> {
      const file = resolve(root, options.file);
      const whole = await readWhole(file);
      if ('problem' in whole) return { entries: [], problems: [whole.problem] };
      if (whole.value === null) return { entries: [], problems: [] };
      const map =
        options.key === undefined
          ? whole.value
          : (whole.value as Record<string, unknown> | null)?.[options.key];
      if (typeof map !== 'object' || map === null || Array.isArray(map)) {
        const where = options.key === undefined ? '' : ` at "${options.key}"`;
        const problem = new CorruptFileError(`${file}:1:1: expected an object${where}`, {
          path: file,
          line: 1,
          column: 1,
        });
        return { entries: [], problems: [problem] };
      }
      const entries = Object.entries(map).map(([id, stored]: [string, unknown]) => ({
        id,
        doc:
          idField === null || typeof stored !== 'object' || stored === null
            ? stored
            : { [idField]: id, ...stored },
        file,
      }));
      return { entries, problems: [] };
    },
    async write(root, state: LayoutState<T>) {
      const file = resolve(root, options.file);
      // Null prototype: an id such as "__proto__" must stay a key, not become the prototype.
      const map = Object.create(null) as Record<string, unknown>;
      for (const [id, doc] of state.entries()) {
        if (idField === null || typeof doc !== 'object' || doc === null) {
          map[id] = doc;
        } else {
          const { [idField]: _id, ...rest } = doc as Record<string, unknown>;
          map[id] = rest;
        }
      }
      const body =
        options.key === undefined
          ? map
          : { ...(options.envelope?.(state) ?? {}), [options.key]: map };
      await ensureDir(dirname(file));
      await writeJsonAtomic(file, body, {
        backup: options.backup ?? true,
        sortKeys: options.sortKeys ?? true,
      });
      return [file];
    },
  };
}

export interface JsonlFileOptions {
  /** The file, relative to the root, e.g. `.coaia/charts.jsonl`. */
  file: string;
  /** The id of a line's document, e.g. an entity's `name`. */
  idOf: (doc: unknown) => string | undefined;
}

/** All documents as lines of one JSONL file (spec 001's knowledge graph), in collection order. */
export function jsonlFileLayout<T>(options: JsonlFileOptions): Layout<T> {
  return {
    name: `jsonl-file(${options.file})`,
    capabilities: { perDocument: false, ordered: true },
    files: (root) => existing(resolve(root, options.file)),
    async read(root): Promise<LayoutRead> {
      const file = resolve(root, options.file);
      const entries: LayoutEntry[] = [];
      const problems: CorruptFileError[] = [];
      const onTornTail = (tail: { line: number; offset: number; bytes: number }): void => {
        const message = `${file}:${tail.line}: torn last line (${tail.bytes} bytes)`;
        problems.push(
          new CorruptFileError(message, { path: file, line: tail.line, offset: tail.offset }),
        );
      };
      try {
        for await (const record of readRecords(file, { onTornTail })) {
          const id = options.idOf(record.value);
          if (id === undefined) {
            const message = `${file}:${record.line}: line has no id`;
            problems.push(
              new CorruptFileError(message, {
                path: file,
                line: record.line,
                offset: record.offset,
              }),
            );
          } else {
            entries.push({ id, doc: record.value, file });
          }
        }
      } catch (error) {
        if (error instanceof CorruptFileError) return { entries, problems: [...problems, error] };
        throw error;
      }
      return { entries, problems };
    },
    async write(root, state: LayoutState<T>) {
      const file = resolve(root, options.file);
      const text = Array.from(state.jsonEntries(), ([, json]) => `${json}\n`).join('');
      await ensureDir(dirname(file));
      await writeFileAtomic(file, text);
      return [file];
    },
  };
}
