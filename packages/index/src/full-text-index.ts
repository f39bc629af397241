import { readJson, writeJsonAtomic, type WriteJsonOptions } from '@vellum/atomic-io';
import { DEFAULT_BM25, idf, termScore, type Bm25Params } from './bm25.js';
import { IndexMismatchError, InvalidKeyError, InvalidQueryError } from './errors.js';
import {
  docEntry,
  docsOfKind,
  emptyState,
  parseSearchIndex,
  type Bm25Section,
  type DocEntry,
  type FullTextSettings,
  type FullTextState,
  type SearchIndexJson,
} from './full-text-json.js';
import { corruptValue, parsingSchema, type IndexLoadOptions } from './persistence.js';
import { lowerBound } from './sorted-ids.js';
import { Tokenizer, type TokenizerOptions } from './tokenizer.js';

/** Text a field contributes: one string, several (an array field), or none. */
export type FieldText = string | readonly string[] | undefined;

export interface FullTextField<T> {
  name: string;
  /** How much a term in this field counts; default 1. */
  weight?: number | undefined;
  /** The field's text; default: the document's property `name` when it is a string or strings. */
  text?: ((doc: T) => FieldText) | undefined;
}

export interface FullTextIndexOptions<T> {
  /** Field names, or fields with weights and extractors. */
  fields: readonly (string | FullTextField<T>)[];
  tokenizer?: TokenizerOptions | undefined;
  /** BM25 parameters, used at search time only. Default `{ k1: 1.2, b: 0.75 }`. */
  bm25?: Partial<Bm25Params> | undefined;
  /** Names the index in errors. Default `search_index`. */
  name?: string | undefined;
}

export interface FullTextSearchOptions {
  /** Each query term also matches the indexed terms it begins (`auth` finds `authentication`). */
  prefix?: boolean | undefined;
  /** At most this many hits, best first. Default: all. */
  limit?: number | undefined;
  /** Only documents of these kinds (e.g. `['tickets']`). Default: all kinds. */
  kinds?: readonly string[] | undefined;
}

export interface SearchHit {
  id: string;
  kind: string;
  score: number;
}

/** Documents to index, one `{ id, kind, doc }` each. */
export type FullTextEntries<T> = Iterable<{
  readonly id: string;
  readonly kind: string;
  readonly doc: T;
}>;

/**
 * A prefix match scores at this fraction of an exact one, so the document that
 * has the word typed ranks above one that only has longer words starting with it.
 */
const PREFIX_WEIGHT = 0.5;

interface Field<T> {
  name: string;
  weight: number;
  text: (doc: T) => FieldText;
}

/** No prototype: terms such as "__proto__" or "constructor" stay plain properties. */
function plainObject<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

/** Compact JSON with object keys sorted: equal settings give equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'object' && inner !== null && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : 1)))
      : inner,
  );
}

/** `entries` by id, in place; documents usually arrive in id order, so check first. */
function sortById(entries: DocEntry[]): DocEntry[] {
  for (let i = 1; i < entries.length; i++) {
    if ((entries[i - 1] as DocEntry).id > (entries[i] as DocEntry).id) {
      return entries.sort((a, b) => (a.id < b.id ? -1 : 1));
    }
  }
  return entries;
}

function propertyText<T>(name: string): (doc: T) => FieldText {
  return (doc) => {
    if (typeof doc !== 'object' || doc === null) return undefined;
    const value = (doc as Record<string, unknown>)[name];
    if (typeof value === 'string') return value;
    if (Array.isArray(value))
      return value.filter((item): item is string => typeof item === 'string');
    return undefined;
  };
}

function toField<T>(field: string | FullTextField<T>): Field<T> {
  const { name, weight = 1, text } = typeof field === 'string' ? { name: field } : field;
  if (!(Number.isFinite(weight) && weight > 0)) {
    throw new TypeError(
      `full-text field "${name}": weight must be a positive number, got ${weight}`,
    );
  }
  return { name, weight, text: text ?? propertyText(name) };
}

/**
 * A full-text inverted index over documents of several kinds, ranked with
 * BM25, persisted in spec 002's `search_index.json` shape (term -> kind -> ids)
 * plus a `bm25` section with what ranking needs: term frequencies and
 * document lengths. Fields are weighted by scaling their term counts and
 * lengths (a simplified BM25F).
 */
export class FullTextIndex<T> {
  readonly name: string;
  readonly tokenizer: Tokenizer;
  readonly #settings: FullTextSettings;
  readonly #fields: readonly Field<T>[];
  readonly #bm25: Bm25Params;
  #state: FullTextState = emptyState();
  #documentCount = 0;
  #sortedTerms: string[] | undefined;
  /** Time of the last change, or `metadata.indexed_at` as loaded while unchanged. */
  #indexedAt: number | string = Date.now();

  /** @throws {TypeError} for no fields, a repeated field, a weight or tokenizer setting out of range. */
  constructor(options: FullTextIndexOptions<T>) {
    this.name = options.name ?? 'search_index';
    this.#fields = options.fields.map(toField);
    if (this.#fields.length === 0) throw new TypeError(`${this.name}: no fields to index`);
    const fields: Record<string, number> = {};
    for (const field of this.#fields) {
      if (Object.hasOwn(fields, field.name)) {
        throw new TypeError(`${this.name}: field "${field.name}" is listed twice`);
      }
      fields[field.name] = field.weight;
    }
    this.tokenizer = new Tokenizer(options.tokenizer);
    this.#settings = { fields, ...this.tokenizer.settings };
    this.#bm25 = { ...DEFAULT_BM25, ...options.bm25 };
    const { k1, b } = this.#bm25;
    if (!(k1 > 0 && b >= 0 && b <= 1)) {
      throw new TypeError(`${this.name}: BM25 needs k1 > 0 and 0 <= b <= 1, got k1 ${k1}, b ${b}`);
    }
  }

  /** Fields, weights and tokenizer settings, as persisted: an index is valid only for the same. */
  get settings(): FullTextSettings {
    const { fields, stop_words, ...rest } = this.#settings;
    return { fields: { ...fields }, ...rest, stop_words: [...stop_words] };
  }

  /** Number of indexed documents (documents without any term are not kept). */
  get documentCount(): number {
    return this.#documentCount;
  }

  /** Number of distinct terms. */
  get termCount(): number {
    return this.#state.postings.size;
  }

  /** Whether `id` of `kind` is indexed. */
  has(id: string, kind: string): boolean {
    return this.#state.docs.get(kind)?.has(id) === true;
  }

  /**
   * Indexes `doc` as `id` of `kind`, replacing what was indexed under that id before.
   * @throws {InvalidKeyError} when `id` or `kind` is not a string.
   */
  add(id: string, kind: string, doc: T): void {
    if (typeof id !== 'string' || typeof kind !== 'string') {
      const value: unknown = typeof id === 'string' ? kind : id;
      throw new InvalidKeyError(this.name, undefined, value, 'ids and kinds are strings');
    }
    const frequencies = new Map<string, number>();
    let length = 0;
    for (const field of this.#fields) {
      const text = field.text(doc);
      for (const part of typeof text === 'string' ? [text] : (text ?? [])) {
        const terms = this.tokenizer.tokenize(part);
        length += terms.length * field.weight;
        for (const term of terms)
          frequencies.set(term, (frequencies.get(term) ?? 0) + field.weight);
      }
    }
    this.remove(id, kind);
    this.#touch();
    if (frequencies.size === 0) return;
    const entry = docEntry(docsOfKind(this.#state, kind), kind, id);
    entry.length = length;
    for (const [term, frequency] of frequencies) {
      entry.terms.push(term);
      let posting = this.#state.postings.get(term);
      if (posting === undefined) {
        this.#state.postings.set(term, (posting = new Map<DocEntry, number>()));
        this.#sortedTerms?.splice(lowerBound(this.#sortedTerms, term), 0, term);
      }
      posting.set(entry, frequency);
    }
    this.#state.totalLength += length;
    this.#documentCount++;
  }

  /** Takes `id` of `kind` out of the index; `false` when it was not there. */
  remove(id: string, kind: string): boolean {
    const byId = this.#state.docs.get(kind);
    const entry = byId?.get(id);
    if (byId === undefined || entry === undefined) return false;
    for (const term of entry.terms) {
      const posting = this.#state.postings.get(term);
      posting?.delete(entry);
      if (posting?.size === 0) {
        this.#state.postings.delete(term);
        this.#sortedTerms?.splice(lowerBound(this.#sortedTerms, term), 1);
      }
    }
    byId.delete(id);
    if (byId.size === 0) this.#state.docs.delete(kind);
    this.#state.totalLength -= entry.length;
    this.#documentCount--;
    this.#touch();
    return true;
  }

  /**
   * Replaces the whole content with the index of `entries`. Nothing changes when it throws.
   * @throws {InvalidKeyError} when an id or kind is not a string.
   */
  rebuild(entries: FullTextEntries<T>): void {
    const previous = [this.#state, this.#documentCount, this.#sortedTerms] as const;
    this.#state = emptyState();
    this.#documentCount = 0;
    this.#sortedTerms = undefined;
    try {
      for (const { id, kind, doc } of entries) this.add(id, kind, doc);
    } catch (error) {
      [this.#state, this.#documentCount, this.#sortedTerms] = previous;
      throw error;
    }
    this.#touch();
  }

  /**
   * Documents matching any query term, best BM25 score first (ties by kind,
   * then id). The query goes through the same tokenizer as the documents.
   * @throws {InvalidQueryError} when `limit` is not a non-negative integer.
   */
  search(query: string, options: FullTextSearchOptions = {}): SearchHit[] {
    const { prefix = false, limit, kinds } = options;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new InvalidQueryError(this.name, `limit must be a non-negative integer, got ${limit}`);
    }
    const only = kinds === undefined ? undefined : new Set(kinds);
    const documentCount = this.#documentCount;
    const averageLength = documentCount === 0 ? 0 : this.#state.totalLength / documentCount;
    const scores = new Map<DocEntry, number>();
    for (const queryTerm of new Set(this.tokenizer.tokenize(query))) {
      // A document scores once per query term: its best match among the expansions.
      const best = new Map<DocEntry, number>();
      for (const term of prefix ? this.#termsStartingWith(queryTerm) : [queryTerm]) {
        const posting = this.#state.postings.get(term);
        if (posting === undefined) continue;
        const termIdf = idf(documentCount, posting.size) * (term === queryTerm ? 1 : PREFIX_WEIGHT);
        for (const [entry, frequency] of posting) {
          if (only !== undefined && !only.has(entry.kind)) continue;
          const score = termScore(termIdf, frequency, entry.length, averageLength, this.#bm25);
          if (score > (best.get(entry) ?? 0)) best.set(entry, score);
        }
      }
      for (const [entry, score] of best) scores.set(entry, (scores.get(entry) ?? 0) + score);
    }
    const hits = [...scores].map(([entry, score]) => ({ id: entry.id, kind: entry.kind, score }));
    hits.sort(
      (a, b) =>
        b.score - a.score ||
        (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    return limit === undefined ? hits : hits.slice(0, limit);
  }

  /**
   * Spec 002's `search_index.json` shape, terms and kinds in code-unit order
   * and ids sorted, plus the `bm25` section.
   */
  toJSON(): SearchIndexJson {
    const terms: SearchIndexJson['terms'] = plainObject();
    const frequencies: Bm25Section['frequencies'] = plainObject();
    for (const term of this.#termList()) {
      const byKind = new Map<string, DocEntry[]>();
      const posting = this.#state.postings.get(term) as Map<DocEntry, number>;
      for (const entry of posting.keys()) {
        const list = byKind.get(entry.kind);
        if (list === undefined) byKind.set(entry.kind, [entry]);
        else list.push(entry);
      }
      const termKinds: Record<string, string[]> = (terms[term] = plainObject());
      for (const kind of [...byKind.keys()].sort()) {
        const ids: string[] = (termKinds[kind] = []);
        for (const entry of sortById(byKind.get(kind) as DocEntry[])) {
          ids.push(entry.id);
          const frequency = posting.get(entry) as number;
          if (frequency === 1) continue;
          const termFrequencies = (frequencies[term] ??= plainObject());
          (termFrequencies[kind] ??= plainObject())[entry.id] = frequency;
        }
      }
    }
    const lengths: Bm25Section['lengths'] = plainObject();
    for (const kind of [...this.#state.docs.keys()].sort()) {
      const byId = this.#state.docs.get(kind) as Map<string, DocEntry>;
      const kindLengths: Record<string, number> = (lengths[kind] = plainObject());
      for (const entry of sortById([...byId.values()])) kindLengths[entry.id] = entry.length;
    }
    const at = this.#indexedAt;
    return {
      terms,
      metadata: {
        indexed_at: typeof at === 'string' ? at : new Date(at).toISOString(),
        term_count: this.termCount,
        document_count: this.#documentCount,
      },
      bm25: { settings: this.settings, lengths, frequencies },
    };
  }

  /**
   * An index holding what `json` (spec 002's shape) says; `json` is not modified.
   * @throws {CorruptFileError} when `json` is not that shape (`issues` says where).
   * @throws {IndexMismatchError} when it was built with other settings.
   */
  static fromJSON<T>(json: unknown, options: FullTextIndexOptions<T>): FullTextIndex<T> {
    const index = new FullTextIndex(options);
    const parsed = parseSearchIndex(json, false);
    if (parsed.issues !== undefined) throw corruptValue(index.name, parsed.issues);
    index.#adopt(parsed.value, undefined);
    return index;
  }

  /**
   * Writes the index to `path` atomically with `writeJsonAtomic`, which takes the same `options`.
   * @throws {WriteError | DiskFullError | DurabilityError} as `writeJsonAtomic` does.
   */
  async save(path: string, options: WriteJsonOptions = {}): Promise<void> {
    await writeJsonAtomic(path, this.toJSON(), options);
  }

  /**
   * Reads a `search_index.json`; `null` when the file does not exist.
   * @throws {CorruptFileError} unparseable, or not the shape: with path, line and column.
   * @throws {IndexMismatchError} when it was built with other settings: rebuild it.
   */
  static async load<T>(
    path: string,
    options: FullTextIndexOptions<T>,
    read: IndexLoadOptions = {},
  ): Promise<FullTextIndex<T> | null> {
    const index = new FullTextIndex(options);
    const schema = parsingSchema((value) => parseSearchIndex(value, true));
    const state = await readJson(path, { ...read, schema });
    if (state === null) return null;
    index.#adopt(state, path);
    return index;
  }

  /** @throws {IndexMismatchError} when `state` was built with other settings. */
  #adopt(state: FullTextState, path: string | undefined): void {
    if (state.settings !== undefined) {
      const expected = canonicalJson(this.#settings);
      const found = canonicalJson(state.settings);
      if (found !== expected) throw new IndexMismatchError(path, expected, found);
    }
    this.#state = state;
    let count = 0;
    for (const byId of state.docs.values()) count += byId.size;
    this.#documentCount = count;
    if (state.indexedAt !== undefined) this.#indexedAt = state.indexedAt;
  }

  #touch(): void {
    this.#indexedAt = Date.now();
  }

  #termList(): string[] {
    this.#sortedTerms ??= [...this.#state.postings.keys()].sort();
    return this.#sortedTerms;
  }

  #termsStartingWith(prefix: string): string[] {
    const terms = this.#termList();
    const matches: string[] = [];
    for (let i = lowerBound(terms, prefix); i < terms.length; i++) {
      const term = terms[i] as string;
      if (!term.startsWith(prefix)) break;
      matches.push(term);
    }
    return matches;
  }
}
