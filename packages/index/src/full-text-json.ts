import type { ValidationIssue } from '@vellum/atomic-io';
import { MAX_ISSUES, type Parsed } from './persistence.js';
import { sortUnique } from './sorted-ids.js';
import type { TokenizerSettings } from './tokenizer.js';

/** What a full-text index is built with; a persisted index is only valid for the same settings. */
export interface FullTextSettings extends TokenizerSettings {
  /** Field name -> weight. */
  fields: Record<string, number>;
}

/**
 * What BM25 needs beyond spec 002's shape, kept in the same file under a key
 * the spec's readers do not look at (see docs/decisions/0004-full-text-index.md).
 */
export interface Bm25Section {
  settings: FullTextSettings;
  /** kind -> id -> weighted document length. */
  lengths: Record<string, Record<string, number>>;
  /** term -> kind -> id -> weighted term frequency, only where it is not 1. */
  frequencies: Record<string, Record<string, Record<string, number>>>;
}

/** Spec 002's `search_index.json`, plus the optional `bm25` section. */
export interface SearchIndexJson {
  /** term -> kind -> sorted ids. */
  terms: Record<string, Record<string, string[]>>;
  metadata: { indexed_at: string; term_count: number; document_count: number };
  bm25?: Bm25Section;
}

/** One indexed document. */
export interface DocEntry {
  readonly kind: string;
  readonly id: string;
  /** Sum over fields of weight x number of terms. */
  length: number;
  /** Its distinct terms, so that removing it needs no copy of the document. */
  readonly terms: string[];
}

/** The in-memory form of a full-text index. */
export interface FullTextState {
  /** kind -> id -> document. */
  docs: Map<string, Map<string, DocEntry>>;
  /** term -> document -> weighted term frequency. */
  postings: Map<string, Map<DocEntry, number>>;
  totalLength: number;
  /** `metadata.indexed_at` as read, if any. */
  indexedAt: string | undefined;
  /** `bm25.settings` as read: `undefined` for a file written by another tool. */
  settings: unknown;
}

type Json = Record<string, unknown>;

/** Records an issue at a path in the file. */
type Report = (message: string, ...path: (string | number)[]) => void;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: terms such as `constructor` must not find `Object.prototype`'s. */
function own(object: Json | undefined, key: string): unknown {
  return object !== undefined && Object.hasOwn(object, key) ? object[key] : undefined;
}

function isWeight(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

export function emptyState(): FullTextState {
  return {
    docs: new Map(),
    postings: new Map(),
    totalLength: 0,
    indexedAt: undefined,
    settings: undefined,
  };
}

/**
 * Reads spec 002's shape. Without a `bm25` section (a file another tool wrote),
 * every term frequency is taken as 1 and a document's length as its number of
 * distinct terms: ranking still works, less finely, until the next rebuild.
 * With `adopt`, id arrays of `value` are sorted in place and kept.
 */
export function parseSearchIndex(value: unknown, adopt: boolean): Parsed<FullTextState> {
  const issues: ValidationIssue[] = [];
  const issue: Report = (message, ...path) => {
    if (issues.length < MAX_ISSUES) issues.push({ message, path });
  };
  if (!isObject(value) || !isObject(value.terms)) {
    return { issues: [{ message: 'expected an object with "terms"', path: [] }] };
  }
  const metadata = value.metadata;
  const indexedAt = isObject(metadata) ? own(metadata, 'indexed_at') : undefined;
  if (metadata !== undefined && !isObject(metadata)) issue('expected an object', 'metadata');
  if (indexedAt !== undefined && typeof indexedAt !== 'string') {
    issue('expected a date-time string', 'metadata', 'indexed_at');
  }
  const bm25 = value.bm25;
  if (
    bm25 !== undefined &&
    !(isObject(bm25) && isObject(bm25.lengths) && isObject(bm25.frequencies))
  ) {
    return {
      issues: [{ message: 'expected "settings", "lengths" and "frequencies"', path: ['bm25'] }],
    };
  }
  const state = emptyState();
  state.indexedAt = indexedAt as string | undefined;
  state.settings = bm25?.settings;
  readPostings(value.terms, state, bm25?.frequencies as Json | undefined, adopt, issue);
  if (bm25 === undefined) {
    for (const entry of allDocs(state)) entry.length = entry.terms.length;
  } else {
    readLengths(bm25.lengths as Json, state, issue);
    checkFrequencies(bm25.frequencies as Json, state, issue);
  }
  for (const entry of allDocs(state)) state.totalLength += entry.length;
  return issues.length === 0 ? { value: state } : { issues };
}

function* allDocs(state: FullTextState): Generator<DocEntry> {
  for (const byId of state.docs.values()) yield* byId.values();
}

/** The documents of `kind`, an empty map created when there are none yet. */
export function docsOfKind(state: FullTextState, kind: string): Map<string, DocEntry> {
  let byId = state.docs.get(kind);
  if (byId === undefined) state.docs.set(kind, (byId = new Map<string, DocEntry>()));
  return byId;
}

/** The entry of `id` in `byId` (the documents of `kind`), created empty when missing. */
export function docEntry(byId: Map<string, DocEntry>, kind: string, id: string): DocEntry {
  let entry = byId.get(id);
  if (entry === undefined) byId.set(id, (entry = { kind, id, length: 0, terms: [] }));
  return entry;
}

function readPostings(
  terms: Json,
  state: FullTextState,
  frequencies: Json | undefined,
  adopt: boolean,
  issue: Report,
): void {
  for (const term of Object.keys(terms)) {
    const kinds = terms[term];
    if (term === '' || !isObject(kinds)) {
      issue('expected a term mapping kinds to ids', 'terms', term);
      continue;
    }
    const termFrequencies = own(frequencies, term) as Json | undefined;
    const posting = new Map<DocEntry, number>();
    for (const kind of Object.keys(kinds)) {
      const ids = kinds[kind];
      if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
        issue('expected an array of ids', 'terms', term, kind);
        continue;
      }
      if (ids.length === 0) continue;
      const kindFrequencies = own(termFrequencies, kind) as Json | undefined;
      const byId = docsOfKind(state, kind);
      for (const id of sortUnique(adopt ? ids : [...ids])) {
        const listed = own(kindFrequencies, id);
        const frequency = listed === undefined ? 1 : listed;
        if (!isWeight(frequency)) {
          issue('expected a positive number', 'bm25', 'frequencies', term, kind, id);
          continue;
        }
        const entry = docEntry(byId, kind, id);
        entry.terms.push(term);
        posting.set(entry, frequency);
      }
    }
    if (posting.size > 0) state.postings.set(term, posting);
  }
}

function readLengths(lengths: Json, state: FullTextState, issue: Report): void {
  for (const [kind, byId] of state.docs) {
    const kindLengths = own(lengths, kind) as Json | undefined;
    for (const entry of byId.values()) {
      const length = own(kindLengths, entry.id);
      if (isWeight(length)) entry.length = length;
      else
        issue(
          'expected the positive length of an indexed document',
          'bm25',
          'lengths',
          kind,
          entry.id,
        );
    }
  }
}

/** Every listed frequency must belong to a listed (term, kind, id). */
function checkFrequencies(frequencies: Json, state: FullTextState, issue: Report): void {
  for (const term of Object.keys(frequencies)) {
    const kinds = frequencies[term];
    const posting = state.postings.get(term);
    if (!isObject(kinds) || posting === undefined) {
      issue('frequencies for a term that is not indexed', 'bm25', 'frequencies', term);
      continue;
    }
    for (const kind of Object.keys(kinds)) {
      const byId = kinds[kind];
      if (!isObject(byId)) {
        issue('expected an object of id -> frequency', 'bm25', 'frequencies', term, kind);
        continue;
      }
      for (const id of Object.keys(byId)) {
        const entry = state.docs.get(kind)?.get(id);
        if (entry === undefined || !posting.has(entry)) {
          issue(
            'frequency for a document the term does not list',
            'bm25',
            'frequencies',
            term,
            kind,
            id,
          );
        }
      }
    }
  }
}
