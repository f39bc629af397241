import type { FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import type { StandardSchemaV1 } from '@vellum/atomic-io';
import { FullTextIndex, SecondaryIndex, type SecondaryIndexOptions } from '@vellum/index';
import type { Journal, Transaction } from '@vellum/journal';
import type { Checkpoint } from './checkpoint.js';
import { DocumentSlot } from './document-slot.js';
import { CollectionClosedError } from './errors.js';
import type { Layout } from './layout.js';
import { DELETE_OPS, PUT_OPS } from './records.js';
import type {
  ChangeEvent,
  ChangeSource,
  CollectionOptions,
  IndexDefinition,
  OpenReport,
  OperationMetric,
  WriteMode,
} from './types.js';
import type { IdSource } from './validate.js';

/** A secondary index with what the collection keeps about it. */
export interface IndexEntry<T> {
  index: SecondaryIndex<T>;
  /** Where it is also written (relative to the root), if anywhere. */
  file: string | undefined;
  options: SecondaryIndexOptions<T>;
  /** Identifies the definition in the snapshot; `undefined`: never reused, always rebuilt. */
  fingerprint: string | undefined;
}

export interface FullTextEntry<T> {
  index: FullTextIndex<T>;
  kind: string;
  file: string | undefined;
  /** Built on first use: opening must not tokenize every document. */
  built: boolean;
}

/** A document the files do not reflect yet. */
export interface Dirty<T> {
  /** Versions that may be on disk: what the files held at the last materialization, and since. */
  versions: T[];
  seq: number;
}

/** The full-text index's name among the dirty indexes (not a valid index name: it has a space). */
export const SEARCH_INDEX = 'search index';

/**
 * Everything a collection holds in memory: its settings, the documents and
 * their indexes, where the journal and the files stand, and what the files
 * still lack. One object, which the open, adoption, commit, query and
 * materialization modules all receive.
 */
export class CollectionState<T> {
  readonly name: string;
  readonly root: string;
  readonly layout: Layout<T>;
  readonly mode: WriteMode;
  readonly schema: StandardSchemaV1<unknown, T>;
  readonly id: IdSource;
  readonly stateDir: string;
  readonly journalDir: string;
  readonly snapshotEvery: number;
  readonly now: () => Date;
  readonly keepJournal: boolean;
  readonly repairIndexFiles: boolean;
  readonly onOperation: ((metric: OperationMetric) => void) | undefined;
  /** What opening found and did. */
  readonly report: OpenReport = {
    imported: 0,
    replayed: 0,
    adopted: [],
    quarantined: [],
    conflicts: [],
    indexDrift: [],
    rebuilt: undefined,
  };

  readonly docs = new Map<string, DocumentSlot<T>>();
  readonly indexes = new Map<string, IndexEntry<T>>();
  readonly fullText: FullTextEntry<T> | undefined;
  readonly listeners = new Set<(event: ChangeEvent<T>) => void>();

  journal!: Journal;
  /** The snapshot read at open, which documents not used yet are read from. */
  snapshotFile: FileHandle | undefined;
  appliedSeq = 0;
  checkpoint: Checkpoint = { format: 1, materializedSeq: 0, snapshotSeq: 0, at: '' };
  /** The checkpoint file's modification time, which hand edits are compared with. */
  checkpointMtime = 0;
  /** `checkpoint.json` must be written at the end of open (something was imported or adopted). */
  checkpointStale = false;
  opsSinceSnapshot = 0;
  /** Documents to materialize. */
  readonly dirty = new Map<string, Dirty<T>>();
  /** Persisted index files to rewrite (by index name; `SEARCH_INDEX` for the full-text one). */
  readonly dirtyIndexes = new Set<string>();
  /** Every document's file must be written again (a whole-file layout lost a document). */
  rewriteAll = false;
  closing = false;

  readonly #flushDelayMs: number;
  readonly #flush: () => Promise<void>;
  #flushTimer: NodeJS.Timeout | undefined;
  #sortedIds: string[] | undefined;
  #refreshing: Promise<void> | undefined;
  /** Flushes and the close run one after another, never overlapping. */
  #chain: Promise<void> = Promise.resolve();

  /** `flush` is what a scheduled flush runs. */
  constructor(options: CollectionOptions<T>, flush: () => Promise<void>) {
    this.name = options.name;
    this.root = resolve(options.root);
    this.layout = options.layout;
    this.mode = options.mode ?? 'write-behind';
    this.schema = options.schema;
    const idField = options.idField ?? 'id';
    const idOf = options.idOf;
    this.id =
      idOf === undefined
        ? { field: idField, of: (doc) => (doc as Record<string, unknown> | null)?.[idField] }
        : { field: idField, of: (doc) => idOf(doc as T) };
    this.stateDir = resolve(this.root, options.stateDir ?? `.vellum/${options.name}`);
    this.journalDir = resolve(this.root, options.journalDir ?? `.vellum/${options.name}/wal`);
    this.#flushDelayMs = options.flushDelayMs ?? 50;
    this.snapshotEvery = options.snapshotEvery ?? 10_000;
    this.now = options.now ?? (() => new Date());
    this.onOperation = options.onOperation;
    this.keepJournal = options.journalRetention === 'keep';
    this.repairIndexFiles = options.repairIndexFiles ?? true;
    this.#flush = flush;
    for (const [name, definition] of Object.entries(options.indexes ?? {})) {
      const indexOptions: SecondaryIndexOptions<T> = {
        name,
        key: definition.key,
        unique: definition.unique,
        keyType: definition.keyType,
      };
      this.indexes.set(name, {
        index: new SecondaryIndex<T>(indexOptions),
        file: definition.file,
        options: indexOptions,
        fingerprint: fingerprintOf(definition),
      });
    }
    if (options.fullText !== undefined) {
      this.fullText = {
        index: new FullTextIndex<T>({
          fields: options.fullText.fields,
          tokenizer: options.fullText.tokenizer,
          name: `${options.name} search`,
        }),
        kind: options.fullText.kind ?? options.name,
        file: options.fullText.file,
        built: false,
      };
    }
  }

  /** @throws {CollectionClosedError} after `close()`. */
  assertOpen(): void {
    if (this.closing) throw new CollectionClosedError(this.name);
  }

  /** Runs `work` after the flushes and closes queued before it, never beside one. */
  serial(work: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(work);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Settles when the queued flushes and close have. */
  settled(): Promise<void> {
    return this.#chain;
  }

  /**
   * Runs `work` holding the journal's lock, once every transaction other
   * processes committed before is applied: what each write path starts with.
   */
  exclusive<R>(work: () => Promise<R>): Promise<R> {
    return this.journal.exclusive(async (caughtUp) => {
      for (const tx of caughtUp) this.apply(tx, 'remote');
      return work();
    });
  }

  /** Applies what other processes committed: one `stat` of the journal when nothing changed. */
  async refresh(): Promise<void> {
    this.assertOpen();
    this.#refreshing ??= (async () => {
      try {
        for (const tx of await this.journal.catchUp()) this.apply(tx, 'remote');
      } finally {
        this.#refreshing = undefined;
      }
    })();
    await this.#refreshing;
  }

  /** Materializes after `flushDelayMs` of quiet; a failure is a process warning. */
  scheduleFlush(): void {
    if (this.closing) return;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = setTimeout(() => {
      if (this.closing) return;
      this.#flush().catch((error: unknown) => {
        process.emitWarning(
          `${this.name}: background checkpoint failed: ${(error as Error).message}`,
          { code: 'VELLUM_FLUSH_FAILED' },
        );
      });
    }, this.#flushDelayMs);
    this.#flushTimer.unref();
  }

  cancelFlush(): void {
    clearTimeout(this.#flushTimer);
  }

  /** Every id, sorted (cached until a document comes or goes). */
  allIds(): string[] {
    this.#sortedIds ??= [...this.docs.keys()].sort();
    return this.#sortedIds;
  }

  /** Stores a document; `indexed` is the same document as an object, for its keys (default: the slot's). */
  set(id: string, slot: DocumentSlot<T>, indexed?: T): DocumentSlot<T> | undefined {
    const old = this.docs.get(id);
    if (old === undefined) this.#sortedIds = undefined;
    this.docs.set(id, slot);
    const doc = indexed ?? slot.doc;
    for (const { index } of this.indexes.values()) index.update(id, old?.doc, doc);
    // `add` replaces an earlier version.
    if (this.fullText?.built === true) this.fullText.index.add(id, this.fullText.kind, doc);
    return old;
  }

  remove(id: string): DocumentSlot<T> | undefined {
    const old = this.docs.get(id);
    if (old === undefined) return undefined;
    this.#sortedIds = undefined;
    this.docs.delete(id);
    for (const { index } of this.indexes.values()) index.update(id, old.doc, undefined);
    if (this.fullText?.built === true) this.fullText.index.remove(id, this.fullText.kind);
    return old;
  }

  /** Builds the full-text index from every document, the first time it is needed. */
  ensureFullText(): FullTextIndex<T> | undefined {
    const fullText = this.fullText;
    if (fullText === undefined) return undefined;
    if (!fullText.built) {
      const { index, kind } = fullText;
      index.rebuild(Array.from(this.docs, ([id, slot]) => ({ id, kind, doc: slot.doc })));
      fullText.built = true;
    }
    return fullText.index;
  }

  /**
   * Applies a committed transaction to memory. `source` says who wrote it;
   * without one (replay at open) the files already have it and nobody is told.
   */
  apply(tx: Transaction, source: ChangeSource | undefined): void {
    const markDirty = source !== undefined;
    for (const op of tx.ops) {
      const id = op.id;
      if (id === undefined) continue;
      let old: DocumentSlot<T> | undefined;
      const put = PUT_OPS.has(op.op);
      if (markDirty) this.#markIndexes(this.docs.get(id)?.doc, put ? (op.data as T) : undefined);
      let slot: DocumentSlot<T> | undefined;
      if (put) {
        // Our own write carries its text; a record read from the journal is a fresh parse, ours to freeze.
        slot =
          op.json === undefined
            ? DocumentSlot.ofDocument(op.data as T, op.seq)
            : DocumentSlot.ofJson<T>(op.json, op.seq);
        old = this.set(id, slot, op.data as T);
      } else if (DELETE_OPS.has(op.op)) old = this.remove(id);
      else continue;
      if (source !== undefined && this.listeners.size > 0) {
        const event: ChangeEvent<T> = {
          id,
          type: put ? 'put' : 'delete',
          seq: op.seq,
          doc: slot?.doc,
          source,
        };
        for (const listener of this.listeners) listener(event);
      }
      if (markDirty) {
        const dirty = this.dirty.get(id);
        if (dirty === undefined)
          this.dirty.set(id, { versions: old === undefined ? [] : [old.doc], seq: op.seq });
        else {
          if (old !== undefined) dirty.versions.push(old.doc);
          dirty.seq = op.seq;
        }
      }
      this.opsSinceSnapshot++;
    }
    this.appliedSeq = Math.max(this.appliedSeq, tx.lastSeq);
  }

  /** Marks the persisted indexes whose keys differ between two versions of a document. */
  #markIndexes(before: T | undefined, after: T | undefined): void {
    for (const [name, { index, file }] of this.indexes) {
      if (file === undefined || this.dirtyIndexes.has(name)) continue;
      const keysOf = (doc: T | undefined): string =>
        doc === undefined ? '' : JSON.stringify(index.keysOf(doc).sort());
      if (keysOf(before) !== keysOf(after)) this.dirtyIndexes.add(name);
    }
    if (this.fullText?.file !== undefined) this.dirtyIndexes.add(SEARCH_INDEX);
  }
}

/** Every document as `[id, doc]`, parsing those not parsed yet. */
export function* documentEntries<T>(
  docs: ReadonlyMap<string, DocumentSlot<T>>,
): Generator<readonly [string, T]> {
  for (const [id, slot] of docs) yield [id, slot.doc];
}

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
