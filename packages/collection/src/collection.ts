import { CommitQueue, isValuePlan, prevalidate, type CommitInput } from './commit.js';
import { cleanIndexFolders, rebuildIndexes, verifyIndexes } from './index-files.js';
import type { Layout } from './layout.js';
import { collectionFiles, materialize } from './materialize.js';
import { measure } from './metrics.js';
import { openState } from './open.js';
import { query, search } from './query.js';
import { CollectionState } from './state.js';
import type {
  BatchOp,
  ChangeEvent,
  CollectionFiles,
  CollectionOptions,
  Entry,
  IndexReport,
  OpenReport,
  Page,
  QueryOptions,
  SearchItem,
  SearchOptions,
  TransactionPlan,
  TransactionView,
  WriteMode,
  WriteOptions,
  WriteResult,
} from './types.js';

/**
 * A typed document collection: validated writes committed to a journal,
 * indexes and full-text search in memory, and the documents materialized as
 * human-readable files in a pluggable layout.
 *
 * Several processes may open the same collection: a write takes the
 * journal's lock and catches up first; a read catches up with a `stat`.
 *
 * This class checks its arguments and delegates: opening and recovery
 * (`open.ts`), hand edits (`adopt.ts`), the write path (`commit.ts`), queries
 * (`query.ts`), the files (`materialize.ts`, `index-files.ts`), all over one
 * `CollectionState`.
 */
export class Collection<T> {
  readonly #state: CollectionState<T>;
  readonly #commits: CommitQueue<T>;

  private constructor(options: CollectionOptions<T>) {
    this.#state = new CollectionState<T>(options, () => this.flush());
    this.#commits = new CommitQueue<T>(this.#state);
  }

  /**
   * Opens the collection: loads the snapshot, replays the journal, adopts
   * files edited outside Vellum and, in a folder with spec-layout files but no
   * journal, imports them. Unusable files are kept aside and listed in `report`.
   * @throws {ValidationError} documents in existing files fail the schema, for a layout that cannot keep them aside.
   * @throws {JournalCorruptError} the journal is corrupt in the middle.
   * @throws {StoreNotFoundError} none there, with `createIfMissing: false`; nothing created.
   * @throws {StoreExistsError} one there already, with `errorIfExists: true`; nothing changed.
   */
  static async open<T>(options: CollectionOptions<T>): Promise<Collection<T>> {
    const collection = new Collection<T>(options);
    await openState(collection.#state, options);
    return collection;
  }

  get name(): string {
    return this.#state.name;
  }

  get root(): string {
    return this.#state.root;
  }

  get layout(): Layout<T> {
    return this.#state.layout;
  }

  get mode(): WriteMode {
    return this.#state.mode;
  }

  /** What opening found and did. */
  get report(): OpenReport {
    return this.#state.report;
  }

  /** Folder of `checkpoint.json` and `snapshot.jsonl`. */
  get stateDir(): string {
    return this.#state.stateDir;
  }

  /** Folder of the journal's segments. */
  get journalDir(): string {
    return this.#state.journalDir;
  }

  /** The document, or `undefined`. */
  async get(id: string): Promise<T | undefined> {
    return this.#measure('get', async () => {
      await this.#state.refresh();
      return this.#state.docs.get(id)?.doc;
    });
  }

  /** The document with its revision, or `undefined`. */
  async getEntry(id: string): Promise<Entry<T> | undefined> {
    return this.#measure('get', async () => {
      await this.#state.refresh();
      const slot = this.#state.docs.get(id);
      return slot === undefined ? undefined : { doc: slot.doc, revision: slot.revision };
    });
  }

  /** Every document with its id and revision, in collection order, as of now. */
  async entries(): Promise<{ id: string; doc: T; revision: number }[]> {
    await this.#state.refresh();
    return Array.from(this.#state.docs, ([id, slot]) => ({
      id,
      doc: slot.doc,
      revision: slot.revision,
    }));
  }

  /** Number of documents. */
  async count(): Promise<number> {
    await this.#state.refresh();
    return this.#state.docs.size;
  }

  /**
   * Validates and stores a whole document.
   * @throws {ValidationError} the document fails the schema or has an unsafe id; nothing written.
   * @throws {ConflictError} `expectedRevision` did not match; nothing written.
   * @throws {UniqueConstraintError} a unique index already has its key; nothing written.
   */
  async put(doc: unknown, options: WriteOptions = {}): Promise<WriteResult> {
    const op: BatchOp = { type: 'put', doc, expectedRevision: options.expectedRevision };
    return this.#measure('put', async () => (await this.#batch([op]))[0] as WriteResult);
  }

  /**
   * Applies a JSON Merge Patch (RFC 7386) to a document and validates the result.
   * @throws {NotFoundError} | {ValidationError} | {ConflictError} | {UniqueConstraintError}; nothing written.
   */
  async patch(id: string, patch: unknown, options: WriteOptions = {}): Promise<WriteResult> {
    const op: BatchOp = { type: 'patch', id, patch, expectedRevision: options.expectedRevision };
    return this.#measure('patch', async () => (await this.#batch([op]))[0] as WriteResult);
  }

  /**
   * Deletes a document.
   * @throws {NotFoundError} | {ConflictError}; nothing written.
   */
  async delete(id: string, options: WriteOptions = {}): Promise<WriteResult> {
    const op: BatchOp = { type: 'delete', id, expectedRevision: options.expectedRevision };
    return this.#measure('delete', async () => (await this.#batch([op]))[0] as WriteResult);
  }

  /**
   * Applies operations as one transaction: all are validated first, then
   * committed with one journal append; if any fails, nothing is written.
   */
  async batch(ops: readonly BatchOp[]): Promise<WriteResult[]> {
    return this.#measure('batch', () => this.#batch(ops));
  }

  async #batch(ops: readonly BatchOp[]): Promise<WriteResult[]> {
    this.#state.assertOpen();
    if (ops.length === 0) return [];
    const prevalidated = await prevalidate(this.#state, ops);
    return (await this.#commit({ ops, prevalidated })).results;
  }

  /**
   * Computes operations from the current state and commits them as one
   * transaction, holding the lock: `plan` sees every write committed before
   * it, by any process, and nothing can change in between (allocating the
   * next id, keeping two documents' links symmetric). `plan` may throw to
   * abort; nothing is written then.
   * @returns the write results; or, when `plan` returns `{ ops, value }`, that
   * value, once the operations are committed.
   */
  async transact<R = WriteResult[]>(
    plan: (
      view: TransactionView<T>,
    ) => readonly BatchOp[] | TransactionPlan<R> | Promise<readonly BatchOp[] | TransactionPlan<R>>,
  ): Promise<R> {
    return this.#measure('transact', async () => {
      this.#state.assertOpen();
      const { results, planned } = await this.#commit({ plan });
      return (planned !== undefined && isValuePlan(planned) ? planned.value : results) as R;
    });
  }

  async #commit(input: CommitInput<T>): ReturnType<CommitQueue<T>['submit']> {
    const committed = await this.#commits.submit(input);
    if (this.#state.mode === 'write-through') await this.flush();
    else this.#state.scheduleFlush();
    return committed;
  }

  /**
   * Applies what other processes committed since this instance last looked
   * (reads and writes do it themselves): `onChange` listeners hear of it now.
   */
  async refresh(): Promise<void> {
    await this.#state.refresh();
  }

  /**
   * Documents matching every condition, sorted by id, one page at a time.
   * @throws {ValidationError} an unknown index or a bad cursor.
   */
  async query(options: QueryOptions = {}): Promise<Page<T>> {
    return this.#measure('query', async () => {
      await this.#state.refresh();
      return query(this.#state, options);
    });
  }

  /**
   * Full-text search, best match first (BM25).
   * @throws {ValidationError} the collection has no full-text index, or a bad cursor.
   */
  async search(text: string, options: SearchOptions = {}): Promise<Page<SearchItem<T>>> {
    return this.#measure('search', async () => {
      await this.#state.refresh();
      return search(this.#state, text, options);
    });
  }

  /**
   * Materializes every change into the layout's files, writes the persisted
   * indexes and the checkpoint (and, when due, a snapshot), holding the lock.
   * A file edited by hand since the last checkpoint is adopted, not overwritten;
   * killed writers' temp files next to the index files are removed.
   */
  async flush(): Promise<void> {
    this.#state.assertOpen();
    await this.#state.serial(() =>
      this.#state.exclusive(async () => {
        await cleanIndexFolders(this.#state);
        await materialize(this.#state, 'due');
      }),
    );
  }

  /**
   * Rebuilds every index from the documents and rewrites their files.
   * @returns the names of the indexes rebuilt.
   */
  async rebuildIndexes(): Promise<string[]> {
    this.#state.assertOpen();
    await this.#state.refresh();
    const rebuilt = rebuildIndexes(this.#state);
    await this.flush();
    return rebuilt;
  }

  /**
   * Materializes everything and writes a snapshot now, holding the lock: the
   * files, `snapshot.jsonl` and `checkpoint.json` then all reflect `seq`
   * (what a backup copies).
   */
  async checkpoint(): Promise<{ seq: number }> {
    this.#state.assertOpen();
    let seq = 0;
    await this.#state.serial(() =>
      this.#state.exclusive(async () => {
        await materialize(this.#state, 'force');
        seq = this.#state.appliedSeq;
      }),
    );
    return { seq };
  }

  /** Every file the collection owns now, by role. */
  files(): Promise<CollectionFiles> {
    return collectionFiles(this.#state);
  }

  /**
   * Calls `listener` for every committed change applied to this instance: its
   * own writes, other processes' (seen when it catches up), adopted hand edits.
   * @returns a function that unsubscribes.
   */
  onChange(listener: (event: ChangeEvent<T>) => void): () => void {
    this.#state.listeners.add(listener);
    return () => this.#state.listeners.delete(listener);
  }

  /**
   * Checks every index against the documents, in memory and, for an index
   * kept in a file, that file (unless a rewrite of it is still pending).
   * @returns per index: whether it is in step, and how.
   */
  async verifyIndexes(): Promise<Record<string, IndexReport>> {
    await this.#state.refresh();
    return verifyIndexes(this.#state);
  }

  /** Materializes pending changes, writes a snapshot if anything changed since the last, and releases files. */
  async close(): Promise<void> {
    const state = this.#state;
    if (state.closing) {
      await state.settled();
      return;
    }
    state.closing = true;
    state.cancelFlush();
    await state.serial(async () => {
      try {
        await state.exclusive(() => materialize(state, 'changed'));
      } finally {
        await state.journal.close();
        await state.snapshotFile?.close();
      }
    });
  }

  #measure<R>(operation: string, run: () => Promise<R>): Promise<R> {
    return measure(this.#state.onOperation, this.#state.now, operation, run);
  }
}
