import type { HeldLock } from '@vellum/atomic-io';
import { reconcile } from './counters.js';
import {
  countersFileSchema,
  decodeCounters,
  decodeMappings,
  decodeSync,
  emptyCounters,
  emptyMappings,
  emptySync,
  encodeCounters,
  encodeMappings,
  encodeSync,
  mappingFileSchema,
  syncFileSchema,
  type CountersFile,
  type CountersState,
  type MappingFile,
  type MappingState,
  type SyncFile,
  type SyncState,
} from './formats.js';
import { DocFile, type DocFileOptions } from './state-files.js';

/** One of the state files, as `reset()` names them. */
export type Part = 'counters' | 'mappings' | 'sync';

const mappingCodec = {
  schema: mappingFileSchema,
  decode: decodeMappings,
  encode: encodeMappings,
  empty: emptyMappings,
  resetTarget: 'mappings',
  resetEffect:
    'every task loses its external ids, while the counters are kept so that no id is handed out twice',
};

const countersCodec = {
  schema: countersFileSchema,
  decode: decodeCounters,
  encode: encodeCounters,
  empty: emptyCounters,
  resetTarget: 'counters',
  resetEffect:
    'the counters are rebuilt from the mappings, so an id that was handed out and later unmapped may be handed out again',
};

const syncCodec = {
  schema: syncFileSchema,
  decode: decodeSync,
  encode: encodeSync,
  empty: emptySync,
  resetTarget: 'sync',
  resetEffect: 'sync metadata is forgotten; mappings and counters are not touched',
};

/** The three state files of one directory. */
export interface StateFileSet {
  mappings: DocFile<MappingFile, MappingState>;
  counters: DocFile<CountersFile, CountersState>;
  sync: DocFile<SyncFile, SyncState>;
}

/**
 * One critical section: loads each file at most once (fresh from disk, with
 * repair), and writes what changed in a crash-safe order.
 */
export class Transaction {
  readonly lock: HeldLock;
  readonly #files: StateFileSet;
  readonly #dirty = new Set<Part>();
  #mappings: MappingState | undefined;
  #counters: CountersState | undefined;
  #sync: SyncState | undefined;

  constructor(files: StateFileSet, lock: HeldLock) {
    this.#files = files;
    this.lock = lock;
  }

  async mappings(): Promise<MappingState> {
    this.#mappings ??= await this.#files.mappings.load(this.lock);
    return this.#mappings;
  }

  /** The counters, raised to cover every mapped id. */
  async counters(): Promise<CountersState> {
    if (this.#counters === undefined) {
      const counters = await this.#files.counters.load(this.lock);
      reconcile(counters, await this.mappings());
      this.#counters = counters;
    }
    return this.#counters;
  }

  async sync(): Promise<SyncState> {
    this.#sync ??= await this.#files.sync.load(this.lock);
    return this.#sync;
  }

  touch(part: Part): void {
    this.#dirty.add(part);
  }

  /**
   * Counters first, then mappings: a crash in between leaves a counter ahead
   * of the mappings (a gap in the ids), never a mapping ahead of its counter
   * (a duplicate). The sync file last: its entries name their external id, so
   * one left behind by a crash is never attached to another id.
   */
  async commit(updated: string): Promise<void> {
    if (this.#dirty.has('counters') && this.#counters !== undefined) {
      await this.#files.counters.save(this.#counters, updated, this.lock);
    }
    if (this.#dirty.has('mappings') && this.#mappings !== undefined) {
      await this.#files.mappings.save(this.#mappings, updated, this.lock);
    }
    if (this.#dirty.has('sync') && this.#sync !== undefined) {
      await this.#files.sync.save(this.#sync, updated, this.lock);
    }
  }
}

/** The state files at the given paths. */
export function openStateFiles(
  paths: { mapping: string; counters: string; sync: string },
  options: DocFileOptions,
): StateFileSet {
  return {
    mappings: new DocFile(paths.mapping, mappingCodec, options),
    counters: new DocFile(paths.counters, countersCodec, options),
    sync: new DocFile(paths.sync, syncCodec, options),
  };
}
