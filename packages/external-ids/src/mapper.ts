import { join, resolve } from 'node:path';
import {
  cleanupTempFiles,
  ensureDir,
  nodeFs,
  withLock,
  type FsLayer,
  type HeldLock,
} from '@vellum/atomic-io';
import { allocate, reconcile, reserve } from './counters.js';
import {
  CounterExhaustedError,
  MappingConflictError,
  NotMappedError,
  UnknownTaskError,
} from './errors.js';
import {
  COUNTERS_FILE,
  LOCK_NAME,
  MAPPING_FILE,
  SYNC_FILE,
  type CountersState,
  type MappingState,
  type SyncEntryFile,
} from './formats.js';
import { buildIndex, type ReverseIndex } from './reverse-index.js';
import type { StateRecovery } from './state-files.js';
import { Transaction, openStateFiles, type Part, type StateFileSet } from './transaction.js';
import { DEFAULT_PROJECT_KEY, TOOLS, formatExternalId, type ExternalTool } from './tools.js';
import {
  checkMapArgs,
  checkRecordArgs,
  checkResetTarget,
  checkReverseArgs,
  checkSyncPatch,
  checkTask,
  checkUnmapArgs,
  type ResetTarget,
} from './validate.js';

export interface ExternalIdMapperOptions {
  /** The project whose `.claude/state/` holds the files. Default: `process.cwd()`. */
  projectRoot?: string | undefined;
  /** The state directory itself; overrides `projectRoot`. */
  stateDir?: string | undefined;
  /** The Jira project / Linear team key used when `mapToExternal` gets none. Default `PROJ`. */
  defaultProjectKey?: string | undefined;
  /** Give up waiting for the lock after this long (`LockTimeoutError`). Default 10,000 ms. */
  lockTimeout?: number | undefined;
  /**
   * Fallback lock only (no `flock` on this platform): a holder that has not
   * refreshed the lock for this long may be taken over. Default 10,000 ms
   * (minimum 2,000). A kernel lock is released when its holder exits.
   */
  lockStale?: number | undefined;
  /** Told when a state file is restored from its `.bak`; without it a process warning is emitted. */
  onRecover?: ((report: StateRecovery) => void) | undefined;
  /**
   * Whether a task exists, asked by `mapToExternal` after checking its
   * arguments and before touching any file: an unknown task is refused with
   * `UnknownTaskError`. Default: every id is taken as a task.
   */
  taskExists?: ((internalId: string) => boolean | Promise<boolean>) | undefined;
  /** The clock for the files' `updated` field. Default `() => new Date()`. */
  now?: (() => Date) | undefined;
  /** File-system layer for writes (fault injection); see `@vellum/atomic-io`. */
  fs?: FsLayer | undefined;
}

/** A task's ids, one per tool it is mapped to. */
export type ExternalIds = Partial<Record<ExternalTool, string>>;

export interface MappingEntry {
  internalId: string;
  ids: ExternalIds;
}

/** The last number handed out per slot, as in `external_id_counters.json`. */
export interface CounterSnapshot {
  jira: Record<string, number>;
  azure_devops: number;
  linear: Record<string, number>;
  github: number;
}

/** What is known about the last sync of one mapping (kept in `external_id_sync.json`). */
export interface SyncMetadata {
  /** The external id this metadata belongs to; metadata of a replaced id is not returned. */
  externalId: string;
  /** ISO 8601 UTC. */
  lastSyncedAt?: string;
  contentHash?: string;
  remoteVersion?: string | number;
}

/** Fields accepted by `updateSyncMetadata`; absent fields keep their value. */
export interface SyncMetadataPatch {
  lastSyncedAt?: Date | string;
  contentHash?: string;
  remoteVersion?: string | number;
}

export interface StatePaths {
  dir: string;
  mapping: string;
  counters: string;
  sync: string;
  lock: string;
}

/** `<projectRoot>/.claude/state`, where spec 003 keeps the files. */
export function defaultStateDir(projectRoot: string = process.cwd()): string {
  return join(resolve(projectRoot), '.claude', 'state');
}

function knownIds(ids: ReadonlyMap<string, string>): ExternalIds {
  const known: ExternalIds = {};
  for (const tool of TOOLS) {
    const id = ids.get(tool);
    if (id !== undefined) known[tool] = id;
  }
  return known;
}

function toMetadata(entry: SyncEntryFile): SyncMetadata {
  const metadata: SyncMetadata = { externalId: entry.external_id };
  if (entry.last_synced !== undefined) metadata.lastSyncedAt = entry.last_synced;
  if (entry.content_hash !== undefined) metadata.contentHash = entry.content_hash;
  if (entry.remote_version !== undefined) metadata.remoteVersion = entry.remote_version;
  return metadata;
}

/**
 * Maps internal task ids to Jira, Azure DevOps, Linear and GitHub ids (spec
 * 003), persisted in `external_id_mapping.json` and `external_id_counters.json`
 * (each with a `.bak`). Every change is one read-modify-write under one
 * cross-process lock, so any number of instances, in one process or many,
 * share the files without ever handing out an id twice. Reads take no lock and
 * are served from memory until the mapping file changes.
 */
export class ExternalIdMapper {
  readonly paths: StatePaths;
  readonly #files: StateFileSet;
  readonly #fs: FsLayer;
  readonly #defaultKey: string;
  readonly #lockOptions: { lockPath: string; lockTimeout?: number; stale?: number };
  readonly #now: () => Date;
  readonly #taskExists: ((internalId: string) => boolean | Promise<boolean>) | undefined;
  readonly #indexes = new WeakMap<MappingState, ReverseIndex>();
  #ready: Promise<void> | undefined;

  constructor(options: ExternalIdMapperOptions = {}) {
    const dir = resolve(options.stateDir ?? defaultStateDir(options.projectRoot));
    this.paths = {
      dir,
      mapping: join(dir, MAPPING_FILE),
      counters: join(dir, COUNTERS_FILE),
      sync: join(dir, SYNC_FILE),
      lock: join(dir, LOCK_NAME),
    };
    this.#fs = options.fs ?? nodeFs;
    this.#files = openStateFiles(this.paths, { fs: this.#fs, onRecover: options.onRecover });
    this.#defaultKey = options.defaultProjectKey ?? DEFAULT_PROJECT_KEY;
    this.#lockOptions = { lockPath: this.paths.lock };
    if (options.lockTimeout !== undefined) this.#lockOptions.lockTimeout = options.lockTimeout;
    if (options.lockStale !== undefined) this.#lockOptions.stale = options.lockStale;
    this.#now = options.now ?? (() => new Date());
    this.#taskExists = options.taskExists;
  }

  /**
   * The task's id in `tool`, allocating the next one if it has none: Jira
   * `PROJ-457` and Linear `TEAM-789` count per key, Azure DevOps and GitHub per
   * tool. Idempotent: a task already mapped for `tool` gets its existing id,
   * whatever `projectKey` says. The read, the increment and both writes happen
   * under one cross-process lock.
   *
   * @param projectKey Jira project or Linear team key; default `defaultProjectKey` (`PROJ`).
   *   Not accepted for Azure DevOps and GitHub.
   * @throws {ValidationError} unknown tool, malformed id or key; nothing is read or written.
   * @throws {UnknownTaskError} `taskExists` says there is no such task; nothing is read or written.
   * @throws {StateUnreadableError} a state file and its backup are unusable; nothing is written.
   * @throws {CounterExhaustedError} the counter is at `Number.MAX_SAFE_INTEGER`.
   * @throws {LockTimeoutError} the lock was not acquired within `lockTimeout`.
   * @throws {WriteError | DiskFullError | DurabilityError | LockCompromisedError} from the writes.
   */
  async mapToExternal(
    internalId: string,
    tool: ExternalTool,
    projectKey?: string,
  ): Promise<string> {
    const args = checkMapArgs(internalId, tool, projectKey, this.#defaultKey);
    if (this.#taskExists !== undefined && !(await this.#taskExists(args.internalId)))
      throw new UnknownTaskError(args.internalId);
    return this.#transact(async (tx) => {
      const mappings = await tx.mappings();
      const existing = mappings.tasks.get(args.internalId)?.get(args.tool);
      if (existing !== undefined) return existing;
      const counters = await tx.counters();
      const number = allocate(counters, args.tool, args.key);
      if (number === undefined) {
        throw new CounterExhaustedError(
          this.paths.counters,
          args.key === undefined ? args.tool : `${args.tool} ${args.key}`,
        );
      }
      const externalId = formatExternalId(args.key, number);
      this.#setMapping(mappings, args.internalId, args.tool, externalId);
      tx.touch('counters');
      tx.touch('mappings');
      return externalId;
    });
  }

  /**
   * Stores an id a tracker actually assigned, and raises the tool's counter to
   * it so that `mapToExternal` never hands it out again. Recording the same
   * mapping twice is a no-op.
   *
   * @param options.replace replace the task's existing id for `tool` (default: refuse).
   * @throws {ValidationError} unknown tool, an id not in the tool's form (`PROJ-12`, `1234`)
   *   or not a string; nothing is written.
   * @throws {MappingConflictError} the id belongs to another task, or the task has another
   *   id for `tool` and `replace` is not set; nothing is written.
   * @throws {StateUnreadableError | LockTimeoutError | WriteError | DiskFullError} as `mapToExternal`.
   */
  async recordExternal(
    internalId: string,
    tool: ExternalTool,
    externalId: string,
    options?: { replace?: boolean },
  ): Promise<void> {
    const args = checkRecordArgs(internalId, tool, externalId, options);
    await this.#transact(async (tx) => {
      const mappings = await tx.mappings();
      const current = mappings.tasks.get(args.internalId)?.get(args.tool);
      if (current === args.externalId) return;
      // Not #indexFor: that caches per state object, and this one is about to change.
      const owner = buildIndex(mappings).get(args.tool)?.get(args.externalId);
      if (owner !== undefined) {
        throw new MappingConflictError(this.paths.mapping, { ...args, ownerInternalId: owner });
      }
      if (current !== undefined && !args.replace) {
        throw new MappingConflictError(this.paths.mapping, { ...args, currentExternalId: current });
      }
      if (reserve(await tx.counters(), args.tool, args.parsed.key, args.parsed.number)) {
        tx.touch('counters');
      }
      this.#setMapping(mappings, args.internalId, args.tool, args.externalId);
      tx.touch('mappings');
    });
  }

  /**
   * The task's id in `tool`, or `undefined`. Takes no lock.
   * @throws {ValidationError} unknown tool or malformed task id.
   * @throws {StateUnreadableError} the mapping file and its backup are unusable.
   */
  async getExternal(internalId: string, tool: ExternalTool): Promise<string | undefined> {
    const args = checkTask(internalId, tool);
    return (await this.#mappings()).tasks.get(args.internalId)?.get(args.tool);
  }

  /**
   * The task mapped to `externalId` in `tool`, or `undefined`: an index lookup,
   * rebuilt only when the mapping file changes. Takes no lock.
   * @throws {ValidationError} unknown tool, or an id that is not a non-empty string.
   * @throws {StateUnreadableError} the mapping file and its backup are unusable.
   */
  async getInternal(tool: ExternalTool, externalId: string): Promise<string | undefined> {
    const args = checkReverseArgs(tool, externalId);
    return this.#indexFor(await this.#mappings())
      .get(args.tool)
      ?.get(args.externalId);
  }

  /**
   * Every mapped task with its ids, sorted by internal id.
   * @throws {StateUnreadableError} the mapping file and its backup are unusable.
   */
  async list(): Promise<MappingEntry[]> {
    const mappings = await this.#mappings();
    return [...mappings.tasks]
      .map(([internalId, ids]) => ({ internalId, ids: knownIds(ids) }))
      .filter((entry) => Object.keys(entry.ids).length > 0)
      .sort((a, b) => (a.internalId < b.internalId ? -1 : a.internalId > b.internalId ? 1 : 0));
  }

  /**
   * Removes the task's id for `tool`, or all its ids (and their sync
   * metadata). Counters are not lowered: a removed id is never handed out again.
   * @returns whether anything was removed.
   * @throws {ValidationError | StateUnreadableError | LockTimeoutError | WriteError | DiskFullError}
   */
  async unmap(internalId: string, tool?: ExternalTool): Promise<boolean> {
    checkUnmapArgs(internalId, tool);
    return this.#transact(async (tx) => {
      const mappings = await tx.mappings();
      const ids = mappings.tasks.get(internalId);
      if (ids === undefined || (tool !== undefined && !ids.has(tool))) return false;
      if (tool === undefined) ids.clear();
      else ids.delete(tool);
      if (ids.size === 0) mappings.tasks.delete(internalId);
      tx.touch('mappings');
      const sync = await tx.sync();
      const entries = sync.tasks.get(internalId);
      if (entries !== undefined && (tool === undefined || entries.has(tool))) {
        if (tool === undefined) entries.clear();
        else entries.delete(tool);
        if (entries.size === 0) sync.tasks.delete(internalId);
        tx.touch('sync');
      }
      return true;
    });
  }

  /**
   * The counters as `external_id_counters.json` holds them, raised to cover
   * every mapped id (what the next allocation will build on).
   * @throws {StateUnreadableError} a state file and its backup are unusable.
   */
  async getCounters(): Promise<CounterSnapshot> {
    const counters = await this.#peekOrLoad((tx) => tx.counters(), this.#files.counters);
    const copy: CountersState = {
      ...counters,
      jira: new Map(counters.jira),
      linear: new Map(counters.linear),
    };
    reconcile(copy, await this.#mappings());
    return {
      jira: Object.fromEntries(copy.jira),
      azure_devops: copy.azure_devops,
      linear: Object.fromEntries(copy.linear),
      github: copy.github,
    };
  }

  /**
   * The sync metadata of the task's current `tool` id, or `undefined`.
   * @throws {ValidationError | StateUnreadableError}
   */
  async getSyncMetadata(internalId: string, tool: ExternalTool): Promise<SyncMetadata | undefined> {
    const args = checkTask(internalId, tool);
    const externalId = (await this.#mappings()).tasks.get(args.internalId)?.get(args.tool);
    if (externalId === undefined) return undefined;
    const sync = await this.#peekOrLoad((tx) => tx.sync(), this.#files.sync);
    const entry = sync.tasks.get(args.internalId)?.get(args.tool);
    return entry?.external_id === externalId ? toMetadata(entry) : undefined;
  }

  /**
   * Merges `patch` into the sync metadata of the task's current `tool` id,
   * kept in `external_id_sync.json` so spec 003's two files stay exact.
   * @returns the metadata now stored.
   * @throws {ValidationError} unknown fields, an invalid date, an empty hash...; nothing is written.
   * @throws {NotMappedError} the task has no id for `tool`.
   * @throws {StateUnreadableError | LockTimeoutError | WriteError | DiskFullError}
   */
  async updateSyncMetadata(
    internalId: string,
    tool: ExternalTool,
    patch: SyncMetadataPatch,
  ): Promise<SyncMetadata> {
    const args = checkTask(internalId, tool);
    const clean = checkSyncPatch(patch);
    return this.#transact(async (tx) => {
      const externalId = (await tx.mappings()).tasks.get(args.internalId)?.get(args.tool);
      if (externalId === undefined) {
        throw new NotMappedError(this.paths.mapping, args.internalId, args.tool);
      }
      const sync = await tx.sync();
      let entries = sync.tasks.get(args.internalId);
      if (entries === undefined) {
        entries = new Map();
        sync.tasks.set(args.internalId, entries);
      }
      const previous = entries.get(args.tool);
      // Metadata of a replaced id describes another remote item: start over.
      const entry: SyncEntryFile =
        previous?.external_id === externalId ? { ...previous } : { external_id: externalId };
      if (clean.lastSyncedAt !== undefined) entry.last_synced = clean.lastSyncedAt;
      if (clean.contentHash !== undefined) entry.content_hash = clean.contentHash;
      if (clean.remoteVersion !== undefined) entry.remote_version = clean.remoteVersion;
      entries.set(args.tool, entry);
      tx.touch('sync');
      return toMetadata(entry);
    });
  }

  /**
   * The explicit way out of `StateUnreadableError`: moves the chosen files and
   * their `.bak` aside (renamed `<name>.reset-<UTC time>-<random>`, never
   * deleted), so they start empty. Resetting `counters` alone rebuilds them
   * from the mappings; resetting `mappings` alone keeps the counters, so no id
   * is handed out twice.
   * @returns the new names of the files moved aside.
   * @throws {ValidationError} an unknown target.
   * @throws {LockTimeoutError} the lock was not acquired in time.
   */
  async reset(target: ResetTarget): Promise<string[]> {
    checkResetTarget(target);
    const parts: Part[] = target === 'all' ? ['mappings', 'counters', 'sync'] : [target];
    return this.#transact(async (tx) => {
      const moved: string[] = [];
      for (const part of parts) moved.push(...(await this.#files[part].moveAside(tx.lock)));
      return moved;
    });
  }

  #setMapping(
    mappings: MappingState,
    internalId: string,
    tool: ExternalTool,
    externalId: string,
  ): void {
    let ids = mappings.tasks.get(internalId);
    if (ids === undefined) {
      ids = new Map();
      mappings.tasks.set(internalId, ids);
    }
    ids.set(tool, externalId);
  }

  #indexFor(mappings: MappingState): ReverseIndex {
    let index = this.#indexes.get(mappings);
    if (index === undefined) {
      index = buildIndex(mappings);
      this.#indexes.set(mappings, index);
    }
    return index;
  }

  /** The mapping state for a read: lock-free and cached, or repaired under the lock. */
  #mappings(): Promise<MappingState> {
    return this.#peekOrLoad((tx) => tx.mappings(), this.#files.mappings);
  }

  async #peekOrLoad<S>(
    load: (tx: Transaction) => Promise<S>,
    file: { peek(): Promise<S | undefined> },
  ): Promise<S> {
    return (await file.peek()) ?? this.#transact(load);
  }

  async #transact<R>(fn: (tx: Transaction) => Promise<R>): Promise<R> {
    await this.#init();
    const { lockTimeout } = this.#lockOptions;
    return withLock(
      this.paths.mapping,
      (own) =>
        // Also spec 003's own locks (`<file>.json.lock`, as its Python tool takes them, one file
        // at a time), always in this order, so that its processes and ours exclude each other.
        withLock(
          this.paths.counters,
          (counters) =>
            withLock(
              this.paths.mapping,
              async (mapping) => {
                const tx = new Transaction(this.#files, allOf(own, counters, mapping));
                const result = await fn(tx);
                await tx.commit(this.#now().toISOString());
                return result;
              },
              { lockTimeout },
            ),
          { lockTimeout },
        ),
      this.#lockOptions,
    );
  }

  /** Creates the directory and removes temp files of killed writers, once per instance. */
  #init(): Promise<void> {
    this.#ready ??= (async () => {
      await ensureDir(this.paths.dir, this.#fs);
      await cleanupTempFiles(this.paths.dir);
    })().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }
}

/** One guard over several held locks: lost when any of them is. */
function allOf(...locks: HeldLock[]): HeldLock {
  return {
    path: locks.map((lock) => lock.path).join(', '),
    signal: AbortSignal.any(locks.map((lock) => lock.signal)),
    async assertHeld() {
      for (const lock of locks) await lock.assertHeld();
    },
  };
}
