import { readJson, writeJsonAtomic, type WriteJsonOptions } from '@vellum/atomic-io';
import { firstIndexWhere } from './binary-search.js';
import { InvalidKeyError, InvalidQueryError, UniqueConstraintError } from './errors.js';
import { keyCodec, type KeyCodec, type KeyType } from './key-codec.js';
import {
  classRank,
  compareKeys,
  keyClass,
  keyProblem,
  normalizeKey,
  sortKeys,
  type IndexKey,
  type KeyClass,
} from './key-order.js';
import { corruptValue, parsingSchema, type IndexLoadOptions } from './persistence.js';
import { parseEntries, type SecondaryIndexJson } from './secondary-json.js';
import {
  differenceSorted,
  insertSorted,
  removeSorted,
  sortUnique,
  unionSorted,
} from './sorted-ids.js';

/** What a field extractor returns: one key, several (a multi-valued field), or none. */
export type ExtractedKeys = IndexKey | readonly IndexKey[] | undefined;

export interface SecondaryIndexOptions<T> {
  /** Names the index in errors, e.g. `by-status`. */
  name: string;
  /** The key or keys of a document; `undefined` (or `[]`) leaves it out of the index. */
  key: (doc: T) => ExtractedKeys;
  /** At most one document per key. */
  unique?: boolean | undefined;
  /** Which keys the index holds and how they are written as JSON (default `'any'`). */
  keyType?: KeyType | undefined;
}

/** Bounds of a range query; all given bounds must be keys of one type. */
export interface RangeBounds {
  gt?: IndexKey | undefined;
  gte?: IndexKey | undefined;
  lt?: IndexKey | undefined;
  lte?: IndexKey | undefined;
}

/** One (key, id) pair the index has wrongly, or lacks. */
export interface IndexDrift {
  key: IndexKey;
  id: string;
}

export interface IndexVerifyReport {
  /** `true` when the index holds exactly what the documents say. */
  ok: boolean;
  /** Pairs the documents have and the index lacks. */
  missing: IndexDrift[];
  /** Pairs the index has and the documents do not. */
  extra: IndexDrift[];
}

/** Documents as `[id, doc]` pairs: a `Map`, `Object.entries(...)`, or a generator. */
export type DocumentEntries<T> = Iterable<readonly [string, T]>;

type Entries = Map<IndexKey, string[]>;

/**
 * A secondary index: key -> sorted ids, for equality, `in`, range and prefix
 * queries, persisted in the specs' shape. Keys live in a `Map` (so `1`, `"1"`
 * and `true` are distinct keys); a sorted array of keys is built on the first
 * range or prefix query and kept up to date from then on, so loading and
 * equality queries never pay for sorting.
 */
export class SecondaryIndex<T> {
  readonly name: string;
  readonly unique: boolean;
  readonly keyType: KeyType;
  readonly #extract: (doc: T) => ExtractedKeys;
  readonly #codec: KeyCodec;
  #entries: Entries = new Map();
  #sortedKeys: IndexKey[] | undefined;

  /** @throws {TypeError} for an unknown `keyType`. */
  constructor(options: SecondaryIndexOptions<T>) {
    const keyType = options.keyType ?? 'any';
    if (!['any', 'string', 'number', 'boolean'].includes(keyType)) {
      throw new TypeError(`index "${options.name}": unknown keyType ${JSON.stringify(keyType)}`);
    }
    this.name = options.name;
    this.unique = options.unique === true;
    this.keyType = keyType;
    this.#extract = options.key;
    this.#codec = keyCodec(keyType);
  }

  /** Number of distinct keys. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Indexes a new document.
   * @throws {UniqueConstraintError} when a unique key is held by another id; nothing changes.
   * @throws {InvalidKeyError} when the extractor returns something that is not a key.
   */
  add(id: string, doc: T): void {
    this.update(id, undefined, doc);
  }

  /**
   * Takes a document out of the index. `doc` must be the version that was indexed.
   * @throws {InvalidKeyError} when the extractor returns something that is not a key.
   */
  remove(id: string, doc: T): void {
    this.update(id, doc, undefined);
  }

  /**
   * Moves a document from the keys of `oldDoc` to those of `newDoc`; either may
   * be `undefined` (insert, delete). Checks everything before changing anything.
   * @throws {UniqueConstraintError} when a unique key is held by another id; nothing changes.
   * @throws {InvalidKeyError} when the extractor returns something that is not a key.
   */
  update(id: string, oldDoc: T | undefined, newDoc: T | undefined): void {
    if (typeof id !== 'string') {
      throw new InvalidKeyError(this.name, undefined, id, 'ids are strings');
    }
    const before = oldDoc === undefined ? [] : this.#keysOf(id, oldDoc);
    const after = newDoc === undefined ? [] : this.#keysOf(id, newDoc);
    const kept = new Set(before);
    const added = after.filter((key) => !kept.delete(key));
    if (this.unique) {
      for (const key of added) {
        const holder = this.#entries.get(key)?.[0];
        if (holder !== undefined && holder !== id) {
          throw new UniqueConstraintError(this.name, key, id, holder);
        }
      }
    }
    // What is left in `kept` was in the old version only.
    for (const key of kept) this.#removePair(key, id);
    for (const key of added) this.#addPair(key, id);
  }

  /**
   * The keys `doc` is filed under: validated, normalized, each once. `id`
   * names the document in errors.
   * @throws {InvalidKeyError} when the extractor returns something that is not a key.
   */
  keysOf(doc: T, id?: string): IndexKey[] {
    return this.#keysOf(id, doc);
  }

  /**
   * Whether the index files `id` under every key of `doc` (a spot check of a
   * loaded index against the documents).
   * @throws {InvalidKeyError} when the extractor returns something that is not a key.
   */
  holds(id: string, doc: T): boolean {
    return this.#keysOf(id, doc).every((key) => this.#entries.get(key)?.includes(id) === true);
  }

  /**
   * Checks that a set of writes can be applied together, without changing
   * anything: every key is valid and, for a unique index, no key ends up with
   * two documents. `changes` lists the new version of each written id
   * (`undefined` for a delete; the last one counts when an id comes twice); an
   * id written here no longer holds the keys of its current version.
   * @throws {InvalidKeyError} a key that is not a key.
   * @throws {UniqueConstraintError} a key held by a document not written here, or claimed by two written ones.
   */
  check(changes: Iterable<{ readonly id: string; readonly doc: T | undefined }>): void {
    const latest = new Map<string, T | undefined>();
    for (const { id, doc } of changes) latest.set(id, doc);
    const claims = new Map<IndexKey, string>();
    for (const [id, doc] of latest) {
      if (doc === undefined) continue;
      for (const key of this.#keysOf(id, doc)) {
        if (!this.unique) continue;
        const holder =
          claims.get(key) ?? this.#entries.get(key)?.find((other) => !latest.has(other));
        if (holder !== undefined && holder !== id) {
          throw new UniqueConstraintError(this.name, key, id, holder);
        }
        claims.set(key, id);
      }
    }
  }

  /**
   * Ids under `key`, sorted (a new array).
   * @throws {InvalidQueryError} when `key` is not a key.
   */
  get(key: IndexKey): string[] {
    return [...(this.#entries.get(this.#queryKey(key)) ?? [])];
  }

  /** Whether any document has `key`. @throws {InvalidQueryError} when `key` is not a key. */
  has(key: IndexKey): boolean {
    return this.#entries.has(this.#queryKey(key));
  }

  /** How many documents have `key`, without copying them. @throws {InvalidQueryError} */
  count(key: IndexKey): number {
    return this.#entries.get(this.#queryKey(key))?.length ?? 0;
  }

  /**
   * Ids with any of `keys`, sorted, each once.
   * @throws {InvalidQueryError} when one of `keys` is not a key.
   */
  in(keys: Iterable<IndexKey>): string[] {
    const lists: string[][] = [];
    for (const key of keys) {
      const ids = this.#entries.get(this.#queryKey(key));
      if (ids !== undefined) lists.push(ids);
    }
    return unionSorted(lists);
  }

  /**
   * Ids whose key lies within the bounds, sorted, each once. Bounds of one type
   * select keys of that type only (`{ gte: 5 }` never matches strings); no
   * bounds at all select every key.
   * @throws {InvalidQueryError} when bounds are not keys or mix types.
   */
  range(bounds: RangeBounds): string[] {
    const { gt, gte, lt, lte } = bounds;
    const given = [gt, gte, lt, lte].filter((bound) => bound !== undefined);
    const classes = new Set<KeyClass>(given.map((bound) => keyClass(this.#queryKey(bound))));
    if (classes.size > 1) {
      throw new InvalidQueryError(this.name, `range bounds mix ${[...classes].join(' and ')} keys`);
    }
    const keys = this.#keyList();
    const [only] = classes;
    const starts = [0];
    const ends = [keys.length];
    if (only !== undefined) {
      const rank = classRank(only);
      starts.push(firstIndexWhere(keys, (key) => classRank(keyClass(key)) >= rank));
      ends.push(firstIndexWhere(keys, (key) => classRank(keyClass(key)) > rank));
    }
    if (gte !== undefined) starts.push(firstIndexWhere(keys, (key) => compareKeys(key, gte) >= 0));
    if (gt !== undefined) starts.push(firstIndexWhere(keys, (key) => compareKeys(key, gt) > 0));
    if (lte !== undefined) ends.push(firstIndexWhere(keys, (key) => compareKeys(key, lte) > 0));
    if (lt !== undefined) ends.push(firstIndexWhere(keys, (key) => compareKeys(key, lt) >= 0));
    return this.#idsOf(keys, Math.max(...starts), Math.min(...ends));
  }

  /**
   * Ids whose key is a string starting with `prefix`, sorted, each once.
   * @throws {InvalidQueryError} when `prefix` is not a string.
   */
  prefix(prefix: string): string[] {
    if (typeof prefix !== 'string') {
      throw new InvalidQueryError(this.name, 'a prefix query takes a string');
    }
    const keys = this.#keyList();
    // Keys with the prefix sort right after the prefix itself, contiguously.
    const start = firstIndexWhere(keys, (key) => compareKeys(key, prefix) >= 0);
    let end = start;
    while (end < keys.length) {
      const key = keys[end];
      if (typeof key !== 'string' || !key.startsWith(prefix)) break;
      end++;
    }
    return this.#idsOf(keys, start, end);
  }

  /** Every key, in the total key order (a new array). */
  keys(): IndexKey[] {
    return [...this.#keyList()];
  }

  /**
   * Replaces the whole content with the index of `docs` (the source of truth).
   * Nothing changes when it throws.
   * @throws {UniqueConstraintError} when two documents share a unique key.
   * @throws {InvalidKeyError} when the extractor returns something that is not a key.
   */
  rebuild(docs: DocumentEntries<T>): void {
    const entries = this.#collect(docs);
    if (this.unique) {
      for (const [key, ids] of entries) {
        if (ids.length > 1) {
          throw new UniqueConstraintError(this.name, key, ids[1] as string, ids[0] as string);
        }
      }
    }
    this.#entries = entries;
    this.#sortedKeys = undefined;
  }

  /**
   * Compares the index with what `docs` say it should hold. Drift is listed in
   * key order, then id order. For a unique index, documents that share a key
   * show up as `missing`.
   * @throws {InvalidKeyError} when the extractor returns something that is not a key.
   */
  verify(docs: DocumentEntries<T>): IndexVerifyReport {
    const expected = this.#collect(docs);
    const missing = driftBetween(expected, this.#entries);
    const extra = driftBetween(this.#entries, expected);
    return { ok: missing.length === 0 && extra.length === 0, missing, extra };
  }

  /**
   * The persisted shape: `{"<key>": ["id", ...]}` in key order, ids sorted; a
   * unique index writes `{"<key>": "id"}` like spec 002's `by_name`. Keys are
   * written as described for {@link KeyType}.
   */
  toJSON(): SecondaryIndexJson {
    // No prototype: a key named "__proto__" must stay a plain property.
    const json = Object.create(null) as SecondaryIndexJson;
    for (const key of this.#keyList()) {
      const ids = this.#entries.get(key) as string[];
      json[this.#codec.encode(key)] = this.unique ? (ids[0] as string) : [...ids];
    }
    return json;
  }

  /**
   * An index holding what `json` (the persisted shape) says; `json` is not modified.
   * @throws {CorruptFileError} when `json` is not that shape (`issues` says where).
   */
  static fromJSON<T>(json: unknown, options: SecondaryIndexOptions<T>): SecondaryIndex<T> {
    const index = new SecondaryIndex(options);
    const parsed = parseEntries(json, index.#codec, index.unique, false);
    if (parsed.issues !== undefined) throw corruptValue(`index "${index.name}"`, parsed.issues);
    index.#entries = parsed.value;
    return index;
  }

  /**
   * Writes the index to `path` atomically (temp file, fsync, rename, fsync of
   * the directory) with `writeJsonAtomic`, which takes the same `options`.
   * @throws {WriteError | DiskFullError | DurabilityError} as `writeJsonAtomic` does.
   */
  async save(path: string, options: WriteJsonOptions = {}): Promise<void> {
    await writeJsonAtomic(path, this.toJSON(), options);
  }

  /**
   * Reads an index saved by {@link save} or written by another tool in the
   * specs' shape; `null` when the file does not exist.
   * @throws {CorruptFileError} unparseable, or not the shape: with path, line and column.
   */
  static async load<T>(
    path: string,
    options: SecondaryIndexOptions<T>,
    read: IndexLoadOptions = {},
  ): Promise<SecondaryIndex<T> | null> {
    const index = new SecondaryIndex(options);
    const schema = parsingSchema((value) => parseEntries(value, index.#codec, index.unique, true));
    const entries = await readJson(path, { ...read, schema });
    if (entries === null) return null;
    index.#entries = entries;
    return index;
  }

  /** The document's keys: validated, normalized, each once. */
  #keysOf(id: string | undefined, doc: T): IndexKey[] {
    const extracted = this.#extract(doc);
    if (extracted === undefined) return [];
    if (!Array.isArray(extracted)) return [this.#checkKey(id, extracted as IndexKey)];
    const keys = new Set<IndexKey>();
    for (const value of extracted as readonly IndexKey[]) keys.add(this.#checkKey(id, value));
    return [...keys];
  }

  #checkKey(id: string | undefined, value: IndexKey): IndexKey {
    const problem = keyProblem(value) ?? this.#codec.refuses(value);
    if (problem !== undefined) throw new InvalidKeyError(this.name, id, value, problem);
    return normalizeKey(value);
  }

  #queryKey(value: IndexKey): IndexKey {
    const problem = keyProblem(value);
    if (problem !== undefined) throw new InvalidQueryError(this.name, problem);
    return value;
  }

  #collect(docs: DocumentEntries<T>): Entries {
    const entries: Entries = new Map();
    for (const [id, doc] of docs) {
      for (const key of this.#keysOf(id, doc)) {
        const ids = entries.get(key);
        if (ids === undefined) entries.set(key, [id]);
        else ids.push(id);
      }
    }
    for (const ids of entries.values()) sortUnique(ids);
    return entries;
  }

  #addPair(key: IndexKey, id: string): void {
    const ids = this.#entries.get(key);
    if (ids !== undefined) {
      insertSorted(ids, id);
      return;
    }
    this.#entries.set(key, [id]);
    const keys = this.#sortedKeys;
    if (keys !== undefined) {
      keys.splice(
        firstIndexWhere(keys, (other) => compareKeys(other, key) > 0),
        0,
        key,
      );
    }
  }

  #removePair(key: IndexKey, id: string): void {
    const ids = this.#entries.get(key);
    if (ids === undefined || !removeSorted(ids, id) || ids.length > 0) return;
    this.#entries.delete(key);
    const keys = this.#sortedKeys;
    if (keys !== undefined) {
      keys.splice(
        firstIndexWhere(keys, (other) => compareKeys(other, key) >= 0),
        1,
      );
    }
  }

  #keyList(): IndexKey[] {
    this.#sortedKeys ??= sortKeys(this.#entries.keys());
    return this.#sortedKeys;
  }

  #idsOf(keys: readonly IndexKey[], start: number, end: number): string[] {
    const lists: string[][] = [];
    for (let i = start; i < end; i++) {
      lists.push(this.#entries.get(keys[i] as IndexKey) as string[]);
    }
    return unionSorted(lists);
  }
}

/** (key, id) pairs of `from` that `other` lacks, in key order then id order. */
function driftBetween(from: Entries, other: Entries): IndexDrift[] {
  const drift: IndexDrift[] = [];
  for (const key of sortKeys(from.keys())) {
    for (const id of differenceSorted(from.get(key) as string[], other.get(key) ?? [])) {
      drift.push({ key, id });
    }
  }
  return drift;
}
