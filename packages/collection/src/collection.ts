import { statSync } from 'node:fs';
import { copyFile, stat, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { dirname, resolve } from 'node:path';
import {
  CorruptFileError,
  cleanupTempFiles,
  ensureDir,
  quarantineFile,
  quarantineName,
  readJson,
  SerializationError,
  writeJsonAtomic,
  type StandardSchemaV1,
} from '@vellum/atomic-io';
import {
  FullTextIndex,
  SecondaryIndex,
  intersectSorted,
  type ExtractedKeys,
  type FullTextIndexOptions,
  type IndexKey,
  type KeyType,
  type RangeBounds,
  type SecondaryIndexOptions,
} from '@vellum/index';
import { Journal, listSegments, type JournalOp, type Transaction } from '@vellum/journal';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import { DocumentSlot } from './document-slot.js';
import { readSnapshot, writeSnapshot, type SnapshotIndex } from './snapshot.js';
import {
  CollectionClosedError,
  ConflictError,
  NotFoundError,
  ValidationError,
  type ValidationIssue,
} from './errors.js';
import type { Layout, LayoutEntry, LayoutState } from './layout.js';
import { mergePatch } from './merge-patch.js';
import { decodeCursor, encodeCursor, project } from './project.js';
import { idOfDocument, validateDocument, validateDocuments, type IdSource } from './validate.js';

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
}

interface Dirty<T> {
  /** Versions that may be on disk: what the files held at the last materialization, and since. */
  versions: T[];
  seq: number;
}

type PutLike = 'put' | 'import' | 'external-put';
const PUT_OPS = new Set<string>(['put', 'import', 'external-put']);
const DELETE_OPS = new Set<string>(['delete', 'external-delete']);

interface Planned<T> {
  op: PutLike | 'delete';
  id: string;
  doc: T | undefined;
}

/** A planned write with its document serialized once, for the journal and for memory. */
interface Encoded<T> extends Planned<T> {
  json: string | undefined;
}

interface CommitRequest<T> {
  ops: readonly BatchOp[];
  prevalidated: readonly (T | undefined)[];
  /** For `transact`: computes the operations under the lock, from the caught-up state. */
  plan?:
    ((view: TransactionView<T>) => readonly BatchOp[] | Promise<readonly BatchOp[]>) | undefined;
  resolve: (results: WriteResult[]) => void;
  reject: (error: unknown) => void;
}

/** What earlier requests of a commit group did, for the later ones to plan against. */
interface Overlay<T> {
  docs: Map<string, T | undefined>;
  planned: Planned<T>[];
}

/** The full-text index's name among the dirty indexes (not a valid index name: it has a space). */
const SEARCH_INDEX = 'search index';

/** A request that must wait for the next group: it checks a revision this group is changing. */
const DEFER = Symbol('defer');

/**
 * A typed document collection: validated writes committed to a journal,
 * indexes and full-text search in memory, and the documents materialized as
 * human-readable files in a pluggable layout.
 *
 * Several processes may open the same collection: a write takes the
 * journal's lock and catches up first; a read catches up with a `stat`.
 */
export class Collection<T> {
  readonly name: string;
  readonly root: string;
  readonly layout: Layout<T>;
  readonly mode: WriteMode;
  /** What opening found and did. */
  readonly report: OpenReport = {
    imported: 0,
    replayed: 0,
    adopted: [],
    quarantined: [],
    conflicts: [],
    indexDrift: [],
  };

  readonly #schema: StandardSchemaV1<unknown, T>;
  readonly #id: IdSource;
  readonly #stateDir: string;
  readonly #flushDelayMs: number;
  readonly #snapshotEvery: number;
  readonly #now: () => Date;
  readonly #docs = new Map<string, DocumentSlot<T>>();
  readonly #indexes = new Map<
    string,
    {
      index: SecondaryIndex<T>;
      file: string | undefined;
      key: (doc: T) => ExtractedKeys;
      options: SecondaryIndexOptions<T>;
      fingerprint: string | undefined;
    }
  >();
  readonly #fullText:
    { index: FullTextIndex<T>; kind: string; file: string | undefined } | undefined;
  /** The snapshot read at open, which documents not used yet are read from. */
  #snapshotFile: FileHandle | undefined;
  /** The full-text index is built on first use: opening must not tokenize every document. */
  #fullTextBuilt = false;
  /** `checkpoint.json` must be written at the end of open (something was imported or adopted). */
  #checkpointStale = false;
  readonly #dirty = new Map<string, Dirty<T>>();
  #journal!: Journal;
  #appliedSeq = 0;
  #checkpoint: Checkpoint = { format: 1, materializedSeq: 0, snapshotSeq: 0, at: '' };
  #checkpointMtime = 0;
  #opsSinceSnapshot = 0;
  /** Persisted index files to rewrite (by index name; `SEARCH_INDEX` for the full-text one). */
  readonly #dirtyIndexes = new Set<string>();
  #rewriteAll = false;
  #sortedIds: string[] | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  /** Flushes and the close run one after another, never overlapping. */
  #chain: Promise<void> = Promise.resolve();
  #refreshing: Promise<void> | undefined;
  readonly #listeners = new Set<(event: ChangeEvent<T>) => void>();
  readonly #onOperation: ((metric: OperationMetric) => void) | undefined;
  readonly #keepJournal: boolean;
  readonly #repairIndexFiles: boolean;
  readonly #journalDir: string;
  #commits: CommitRequest<T>[] = [];
  #committing = false;
  #closing = false;

  private constructor(options: CollectionOptions<T>) {
    this.name = options.name;
    this.root = resolve(options.root);
    this.layout = options.layout;
    this.mode = options.mode ?? 'write-behind';
    this.#schema = options.schema;
    const idField = options.idField ?? 'id';
    const idOf = options.idOf;
    this.#id =
      idOf === undefined
        ? { field: idField, of: (doc) => (doc as Record<string, unknown> | null)?.[idField] }
        : { field: idField, of: (doc) => idOf(doc as T) };
    this.#stateDir = resolve(this.root, options.stateDir ?? `.vellum/${options.name}`);
    this.#flushDelayMs = options.flushDelayMs ?? 50;
    this.#snapshotEvery = options.snapshotEvery ?? 10_000;
    this.#now = options.now ?? (() => new Date());
    this.#onOperation = options.onOperation;
    this.#keepJournal = options.journalRetention === 'keep';
    this.#repairIndexFiles = options.repairIndexFiles ?? true;
    this.#journalDir = resolve(this.root, options.journalDir ?? `.vellum/${options.name}/wal`);
    for (const [name, definition] of Object.entries(options.indexes ?? {})) {
      const indexOptions: SecondaryIndexOptions<T> = {
        name,
        key: definition.key,
        unique: definition.unique,
        keyType: definition.keyType,
      };
      this.#indexes.set(name, {
        index: new SecondaryIndex<T>(indexOptions),
        file: definition.file,
        key: definition.key,
        options: indexOptions,
        fingerprint: fingerprintOf(definition),
      });
    }
    if (options.fullText !== undefined) {
      const index = new FullTextIndex<T>({
        fields: options.fullText.fields,
        tokenizer: options.fullText.tokenizer,
        name: `${options.name} search`,
      });
      this.#fullText = {
        index,
        kind: options.fullText.kind ?? options.name,
        file: options.fullText.file,
      };
    }
  }

  /**
   * Opens the collection: loads the snapshot, replays the journal, adopts
   * files edited outside Vellum and, in a folder with spec-layout files but no
   * journal, imports them. Unusable files are kept aside and listed in `report`.
   * @throws {ValidationError} documents in existing files fail the schema, for a layout that cannot keep them aside.
   * @throws {JournalCorruptError} the journal is corrupt in the middle.
   */
  static async open<T>(options: CollectionOptions<T>): Promise<Collection<T>> {
    const collection = new Collection<T>(options);
    try {
      await collection.#open(options);
    } catch (error) {
      // The lease and the files opened so far are released; the open's own error is the one to see.
      await collection.#journal?.close().catch(() => undefined);
      await collection.#snapshotFile?.close().catch(() => undefined);
      throw error;
    }
    return collection;
  }

  async #open(options: CollectionOptions<T>): Promise<void> {
    await ensureDir(this.#stateDir);
    await cleanupTempFiles(this.#stateDir);
    this.#journal = await Journal.open(this.#journalDir, {
      lockTimeout: options.lockTimeout,
      rotateBytes: options.rotateBytes,
      now: options.now,
    });
    await this.#journal.exclusive(async () => {
      // Listed under the lock: no other process materializes between the listing and its use.
      const files = await this.layout.files(this.root);
      for (const dir of new Set(files.map((file) => dirname(file)))) await cleanupTempFiles(dir);
      const found = await this.#loadCheckpoint();
      if (found === null) {
        await this.#adoptFolder();
        await this.#checkIndexFiles();
        this.#checkpointStale = true;
      } else {
        this.#checkpointMtime = found.mtimeMs;
        await this.#recover(found.mtimeMs, files);
      }
      // A read-only open leaves the checkpoint (and its time, which hand edits are compared with) alone.
      if (this.#checkpointStale) {
        this.#checkpointMtime = await writeCheckpoint(this.#stateDir, this.#checkpoint);
      }
    });
    // Opening is a one-off: another process must not wait out the lease.
    await this.#journal.release();
    if (this.#dirty.size > 0 || this.#rewriteAll) this.#scheduleFlush();
  }

  async #loadCheckpoint(): Promise<{ mtimeMs: number } | null> {
    try {
      const found = await readCheckpoint(this.#stateDir);
      if (found === null) return null;
      this.#checkpoint = found.checkpoint;
      return { mtimeMs: found.mtimeMs };
    } catch (error) {
      if (!(error instanceof CorruptFileError) || error.path === undefined) throw error;
      await this.#keepAside(error.path, error.message, 'move');
      return null;
    }
  }

  /** A folder without checkpoint: import its files, then replay whatever the journal has. */
  async #adoptFolder(): Promise<void> {
    const { entries } = await this.#readLayout(undefined);
    const planned: Planned<T>[] = [];
    for (const entry of entries) {
      const doc = await this.#validateAdopted(entry);
      if (doc !== undefined) planned.push({ op: 'import', id: entry.id, doc });
    }
    if (planned.length > 0) {
      const tx = await this.#journal.append(
        planned.map((p) => this.#journalOp({ ...p, json: encodeDocument(p.doc, p.id) })),
      );
      this.#apply(tx, undefined);
      this.report.imported = planned.length;
    }
    for await (const tx of this.#journal.read(this.#appliedSeq)) {
      this.#apply(tx, 'remote');
      this.report.replayed++;
    }
    this.#checkpoint = {
      ...this.#checkpoint,
      materializedSeq: this.#appliedSeq,
      at: this.#now().toISOString(),
    };
  }

  /** Snapshot, replay to the checkpoint, adopt hand edits, replay the rest. */
  async #recover(checkpointMtime: number, files: readonly string[]): Promise<void> {
    const { materializedSeq } = this.#checkpoint;
    let snapshot: Awaited<ReturnType<typeof readSnapshot>> = null;
    const source = { fd: -1, path: '' };
    try {
      snapshot = await readSnapshot(this.#stateDir, (id, rev, offset, length) =>
        this.#docs.set(id, DocumentSlot.inFile<T>(source, offset, length, rev)),
      );
    } catch (error) {
      // What was read before the damage is no state to keep.
      this.#docs.clear();
      if (!(error instanceof CorruptFileError) || error.path === undefined) throw error;
      await this.#keepAside(error.path, error.message, 'move');
    }
    if (snapshot !== null) {
      source.fd = snapshot.file.fd;
      source.path = snapshot.path;
      this.#snapshotFile = snapshot.file;
      this.#loadIndexes(snapshot.indexes);
      this.#appliedSeq = snapshot.seq;
    } else if (this.#checkpoint.snapshotSeq > 0) {
      // The journal before the snapshot may be compacted: the files are the state at the checkpoint.
      for (const entry of (await this.#readLayout(undefined)).entries) {
        const doc = await this.#validateAdopted(entry);
        if (doc !== undefined) this.#set(entry.id, DocumentSlot.ofDocument(doc, materializedSeq));
      }
      this.#appliedSeq = materializedSeq;
    }
    const later: Transaction[] = [];
    for await (const tx of this.#journal.read(this.#appliedSeq)) {
      if (tx.lastSeq <= materializedSeq) this.#apply(tx, undefined);
      else later.push(tx);
      this.report.replayed++;
    }
    // The index files were written from this state: compare before later writes and hand edits.
    await this.#checkIndexFiles();
    const external = await this.#findExternalChanges(checkpointMtime, true, files);
    for (const tx of later) this.#apply(tx, 'remote');
    await this.#adopt(external, new Set(later.flatMap((tx) => tx.ops.map((op) => op.id ?? ''))));
  }

  /** Reads the layout's files, keeping unreadable ones aside. */
  /** Reads the layout's files; `complete` is false when some could not be read (and were kept aside). */
  async #readLayout(
    files: readonly string[] | undefined,
  ): Promise<{ entries: LayoutEntry[]; complete: boolean }> {
    const read = await this.layout.read(this.root, files);
    for (const problem of read.problems) {
      if (problem.path === undefined) continue;
      await this.#keepAside(problem.path, problem.message, 'move');
      this.#restoreFile(this.layout.idOf?.(this.root, problem.path));
    }
    return { entries: read.entries, complete: read.problems.length === 0 };
  }

  /**
   * A file kept aside held documents the collection still has, good: write
   * them again, or the missing file would later read as a deletion.
   */
  #restoreFile(id: string | undefined): void {
    if (!this.layout.capabilities.perDocument) {
      if (this.#docs.size > 0) this.#rewriteAll = true;
      return;
    }
    if (id === undefined || !this.#docs.has(id) || this.#dirty.has(id)) return;
    // An infinite seq: no other process's checkpoint can have written this file back.
    this.#dirty.set(id, { versions: [], seq: Number.POSITIVE_INFINITY });
  }

  /** Validates a document found in a file; an invalid one's file is kept aside and reported. */
  async #validateAdopted(entry: LayoutEntry): Promise<T | undefined> {
    try {
      const doc = await validateDocument(
        this.#schema,
        entry.doc,
        `document ${entry.id} in ${entry.file}`,
      );
      if (idOfDocument(doc, this.#id, entry.file) !== entry.id) {
        throw new ValidationError(`document in ${entry.file}`, [
          {
            path: [this.#id.field],
            message: `does not match the id ${JSON.stringify(entry.id)} its file gives it`,
          },
        ]);
      }
      return doc;
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      // A whole-file layout is rewritten without the bad document: keep a copy of the file as it was.
      await this.#keepAside(
        entry.file,
        error.message,
        this.layout.capabilities.perDocument ? 'move' : 'copy',
      );
      this.#restoreFile(entry.id);
      if (!this.layout.capabilities.perDocument) this.#rewriteAll = true;
      return undefined;
    }
  }

  async #keepAside(file: string, reason: string, how: 'move' | 'copy'): Promise<void> {
    if (this.report.quarantined.some((q) => q.file === file)) return;
    this.#checkpointStale = true;
    let keptAt: string;
    if (how === 'move') {
      keptAt = await quarantineFile(file);
    } else {
      keptAt = quarantineName(file, 'corrupt');
      await copyFile(file, keptAt);
    }
    this.report.quarantined.push({ file, keptAt, reason });
    process.emitWarning(`${this.name}: ${reason}; the file is kept at ${keptAt}`, {
      code: 'VELLUM_QUARANTINED',
    });
  }

  /**
   * Documents in files changed since the checkpoint that differ from every
   * version the collection knows for them.
   */
  async #findExternalChanges(
    checkpointMtime: number,
    atOpen: boolean,
    listed?: readonly string[],
  ): Promise<{ puts: LayoutEntry[]; deletes: { id: string; file: string | undefined }[] }> {
    // Every file, before a flush too: the flush moves the checkpoint's time past any edit not
    // adopted now, and the next open would no longer see it.
    const files = listed ?? (await this.layout.files(this.root));
    const times = modificationTimes(files);
    // Equal times are ambiguous on coarse clocks: look at the content.
    const changed = files.filter((_, i) => (times[i] ?? -1) >= checkpointMtime);
    if (atOpen && changed.length > 0) this.#checkpointStale = true;
    const perDocument = this.layout.capabilities.perDocument;
    const countDiffers = atOpen && perDocument && files.length !== this.#docs.size;
    const wholeFileGone = atOpen && !perDocument && files.length === 0 && this.#docs.size > 0;
    if (changed.length === 0 && !countDiffers && !wholeFileGone) return { puts: [], deletes: [] };
    const readAll = countDiffers || !perDocument;
    const { entries, complete } = await this.#readLayout(readAll ? undefined : changed);
    const puts = entries.filter((entry) => !this.#isKnownVersion(entry.id, entry.doc));
    const deletes: { id: string; file: string | undefined }[] = [];
    // A document is gone only if every file could be read: an unreadable one is no deletion.
    if (readAll && complete) {
      const present = new Set(entries.map((entry) => entry.id));
      for (const id of this.#docs.keys()) {
        if (!present.has(id) && this.#dirty.get(id) === undefined)
          deletes.push({ id, file: undefined });
      }
    }
    return { puts, deletes };
  }

  #isKnownVersion(id: string, doc: unknown): boolean {
    const text = JSON.stringify(doc);
    const current = this.#docs.get(id);
    if (current !== undefined && JSON.stringify(current.doc) === text) return true;
    return (
      this.#dirty.get(id)?.versions.some((version) => JSON.stringify(version) === text) ?? false
    );
  }

  /** Journals hand edits so they become part of the history, newest of all. */
  async #adopt(
    external: { puts: LayoutEntry[]; deletes: { id: string; file: string | undefined }[] },
    changedInJournal: ReadonlySet<string>,
  ): Promise<void> {
    const planned: Planned<T>[] = [];
    for (const entry of external.puts) {
      const doc = await this.#validateAdopted(entry);
      if (doc === undefined) continue;
      planned.push({ op: 'external-put', id: entry.id, doc });
      this.report.adopted.push({ id: entry.id, change: 'put', file: entry.file });
    }
    for (const { id, file } of external.deletes) {
      planned.push({ op: 'delete', id, doc: undefined });
      this.report.adopted.push({ id, change: 'delete', file });
    }
    if (planned.length === 0) return;
    this.#checkpointStale = true;
    for (const p of planned) if (changedInJournal.has(p.id)) this.report.conflicts.push(p.id);
    const tx = await this.#journal.append(
      planned.map((p) =>
        p.op === 'delete'
          ? { op: 'external-delete', id: p.id }
          : this.#journalOp({ ...p, json: encodeDocument(p.doc, p.id) }),
      ),
    );
    this.#apply(tx, 'external');
  }

  /**
   * The journal record of a write. `data` is the validated document, used only
   * for its index keys; memory keeps `json`, the text the journal writes, so the
   * caller's object is neither kept, frozen nor copied.
   */
  #journalOp(planned: Encoded<T>): JournalOp {
    return planned.json === undefined
      ? { op: planned.op, id: planned.id }
      : { op: planned.op, id: planned.id, data: planned.doc, json: planned.json };
  }

  /** Stores a document; `indexed` is the same document as an object, for its keys (default: the slot's). */
  #set(id: string, slot: DocumentSlot<T>, indexed?: T): DocumentSlot<T> | undefined {
    const old = this.#docs.get(id);
    if (old === undefined) this.#sortedIds = undefined;
    this.#docs.set(id, slot);
    const doc = indexed ?? slot.doc;
    for (const { index } of this.#indexes.values()) index.update(id, old?.doc, doc);
    // `add` replaces an earlier version.
    if (this.#fullTextBuilt) this.#fullText?.index.add(id, this.#fullText.kind, doc);
    return old;
  }

  #remove(id: string): DocumentSlot<T> | undefined {
    const old = this.#docs.get(id);
    if (old === undefined) return undefined;
    this.#sortedIds = undefined;
    this.#docs.delete(id);
    for (const { index } of this.#indexes.values()) index.update(id, old.doc, undefined);
    if (this.#fullTextBuilt) this.#fullText?.index.remove(id, this.#fullText.kind);
    return old;
  }

  /** Builds the full-text index from every document, the first time it is needed. */
  #ensureFullText(): FullTextIndex<T> | undefined {
    const fullText = this.#fullText;
    if (fullText === undefined) return undefined;
    if (!this.#fullTextBuilt) {
      const { index, kind } = fullText;
      index.rebuild(Array.from(this.#docs, ([id, slot]) => ({ id, kind, doc: slot.doc })));
      this.#fullTextBuilt = true;
    }
    return fullText.index;
  }

  /**
   * Takes the snapshot's persisted indexes whose definition is unchanged,
   * after checking a sample of documents against them; rebuilds the others.
   */
  #loadIndexes(persisted: readonly SnapshotIndex[]): void {
    const sample = sampleIds(this.#docs, 32);
    for (const [name, entry] of this.#indexes) {
      const stored = persisted.find((index) => index.name === name);
      let loaded: SecondaryIndex<T> | undefined;
      if (stored !== undefined && entry.fingerprint !== undefined) {
        if (stored.fingerprint === entry.fingerprint) {
          try {
            loaded = SecondaryIndex.fromJSON<T>(stored.entries, entry.options);
          } catch (error) {
            if (!(error instanceof CorruptFileError)) throw error;
          }
        }
      }
      if (loaded !== undefined && sample.every((id) => indexes(loaded, entry, id, this.#docs))) {
        entry.index = loaded;
      } else {
        entry.index.rebuild(mapEntries(this.#docs));
      }
    }
  }

  /**
   * Applies a committed transaction to memory. `source` says who wrote it;
   * without one (replay at open) the files already have it and nobody is told.
   */
  #apply(tx: Transaction, source: ChangeSource | undefined): void {
    const markDirty = source !== undefined;
    for (const op of tx.ops) {
      const id = op.id;
      if (id === undefined) continue;
      let old: DocumentSlot<T> | undefined;
      const put = PUT_OPS.has(op.op);
      if (markDirty) this.#markIndexes(this.#docs.get(id)?.doc, put ? (op.data as T) : undefined);
      let slot: DocumentSlot<T> | undefined;
      if (put) {
        // Our own write carries its text; a record read from the journal is a fresh parse, ours to freeze.
        slot =
          op.json === undefined
            ? DocumentSlot.ofDocument(op.data as T, op.seq)
            : DocumentSlot.ofJson<T>(op.json, op.seq);
        old = this.#set(id, slot, op.data as T);
      } else if (DELETE_OPS.has(op.op)) old = this.#remove(id);
      else continue;
      if (source !== undefined && this.#listeners.size > 0) {
        const event: ChangeEvent<T> = {
          id,
          type: put ? 'put' : 'delete',
          seq: op.seq,
          doc: slot?.doc,
          source,
        };
        for (const listener of this.#listeners) listener(event);
      }
      if (markDirty) {
        const dirty = this.#dirty.get(id);
        if (dirty === undefined)
          this.#dirty.set(id, { versions: old === undefined ? [] : [old.doc], seq: op.seq });
        else {
          if (old !== undefined) dirty.versions.push(old.doc);
          dirty.seq = op.seq;
        }
      }
      this.#opsSinceSnapshot++;
    }
    this.#appliedSeq = Math.max(this.#appliedSeq, tx.lastSeq);
  }

  /** Marks the persisted indexes whose keys differ between two versions of a document. */
  #markIndexes(before: T | undefined, after: T | undefined): void {
    for (const [name, { key, file }] of this.#indexes) {
      if (file === undefined || this.#dirtyIndexes.has(name)) continue;
      const keysOf = (doc: T | undefined): string =>
        doc === undefined ? '' : (JSON.stringify(key(doc)) ?? '');
      if (keysOf(before) !== keysOf(after)) this.#dirtyIndexes.add(name);
    }
    if (this.#fullText?.file !== undefined) this.#dirtyIndexes.add(SEARCH_INDEX);
  }

  /** Runs an operation, telling `onOperation` how long it took and how many results it gave. */
  async #measure<R>(operation: string, run: () => Promise<R>): Promise<R> {
    const report = this.#onOperation;
    if (report === undefined) return run();
    const started = performance.now();
    // The store's clock, not the wall clock: it also names the daily metrics file.
    const timestamp = this.#now().toISOString();
    try {
      const result = await run();
      report({
        timestamp,
        operation,
        duration_ms: performance.now() - started,
        status: 'ok',
        result_count: resultCount(result),
      });
      return result;
    } catch (error) {
      report({
        timestamp,
        operation,
        duration_ms: performance.now() - started,
        status: 'error',
        result_count: 0,
      });
      throw error;
    }
  }

  #assertOpen(): void {
    if (this.#closing) throw new CollectionClosedError(this.name);
  }

  #enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(work);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Applies what other processes committed: one `stat` of the journal when nothing changed. */
  async #refresh(): Promise<void> {
    this.#assertOpen();
    this.#refreshing ??= (async () => {
      try {
        for (const tx of await this.#journal.catchUp()) this.#apply(tx, 'remote');
      } finally {
        this.#refreshing = undefined;
      }
    })();
    await this.#refreshing;
  }

  /** The document, or `undefined`. */
  async get(id: string): Promise<T | undefined> {
    return this.#measure('get', async () => {
      await this.#refresh();
      return this.#docs.get(id)?.doc;
    });
  }

  /** The document with its revision, or `undefined`. */
  async getEntry(id: string): Promise<Entry<T> | undefined> {
    return this.#measure('get', async () => {
      await this.#refresh();
      const slot = this.#docs.get(id);
      return slot === undefined ? undefined : { doc: slot.doc, revision: slot.revision };
    });
  }

  /** Every document with its id and revision, in collection order, as of now. */
  async entries(): Promise<{ id: string; doc: T; revision: number }[]> {
    await this.#refresh();
    return Array.from(this.#docs, ([id, slot]) => ({
      id,
      doc: slot.doc,
      revision: slot.revision,
    }));
  }

  /** Number of documents. */
  async count(): Promise<number> {
    await this.#refresh();
    return this.#docs.size;
  }

  /**
   * Validates and stores a whole document.
   * @throws {ValidationError} the document fails the schema or has an unsafe id; nothing written.
   * @throws {ConflictError} `expectedRevision` did not match; nothing written.
   */
  async put(doc: unknown, options: WriteOptions = {}): Promise<WriteResult> {
    return this.#measure('put', async () => {
      const [result] = await this.#batch([
        { type: 'put', doc, expectedRevision: options.expectedRevision },
      ]);
      return result as WriteResult;
    });
  }

  /**
   * Applies a JSON Merge Patch (RFC 7386) to a document and validates the result.
   * @throws {NotFoundError} | {ValidationError} | {ConflictError}; nothing written.
   */
  async patch(id: string, patch: unknown, options: WriteOptions = {}): Promise<WriteResult> {
    return this.#measure('patch', async () => {
      const [result] = await this.#batch([
        { type: 'patch', id, patch, expectedRevision: options.expectedRevision },
      ]);
      return result as WriteResult;
    });
  }

  /**
   * Deletes a document.
   * @throws {NotFoundError} | {ConflictError}; nothing written.
   */
  async delete(id: string, options: WriteOptions = {}): Promise<WriteResult> {
    return this.#measure('delete', async () => {
      const [result] = await this.#batch([
        { type: 'delete', id, expectedRevision: options.expectedRevision },
      ]);
      return result as WriteResult;
    });
  }

  /**
   * Applies operations as one transaction: all are validated first, then
   * committed with one journal append; if any fails, nothing is written.
   */
  async batch(ops: readonly BatchOp[]): Promise<WriteResult[]> {
    return this.#measure('batch', () => this.#batch(ops));
  }

  async #batch(ops: readonly BatchOp[]): Promise<WriteResult[]> {
    this.#assertOpen();
    if (ops.length === 0) return [];
    const prevalidated = await this.#prevalidate(ops);
    return this.#submit({ ops, prevalidated });
  }

  /**
   * Computes operations from the current state and commits them as one
   * transaction, holding the lock: `plan` sees every write committed before
   * it, by any process, and nothing can change in between (allocating the
   * next id, keeping two documents' links symmetric). `plan` may throw to
   * abort; nothing is written then.
   */
  async transact(
    plan: (view: TransactionView<T>) => readonly BatchOp[] | Promise<readonly BatchOp[]>,
  ): Promise<WriteResult[]> {
    return this.#measure('transact', () => {
      this.#assertOpen();
      return this.#submit({ ops: [], prevalidated: [], plan });
    });
  }

  async #prevalidate(ops: readonly BatchOp[]): Promise<(T | undefined)[]> {
    const puts = ops.flatMap((op, i) => (op.type === 'put' ? [i] : []));
    const subjectOf = (k: number): string =>
      ops.length > 1 ? `${this.name} document (batch item ${puts[k]})` : `${this.name} document`;
    const valid = await validateDocuments(
      this.#schema,
      puts.map((i) => (ops[i] as { doc: unknown }).doc),
      subjectOf,
    );
    const out = new Array<T | undefined>(ops.length).fill(undefined);
    puts.forEach((i, k) => {
      idOfDocument(valid[k], this.#id, subjectOf(k));
      out[i] = valid[k];
    });
    return out;
  }

  async #submit(request: Omit<CommitRequest<T>, 'resolve' | 'reject'>): Promise<WriteResult[]> {
    const results = await new Promise<WriteResult[]>((resolve, reject) => {
      this.#commits.push({ ...request, resolve, reject });
      if (!this.#committing) void this.#commitLoop();
    });
    if (this.mode === 'write-through') await this.flush();
    else this.#scheduleFlush();
    return results;
  }

  #view(): TransactionView<T> {
    return {
      get: (id) => this.#docs.get(id)?.doc,
      revision: (id) => this.#docs.get(id)?.revision,
      ids: (where) => this.#select(where),
    };
  }

  #select(where: Record<string, Condition> | undefined): string[] {
    const conditions = Object.entries(where ?? {});
    if (conditions.length === 0) return this.#allIds();
    return intersectSorted(conditions.map(([name, condition]) => this.#match(name, condition)));
  }

  /**
   * Group commit: requests that arrive while a group is being committed form
   * the next group. Each request stays its own transaction, but a group shares
   * one lock acquisition, one write and one fdatasync.
   */
  async #commitLoop(): Promise<void> {
    this.#committing = true;
    try {
      while (this.#commits.length > 0) {
        const group = this.#commits.splice(0);
        try {
          await this.#journal.exclusive(async (caughtUp) => {
            for (const tx of caughtUp) this.#apply(tx, 'remote');
            await this.#commitGroup(group);
          });
        } catch (error) {
          // The lock or the catch-up failed: nobody in the group was committed.
          for (const request of group) request.reject(error);
        }
      }
    } finally {
      this.#committing = false;
    }
  }

  async #commitGroup(group: readonly CommitRequest<T>[]): Promise<void> {
    const overlay: Overlay<T> = { docs: new Map(), planned: [] };
    const accepted: { request: CommitRequest<T>; planned: Encoded<T>[] }[] = [];
    const deferred: CommitRequest<T>[] = [];
    for (const request of group) {
      try {
        let { ops, prevalidated } = request;
        if (request.plan !== undefined) {
          // Its view must be exactly the committed state: it goes first in a group of its own making.
          if (accepted.length > 0) {
            deferred.push(request);
            continue;
          }
          ops = await request.plan(this.#view());
          prevalidated = await this.#prevalidate(ops);
        }
        const planned = await this.#plan(ops, prevalidated, overlay);
        if (planned === DEFER) {
          deferred.push(request);
          continue;
        }
        for (const p of planned) overlay.docs.set(p.id, p.doc);
        overlay.planned.push(...planned);
        accepted.push({ request, planned });
      } catch (error) {
        request.reject(error);
      }
    }
    // First in the next group, where nothing before them can change what they check.
    this.#commits.unshift(...deferred);
    // Issued in one tick, the appends share one write and one fdatasync.
    const appends = accepted.map(({ planned }) =>
      this.#journal.append(planned.map((p) => this.#journalOp(p))),
    );
    const outcomes = await Promise.allSettled(appends);
    outcomes.forEach((outcome, i) => {
      const { request, planned } = accepted[i] ?? {};
      if (request === undefined || planned === undefined) return;
      if (outcome.status === 'rejected') {
        request.reject(outcome.reason);
        return;
      }
      const tx = outcome.value;
      this.#apply(tx, 'local');
      request.resolve(
        planned.map((p, k) => ({
          id: p.id,
          revision: p.op === 'delete' ? 0 : (tx.ops[k]?.seq ?? 0),
        })),
      );
    });
  }

  async #plan(
    ops: readonly BatchOp[],
    prevalidated: readonly (T | undefined)[],
    overlay: Overlay<T>,
  ): Promise<Encoded<T>[] | typeof DEFER> {
    const pending = new Map<string, T | undefined>();
    const current = (id: string): T | undefined => {
      if (pending.has(id)) return pending.get(id);
      if (overlay.docs.has(id)) return overlay.docs.get(id);
      return this.#docs.get(id)?.doc;
    };
    const planned: Encoded<T>[] = [];
    for (const [i, op] of ops.entries()) {
      let next: Planned<T>;
      if (op.type === 'put') {
        const doc = prevalidated[i] as T;
        next = { op: 'put', id: idOfDocument(doc, this.#id, this.name), doc };
      } else if (op.type === 'patch') {
        const base = current(op.id);
        if (base === undefined) throw new NotFoundError(this.name, op.id);
        const doc = await validateDocument(
          this.#schema,
          mergePatch(base, op.patch),
          `${this.name} document ${op.id} after patch`,
        );
        if (idOfDocument(doc, this.#id, this.name) !== op.id) {
          throw new ValidationError(`patch of ${op.id}`, [
            { path: [this.#id.field], message: 'a patch cannot change the id' },
          ]);
        }
        next = { op: 'put', id: op.id, doc };
      } else {
        if (current(op.id) === undefined) throw new NotFoundError(this.name, op.id);
        next = { op: 'delete', id: op.id, doc: undefined };
      }
      if (op.expectedRevision !== undefined) {
        if (overlay.docs.has(next.id)) return DEFER;
        const revision = this.#docs.get(next.id)?.revision;
        if ((revision ?? 0) !== op.expectedRevision)
          throw new ConflictError(next.id, op.expectedRevision, revision);
      }
      pending.set(next.id, next.doc);
      planned.push(
        Object.assign(next, {
          json: next.doc === undefined ? undefined : encodeDocument(next.doc, next.id),
        }),
      );
    }
    this.#checkUnique([...overlay.planned, ...planned]);
    return planned;
  }

  #checkUnique(planned: readonly Planned<T>[]): void {
    const issues: ValidationIssue[] = [];
    for (const [name, { index, key }] of this.#indexes) {
      if (!index.unique) continue;
      const claims = new Map<IndexKey, string>();
      const leaving = new Set(planned.map((p) => p.id));
      for (const p of planned) {
        if (p.doc === undefined) continue;
        const extracted = key(p.doc);
        const keys: readonly IndexKey[] =
          extracted === undefined
            ? []
            : Array.isArray(extracted)
              ? extracted
              : [extracted as IndexKey];
        for (const value of keys) {
          const holders = index
            .get(value)
            .filter((holder) => holder !== p.id && !leaving.has(holder));
          const claimedBy = claims.get(value);
          if (holders.length > 0 || (claimedBy !== undefined && claimedBy !== p.id)) {
            issues.push({
              path: [name],
              message: `${JSON.stringify(value)} is already used by ${holders[0] ?? claimedBy}`,
            });
          }
          claims.set(value, p.id);
        }
      }
    }
    if (issues.length > 0) throw new ValidationError(`${this.name} write (unique index)`, issues);
  }

  /**
   * Documents matching every condition, sorted by id, one page at a time.
   * @throws {ValidationError} an unknown index or a bad cursor.
   */
  async query(options: QueryOptions = {}): Promise<Page<T>> {
    return this.#measure('query', async () => {
      await this.#refresh();
      return this.#page(this.#select(options.where), options);
    });
  }

  #match(name: string, condition: Condition): string[] {
    const entry = this.#indexes.get(name);
    if (entry === undefined) {
      const known = [...this.#indexes.keys()].join(', ') || 'none';
      throw new ValidationError('query', [
        { path: ['where', name], message: `no such index (indexes: ${known})` },
      ]);
    }
    const { index } = entry;
    if (typeof condition !== 'object' || condition === null) return index.get(condition);
    if ('in' in condition) return index.in(condition.in);
    if ('prefix' in condition) return index.prefix(condition.prefix);
    return index.range(condition);
  }

  #allIds(): string[] {
    this.#sortedIds ??= [...this.#docs.keys()].sort();
    return this.#sortedIds;
  }

  #page(ids: readonly string[], options: QueryOptions): Page<T> {
    const limit = options.limit ?? 100;
    let start = 0;
    if (options.cursor !== undefined) {
      const after = decodeCursor(options.cursor);
      if (typeof after !== 'string') {
        throw new ValidationError('query', [
          { path: ['cursor'], message: 'not a cursor this collection returned' },
        ]);
      }
      let lo = 0;
      let hi = ids.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((ids[mid] ?? '') <= after) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const slice = ids.slice(start, start + limit);
    const items = slice.map((id) => project(this.#docs.get(id)?.doc, options.fields) as T);
    const last = slice.at(-1);
    const nextCursor =
      start + limit < ids.length && last !== undefined ? encodeCursor(last) : undefined;
    return { items, nextCursor, total: ids.length };
  }

  /**
   * Full-text search, best match first (BM25).
   * @throws {ValidationError} the collection has no full-text index, or a bad cursor.
   */
  async search(text: string, options: SearchOptions = {}): Promise<Page<SearchItem<T>>> {
    return this.#measure('search', () => this.#search(text, options));
  }

  async #search(text: string, options: SearchOptions): Promise<Page<SearchItem<T>>> {
    await this.#refresh();
    const index = this.#ensureFullText();
    if (index === undefined || this.#fullText === undefined) {
      throw new ValidationError('search', [
        { path: [], message: `${this.name} has no full-text index` },
      ]);
    }
    const hits = index.search(text, {
      prefix: options.prefix ?? true,
      kinds: [this.#fullText.kind],
    });
    const offset = options.cursor === undefined ? 0 : decodeCursor(options.cursor);
    if (typeof offset !== 'number') {
      throw new ValidationError('search', [
        { path: ['cursor'], message: 'not a cursor this collection returned' },
      ]);
    }
    const limit = options.limit ?? 20;
    const items = hits.slice(offset, offset + limit).map((hit) => ({
      id: hit.id,
      score: hit.score,
      doc: project(this.#docs.get(hit.id)?.doc, options.fields) as T,
    }));
    const nextCursor = offset + limit < hits.length ? encodeCursor(offset + limit) : undefined;
    return { items, nextCursor, total: hits.length };
  }

  #scheduleFlush(): void {
    if (this.#closing) return;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = setTimeout(() => {
      if (this.#closing) return;
      this.flush().catch((error: unknown) => {
        process.emitWarning(
          `${this.name}: background checkpoint failed: ${(error as Error).message}`,
          {
            code: 'VELLUM_FLUSH_FAILED',
          },
        );
      });
    }, this.#flushDelayMs);
    this.#flushTimer.unref();
  }

  /**
   * Materializes every change into the layout's files, writes the persisted
   * indexes and the checkpoint (and, when due, a snapshot), holding the lock.
   * A file edited by hand since the last checkpoint is adopted, not overwritten.
   */
  async flush(): Promise<void> {
    this.#assertOpen();
    await this.#enqueue(() =>
      this.#journal.exclusive(async (caughtUp) => {
        for (const tx of caughtUp) this.#apply(tx, 'remote');
        await this.#materialize('due');
      }),
    );
  }

  /** `snapshot`: `due` (every `snapshotEvery` operations), `changed` (if anything changed since), or `force`. */
  async #materialize(snapshot: 'due' | 'changed' | 'force'): Promise<void> {
    clearTimeout(this.#flushTimer);
    const found = await readCheckpoint(this.#stateDir);
    if (found !== null && found.checkpoint.materializedSeq > this.#checkpoint.materializedSeq) {
      // Another process materialized since: what it covered is on disk.
      for (const [id, dirty] of this.#dirty)
        if (dirty.seq <= found.checkpoint.materializedSeq) this.#dirty.delete(id);
      this.#checkpoint = found.checkpoint;
      this.#checkpointMtime = found.mtimeMs;
    }
    // A snapshot already at the applied sequence is not written again, even when forced.
    const snapshotDue = (): boolean =>
      (snapshot === 'force' && this.#checkpoint.snapshotSeq !== this.#appliedSeq) ||
      this.#opsSinceSnapshot >= this.#snapshotEvery ||
      (snapshot === 'changed' && this.#opsSinceSnapshot > 0);
    const idle = (): boolean =>
      this.#dirty.size === 0 &&
      !this.#rewriteAll &&
      this.#dirtyIndexes.size === 0 &&
      !snapshotDue();
    // Nothing to write, so no file can be overwritten: a hand edit is adopted at the next open or write.
    if (idle()) return;
    const external = await this.#findExternalChanges(this.#checkpointMtime, false);
    await this.#adopt(external, new Set(this.#dirty.keys()));
    if (idle()) return;
    const state: LayoutState<T> = {
      entries: () => mapEntries(this.#docs),
      get: (id) => this.#docs.get(id)?.doc,
      jsonEntries: () => jsonEntries(this.#docs),
    };
    const changed = new Map<string, readonly T[]>();
    if (this.#rewriteAll) for (const id of this.#docs.keys()) changed.set(id, []);
    for (const [id, dirty] of this.#dirty) changed.set(id, dirty.versions);
    if (changed.size > 0) await this.layout.write(this.root, state, changed);
    await this.#writeIndexes(this.#rewriteAll);
    let snapshotSeq = this.#checkpoint.snapshotSeq;
    const writeSnapshotNow = snapshotDue();
    if (writeSnapshotNow) {
      await writeSnapshot(
        this.#stateDir,
        this.#appliedSeq,
        storedDocuments(this.#docs),
        this.#persistedIndexes(),
      );
      snapshotSeq = this.#appliedSeq;
      this.#opsSinceSnapshot = 0;
    }
    this.#checkpoint = {
      format: 1,
      materializedSeq: this.#appliedSeq,
      snapshotSeq,
      at: this.#now().toISOString(),
    };
    this.#checkpointMtime = await writeCheckpoint(this.#stateDir, this.#checkpoint);
    this.#dirty.clear();
    this.#rewriteAll = false;
    this.#dirtyIndexes.clear();
    if (writeSnapshotNow) {
      // Sealing a large segment lets the next open skip it instead of reading what the snapshot covers.
      if (this.#journal.segmentBytes >= SEAL_AT_SNAPSHOT_BYTES) await this.#journal.rotate();
      if (!this.#keepJournal) await this.#journal.compact(snapshotSeq);
    }
  }

  /** The secondary indexes to keep in the snapshot: those whose definition can be recognized. */
  #persistedIndexes(): SnapshotIndex[] {
    const out: SnapshotIndex[] = [];
    for (const [name, { index, fingerprint }] of this.#indexes) {
      if (fingerprint !== undefined) out.push({ name, fingerprint, entries: index.toJSON() });
    }
    return out;
  }

  /** Compares persisted index files with the indexes built from the documents; drift is rewritten. */
  async #checkIndexFiles(): Promise<void> {
    for (const [name, { index, file }] of this.#indexes) {
      if (file === undefined) continue;
      const path = resolve(this.root, file);
      let stored: unknown;
      try {
        stored = await readJson(path);
      } catch (error) {
        if (!(error instanceof CorruptFileError)) throw error;
        stored = undefined;
      }
      if (stored === null) {
        // Never written yet (a store from before the index existed): write it, nothing drifted.
        if (this.#docs.size > 0 && this.#repairIndexFiles) this.#dirtyIndexes.add(name);
      } else if (canonical(stored) !== canonical(index.toJSON())) {
        this.report.indexDrift.push(name);
        if (this.#repairIndexFiles) this.#dirtyIndexes.add(name);
      }
    }
    if (this.#dirtyIndexes.size > 0) this.#scheduleFlush();
  }

  async #writeIndexes(all: boolean): Promise<void> {
    for (const [name, { index, file }] of this.#indexes) {
      if (file === undefined || !(all || this.#dirtyIndexes.has(name))) continue;
      const path = resolve(this.root, file);
      await ensureDir(dirname(path));
      await writeJsonAtomic(path, index.toJSON());
    }
    if (this.#fullText?.file !== undefined && (all || this.#dirtyIndexes.has(SEARCH_INDEX))) {
      const path = resolve(this.root, this.#fullText.file);
      await ensureDir(dirname(path));
      await writeJsonAtomic(path, this.#ensureFullText()?.toJSON());
    }
  }

  /**
   * Rebuilds every index from the documents and rewrites their files.
   * @returns the names of the indexes rebuilt.
   */
  async rebuildIndexes(): Promise<string[]> {
    this.#assertOpen();
    await this.#refresh();
    for (const [name, { index, file }] of this.#indexes) {
      index.rebuild(mapEntries(this.#docs));
      if (file !== undefined) this.#dirtyIndexes.add(name);
    }
    if (this.#fullText !== undefined) {
      this.#fullTextBuilt = false;
      this.#ensureFullText();
      if (this.#fullText.file !== undefined) this.#dirtyIndexes.add(SEARCH_INDEX);
    }
    await this.flush();
    return [...this.#indexes.keys(), ...(this.#fullText === undefined ? [] : ['search'])];
  }

  /**
   * Materializes everything and writes a snapshot now, holding the lock: the
   * files, `snapshot.jsonl` and `checkpoint.json` then all reflect `seq`
   * (what a backup copies).
   */
  async checkpoint(): Promise<{ seq: number }> {
    this.#assertOpen();
    let seq = 0;
    await this.#enqueue(() =>
      this.#journal.exclusive(async (caughtUp) => {
        for (const tx of caughtUp) this.#apply(tx, 'remote');
        await this.#materialize('force');
        seq = this.#appliedSeq;
      }),
    );
    return { seq };
  }

  /** Folder of `checkpoint.json` and `snapshot.jsonl`. */
  get stateDir(): string {
    return this.#stateDir;
  }

  /** Folder of the journal's segments. */
  get journalDir(): string {
    return this.#journalDir;
  }

  /** Every file the collection owns now, by role. */
  async files(): Promise<CollectionFiles> {
    const exists = async (paths: string[]): Promise<string[]> => {
      const found: string[] = [];
      for (const path of paths)
        if (
          await stat(path).then(
            () => true,
            () => false,
          )
        )
          found.push(path);
      return found;
    };
    const indexFiles = [...this.#indexes.values()].flatMap(({ file }) =>
      file === undefined ? [] : [resolve(this.root, file)],
    );
    if (this.#fullText?.file !== undefined)
      indexFiles.push(resolve(this.root, this.#fullText.file));
    return {
      documents: await this.layout.files(this.root),
      indexes: await exists(indexFiles),
      state: await exists([
        resolve(this.#stateDir, 'checkpoint.json'),
        resolve(this.#stateDir, 'snapshot.jsonl'),
      ]),
      journal: (await listSegments(this.#journalDir)).map((segment) =>
        resolve(this.#journalDir, segment.name),
      ),
    };
  }

  /**
   * Calls `listener` for every committed change applied to this instance: its
   * own writes, other processes' (seen when it catches up), adopted hand edits.
   * @returns a function that unsubscribes.
   */
  onChange(listener: (event: ChangeEvent<T>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Checks every index against the documents, in memory and, for an index
   * kept in a file, that file (unless a rewrite of it is still pending).
   * @returns per index: whether it is in step, and how.
   */
  async verifyIndexes(): Promise<Record<string, IndexReport>> {
    await this.#refresh();
    const out: Record<string, IndexReport> = {};
    for (const [name, { index, file }] of this.#indexes) {
      const report = index.verify(mapEntries(this.#docs));
      const fileState =
        file === undefined
          ? 'none'
          : await this.#indexFileState(name, resolve(this.root, file), index.toJSON());
      out[name] = {
        ok: report.ok && (fileState === 'ok' || fileState === 'none' || fileState === 'pending'),
        missing: report.missing.length,
        extra: report.extra.length,
        file: fileState,
      };
    }
    return out;
  }

  async #indexFileState(
    name: string,
    path: string,
    expected: unknown,
  ): Promise<IndexReport['file']> {
    if (this.#dirtyIndexes.has(name)) return 'pending';
    let stored: unknown;
    try {
      stored = await readJson(path);
    } catch (error) {
      if (error instanceof CorruptFileError) return 'corrupt';
      throw error;
    }
    if (stored === null) return this.#docs.size === 0 ? 'ok' : 'missing';
    if (typeof stored !== 'object' || Array.isArray(stored)) return 'corrupt';
    return canonical(stored) === canonical(expected) ? 'ok' : 'drift';
  }

  /** Materializes pending changes, writes a snapshot if anything changed since the last, and releases files. */
  async close(): Promise<void> {
    if (this.#closing) {
      await this.#chain;
      return;
    }
    this.#closing = true;
    clearTimeout(this.#flushTimer);
    await this.#enqueue(async () => {
      try {
        await this.#journal.exclusive(async (caughtUp) => {
          for (const tx of caughtUp) this.#apply(tx, 'remote');
          await this.#materialize('changed');
        });
      } finally {
        await this.#journal.close();
        await this.#snapshotFile?.close();
      }
    });
  }
}

function* mapEntries<T>(
  docs: ReadonlyMap<string, DocumentSlot<T>>,
): Generator<readonly [string, T]> {
  for (const [id, slot] of docs) yield [id, slot.doc];
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

/** Above this, the journal's current segment is sealed when a snapshot covers it. */
const SEAL_AT_SNAPSHOT_BYTES = 1024 * 1024;

/**
 * Identifies an index definition across processes: its options and its
 * `version`, or else the source text of its key function. `undefined` (always
 * rebuilt) when the source says nothing, as for a bound or native function.
 */
function fingerprintOf<T>(definition: IndexDefinition<T>): string | undefined {
  let identity: string;
  if (definition.version !== undefined) {
    identity = `version ${JSON.stringify(definition.version)}`;
  } else {
    const source = String(definition.key);
    if (source.includes('[native code]')) return undefined;
    identity = source.replace(/\s+/g, '');
  }
  const text = JSON.stringify([definition.unique === true, definition.keyType ?? 'any', identity]);
  return crc32(text).toString(16).padStart(8, '0');
}

/**
 * The text a document is stored as, in the journal and in memory.
 * @throws {SerializationError} the document is not JSON.
 */
function encodeDocument(doc: unknown, id: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(doc);
  } catch (error) {
    throw new SerializationError(`document ${id} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (json === undefined) throw new SerializationError(`document ${id} is not JSON`);
  return json;
}

/**
 * Modification times (`-1` for a file that is gone). Synchronous: for
 * thousands of stats of cached inodes, the thread pool's round trips cost
 * three to four times the calls (10,000 files: about 50 ms against 150-220 ms).
 */
function modificationTimes(files: readonly string[]): number[] {
  return files.map((file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1);
}

/** Up to `count` ids spread over the whole collection. */
function sampleIds<T>(docs: ReadonlyMap<string, DocumentSlot<T>>, count: number): string[] {
  const step = Math.max(1, Math.floor(docs.size / count));
  const out: string[] = [];
  let i = 0;
  for (const id of docs.keys()) {
    if (i++ % step === 0) out.push(id);
    if (out.length === count) break;
  }
  return out;
}

/** Whether `index` files the document `id` under each of its keys. */
function indexes<T>(
  index: SecondaryIndex<T>,
  entry: { key: (doc: T) => ExtractedKeys },
  id: string,
  docs: ReadonlyMap<string, DocumentSlot<T>>,
): boolean {
  const doc = docs.get(id)?.doc;
  if (doc === undefined) return true;
  const extracted = entry.key(doc);
  const keys = extracted === undefined ? [] : Array.isArray(extracted) ? extracted : [extracted];
  return keys.every((key: IndexKey) => index.get(key).includes(id));
}

function resultCount(result: unknown): number {
  if (result === undefined || result === null) return 0;
  if (Array.isArray(result)) return result.length;
  const items = (result as { items?: unknown }).items;
  return Array.isArray(items) ? items.length : 1;
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
