import type { StandardSchemaV1 } from '@vellum/atomic-io';
import type {
  ExtractedKeys,
  FullTextIndexOptions,
  IndexKey,
  KeyType,
  RangeBounds,
} from '@vellum/index';
import type { Layout } from './layout.js';

export interface IndexDefinition<T> {
  /** The key or keys of a document (an array for a multi-valued field). */
  key: (doc: T) => ExtractedKeys;
  /** At most one document per key: a second one is a `ValidationError`. */
  unique?: boolean | undefined;
  keyType?: KeyType | undefined;
  /** Also write the index as this file (relative to the root), as `{"key": ["id", ...]}`. */
  file?: string | undefined;
  /**
   * Names this version of `key`, so that an index kept in the snapshot is
   * reused across builds (a bundler may print the same function differently).
   * Change it whenever `key` changes. Without it, the function's source text,
   * whitespace aside, identifies it.
   */
  version?: string | number | undefined;
}

export interface FullTextDefinition<T> {
  fields: FullTextIndexOptions<T>['fields'];
  tokenizer?: FullTextIndexOptions<T>['tokenizer'];
  /** The kind documents are filed under in `search_index.json`. Default: the collection's name. */
  kind?: string | undefined;
  /** Also write the index as this file (relative to the root), in spec 002's shape. */
  file?: string | undefined;
}

export type WriteMode = 'write-behind' | 'write-through';

export interface CollectionOptions<T> {
  /** The store's root directory; every path below is relative to it. */
  root: string;
  /** Names the collection in errors and its state folder. */
  name: string;
  /** Every document must match it (zod 4, valibot, arktype: any Standard Schema). */
  schema: StandardSchemaV1<unknown, T>;
  /** The id member of a document. Default `id`. */
  idField?: string | undefined;
  /** The id of a document when no single member holds it (e.g. `${type}.${name}`); `idField` then only names it in errors. */
  idOf?: ((doc: T) => string) | undefined;
  /** How documents are materialized as human-readable files. */
  layout: Layout<T>;
  indexes?: Record<string, IndexDefinition<T>> | undefined;
  fullText?: FullTextDefinition<T> | undefined;
  /**
   * `write-behind` (default): a write is acknowledged once it is in the journal;
   * the files follow after `flushDelayMs` of quiet and on `close()`.
   * `write-through`: the files are rewritten before the write is acknowledged.
   */
  mode?: WriteMode | undefined;
  /** Quiet time before write-behind materializes. Default 50 ms. */
  flushDelayMs?: number | undefined;
  /** The journal's folder. Default `.vellum/<name>/wal`. */
  journalDir?: string | undefined;
  /** Checkpoint and snapshot folder. Default `.vellum/<name>`. */
  stateDir?: string | undefined;
  /** Write a snapshot (and compact the journal) after this many operations. Default 10,000. */
  snapshotEvery?: number | undefined;
  /** Lock timeout for writes. Default 10 s. */
  lockTimeout?: number | undefined;
  /** Journal rotation size. Default 64 MiB. */
  rotateBytes?: number | undefined;
  /** Clock, for tests. */
  now?: (() => Date) | undefined;
  /**
   * `compact` (default): journal segments covered by a snapshot are deleted.
   * `keep`: the whole history stays, for point-in-time restores.
   */
  journalRetention?: 'compact' | 'keep' | undefined;
  /** Told about every operation's duration and outcome (for metrics); keep it cheap. */
  onOperation?: ((metric: OperationMetric) => void) | undefined;
  /**
   * `true` (default): a persisted index file found missing or disagreeing with
   * the documents at open is written again at the next flush. `false`: it is
   * only reported (`report.indexDrift`, `verifyIndexes()`), and left as it is
   * until `rebuildIndexes()` or a write changes that index: for a check that
   * must not change what it checks.
   */
  repairIndexFiles?: boolean | undefined;
  /**
   * `true` (default): a collection that does not exist yet is created.
   * `false`: `open` fails with `StoreNotFoundError` and creates nothing, not
   * even a folder. A collection exists when it has a checkpoint, a journal
   * segment or a layout file (a folder of spec files to import).
   */
  createIfMissing?: boolean | undefined;
  /** `true`: `open` fails with `StoreExistsError` when the collection exists. Default `false`. */
  errorIfExists?: boolean | undefined;
}

/** A condition on one index: equality, `in`, a range, or a string prefix. */
export type Condition = IndexKey | { in: readonly IndexKey[] } | { prefix: string } | RangeBounds;

export interface QueryOptions {
  /** Conditions on indexes, combined with AND. */
  where?: Record<string, Condition> | undefined;
  /** At most this many items. Default 100. */
  limit?: number | undefined;
  /** Continue after the page that returned this cursor. */
  cursor?: string | undefined;
  /** Return only these members (dotted paths allowed). */
  fields?: readonly string[] | undefined;
}

export interface Page<R> {
  items: R[];
  /** Pass it as `cursor` for the next page; `undefined` on the last one. */
  nextCursor: string | undefined;
  /** How many items match in all. */
  total: number;
}

export interface SearchOptions {
  limit?: number | undefined;
  cursor?: string | undefined;
  fields?: readonly string[] | undefined;
  /** Query terms also match longer words they begin. Default true. */
  prefix?: boolean | undefined;
}

export interface SearchItem<R> {
  id: string;
  score: number;
  doc: R;
}

export interface WriteOptions {
  /** Fail with `ConflictError` unless the document is at this revision (0: must not exist). */
  expectedRevision?: number | undefined;
}

export type BatchOp =
  | { type: 'put'; doc: unknown; expectedRevision?: number | undefined }
  | { type: 'patch'; id: string; patch: unknown; expectedRevision?: number | undefined }
  | { type: 'delete'; id: string; expectedRevision?: number | undefined };

export interface WriteResult {
  id: string;
  /** The document's new revision (the journal sequence number of the write); 0 after a delete. */
  revision: number;
}

/** Where a change came from. */
export type ChangeSource = 'local' | 'remote' | 'external';

/** A committed change, as `onChange` listeners see it. */
export interface ChangeEvent<T> {
  id: string;
  type: 'put' | 'delete';
  /** The journal sequence number of the change: the document's new revision. */
  seq: number;
  /** The new document; `undefined` for a delete. */
  doc: T | undefined;
  /** `local`: this instance wrote it; `remote`: another process did; `external`: a hand edit was adopted. */
  source: ChangeSource;
}

/** One operation's measurement, in spec 000's metrics shape. */
export interface OperationMetric {
  timestamp: string;
  operation: string;
  duration_ms: number;
  status: 'ok' | 'error';
  result_count: number;
}

/** What `verifyIndexes` found for one index. */
export interface IndexReport {
  ok: boolean;
  /** (key, id) pairs the documents have and the in-memory index lacks. */
  missing: number;
  /** Pairs the in-memory index has and the documents do not. */
  extra: number;
  /** The persisted file: in step, disagreeing, missing, unreadable, about to be rewritten, or none kept. */
  file: 'ok' | 'drift' | 'missing' | 'corrupt' | 'pending' | 'none';
}

/** Every file a collection owns, by role (absolute paths of those that exist). */
export interface CollectionFiles {
  documents: string[];
  indexes: string[];
  state: string[];
  journal: string[];
}

/** The collection as `transact` sees it: committed, caught up, under the lock. */
export interface TransactionView<T> {
  get(id: string): T | undefined;
  revision(id: string): number | undefined;
  /** Ids matching every condition (all ids without conditions), sorted. */
  ids(where?: Record<string, Condition>): string[];
}

/**
 * What a `transact` plan may return instead of bare operations: the operations,
 * and the value `transact` then resolves with once they are committed.
 */
export interface TransactionPlan<R> {
  ops: readonly BatchOp[];
  value: R;
}

export interface Entry<T> {
  doc: T;
  revision: number;
}

/** A change made to the files outside Vellum, adopted into the collection. */
export interface AdoptedChange {
  id: string;
  change: 'put' | 'delete';
  file: string | undefined;
}

/** A file that could not be used, kept aside under a quarantine name. */
export interface QuarantinedFile {
  file: string;
  keptAt: string;
  reason: string;
}

export interface OpenReport {
  /** Documents imported from existing files into a store that had no journal. */
  imported: number;
  /** Journal transactions replayed at open. */
  replayed: number;
  adopted: AdoptedChange[];
  quarantined: QuarantinedFile[];
  /** Ids changed both in the journal and by hand since the last checkpoint; the hand edit won. */
  conflicts: string[];
  /** Persisted index files that disagreed with the documents; they are rewritten. */
  indexDrift: string[];
  /** Set when the snapshot `checkpoint.json` names was missing or unusable: how the state was rebuilt. */
  rebuilt: RebuiltState | undefined;
}

/** How opening rebuilt the state without the snapshot. */
export interface RebuiltState {
  /**
   * `journal`: it holds every record from sequence 1, and was replayed whole.
   * `files`: it starts later; the documents' files stand for what it lacks.
   */
  from: 'journal' | 'files';
  /**
   * Sequence numbers the journal no longer holds (with `files`): a document
   * whose file was lost and whose last write lies here could not be recovered.
   */
  gap: { fromSeq: number; toSeq: number } | undefined;
  /** Documents whose file was missing, written again from the journal (not taken for deletions). */
  restored: string[];
}
