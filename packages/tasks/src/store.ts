import { join, resolve } from 'node:path';
import {
  cleanupTempFiles,
  CorruptFileError,
  ensureDir,
  readJson,
  statOrNull,
  type StandardSchemaV1,
} from '@vellum/atomic-io';
import {
  Collection,
  StoreExistsError,
  StoreNotFoundError,
  type IndexReport,
  type OpenReport,
  type WriteMode,
} from '@vellum/collection';
import { checkStoreVersion, defineMigrations, writeStoreVersion } from '@vellum/migrate';
import {
  taskStoreCollections,
  type CollectionSetup,
  type TaskStoreCollections,
} from './collections.js';
import { Integrations } from './integrations.js';
import { LazyCollections } from './lazy-collections.js';
import { metricsSink, type MetricsMode, type MetricsSink } from './metrics.js';
import { EntityState, IntegrationPoint, Session, Task, WorkflowExecution } from './schemas.js';
import { Sessions } from './sessions.js';
import { DEFAULT_TRANSITIONS, States, type TransitionTable } from './states.js';
import { Tasks } from './tasks.js';
import { Workflows } from './workflows.js';

export interface TaskStoreOptions {
  /** The `.ap-state` directory. Default `.ap-state` in the current directory. */
  root?: string | undefined;
  mode?: WriteMode | undefined;
  /** Allowed state transitions per entity type. Default `DEFAULT_TRANSITIONS`. */
  transitions?: TransitionTable | undefined;
  lockTimeout?: number | undefined;
  flushDelayMs?: number | undefined;
  /** `keep` (default): the journals keep all history, for point-in-time restores; `compact` drops what snapshots cover. */
  journalRetention?: 'keep' | 'compact' | undefined;
  /**
   * Record every operation's duration in `metrics/YYYY-MM-DD.jsonl` (spec 000's
   * metrics). Default true; `'on-close'` holds them for `close()` to write or drop.
   */
  metrics?: MetricsMode | undefined;
  /** `false`: index files that disagree with the documents are reported, not rewritten (see `CollectionOptions`). */
  repairIndexFiles?: boolean | undefined;
  /** Clock, for tests. */
  now?: (() => Date) | undefined;
  /** `false`: a missing store is a `StoreNotFoundError` (`VELLUM_NO_STORE`) and nothing is created. Default true. */
  createIfMissing?: boolean | undefined;
  /** `true`: an existing store is a `StoreExistsError` (`VELLUM_STORE_EXISTS`). Default false. */
  errorIfExists?: boolean | undefined;
}

/**
 * The store's schema versions (spec 000's `version` file). Version 1 is the
 * spec's layout; later versions add migrations here.
 */
export const TASK_STORE_MIGRATIONS = defineMigrations([], { base: 1 });

/** The legacy index files spec 000 also names, read to report drift, never written. */
export const LEGACY_INDEXES = {
  'task-by-status': 'status',
  'task-by-story': 'story',
  'task-by-persona': 'persona',
  'task-by-priority': 'priority',
} as const;

export interface LegacyIndexReport {
  file: string;
  ok: boolean;
}

/** The documents of each collection of the store, by collection name. */
export interface TaskStoreDocuments {
  tasks: Task;
  integrations: IntegrationPoint;
  states: EntityState;
  workflows: WorkflowExecution;
  sessions: Session;
}

export type TaskStoreCollectionName = keyof TaskStoreDocuments;

/** Every collection, in the order backups, checks and reports list them. */
export const TASK_STORE_COLLECTIONS: readonly TaskStoreCollectionName[] = [
  'tasks',
  'integrations',
  'states',
  'workflows',
  'sessions',
];

const SCHEMAS: {
  [K in TaskStoreCollectionName]: StandardSchemaV1<unknown, TaskStoreDocuments[K]>;
} = {
  tasks: Task,
  integrations: IntegrationPoint,
  states: EntityState,
  workflows: WorkflowExecution,
  sessions: Session,
};

/** Per index kept in a file: what `Collection.verifyIndexes` says, and where the file is. */
export interface IndexCheck extends IndexReport {
  /** The persisted file (absolute); `undefined` for an index kept only in memory. */
  path: string | undefined;
}

/**
 * A `.ap-state` directory (spec 000) as five collections, each with its
 * journal under `wal/<collection>/` and its files where the spec puts them.
 * Each collection is opened on first use: `store.tasks.get()` reads (and
 * creates) nothing of the other four.
 */
export class TaskStore {
  readonly root: string;
  readonly tasks: Tasks;
  readonly integrations: Integrations;
  readonly states: States;
  readonly workflows: Workflows;
  readonly sessions: Sessions;
  readonly #collections: LazyCollections<TaskStoreDocuments>;
  readonly #setup: TaskStoreCollections;
  readonly #metrics: MetricsSink;

  private constructor(root: string, options: TaskStoreOptions) {
    this.root = root;
    const now = options.now ?? (() => new Date());
    this.#metrics = metricsSink(options.metrics ?? true, {
      dir: join(root, 'metrics'),
      lockTimeout: options.lockTimeout,
    });
    this.#setup = taskStoreCollections({
      mode: options.mode,
      lockTimeout: options.lockTimeout,
      flushDelayMs: options.flushDelayMs,
      now: options.now,
      onOperation: this.#metrics.record,
      repairIndexFiles: options.repairIndexFiles,
      ...(options.journalRetention === undefined
        ? {}
        : { journalRetention: options.journalRetention }),
    });
    this.#collections = new LazyCollections<TaskStoreDocuments>((name) =>
      Collection.open({
        ...(this.#setup[name] as CollectionSetup<TaskStoreDocuments[typeof name]>),
        root,
        name,
        schema: SCHEMAS[name],
      }),
    );
    const lazy =
      <K extends TaskStoreCollectionName>(name: K) =>
      () =>
        this.#collections.get(name);
    this.tasks = new Tasks(lazy('tasks'), now);
    this.integrations = new Integrations(lazy('integrations'), root, now);
    this.states = new States(lazy('states'), root, now, options.transitions ?? DEFAULT_TRANSITIONS);
    this.workflows = new Workflows(lazy('workflows'), now);
    this.sessions = new Sessions(lazy('sessions'), now);
  }

  /**
   * Opens (or creates) the store: checks its `version` file; the collections
   * open on first use. A directory written by spec 000's shell functions is
   * imported when each collection first opens, and keeps working.
   * @throws {StoreTooNewError | MigrationInProgressError} from `@vellum/migrate`.
   * @throws {StoreNotFoundError} no store at `root`, with `createIfMissing: false`; nothing created.
   * @throws {StoreExistsError} a store at `root` already, with `errorIfExists: true`.
   */
  static async open(options: TaskStoreOptions = {}): Promise<TaskStore> {
    const root = resolve(options.root ?? '.ap-state');
    const found = await statOrNull(root);
    if (found?.isDirectory() !== true) {
      if (options.createIfMissing === false)
        throw new StoreNotFoundError('tasks', root, '.ap-state store');
    } else if (options.errorIfExists === true) {
      throw new StoreExistsError('tasks', root, '.ap-state store');
    }
    await ensureDir(root);
    // A store written by newer code, or with a migration half done, is not opened.
    const version = await checkStoreVersion(root, TASK_STORE_MIGRATIONS, { versionIfMissing: 1 });
    if (version.versionFile === 'missing') await writeStoreVersion(root, version.current);
    // The version file's, from a writer killed mid-write.
    await cleanupTempFiles(root);
    return new TaskStore(root, options);
  }

  /**
   * Every collection of the store, opened now if they are not yet, for
   * backups, health checks, index checks and migrations.
   */
  async collections(): Promise<readonly Collection<never>[]> {
    const all: Collection<never>[] = [];
    for (const name of TASK_STORE_COLLECTIONS)
      all.push((await this.#collections.get(name)) as unknown as Collection<never>);
    return all;
  }

  /**
   * What opening each collection found and did (imports, adopted hand edits,
   * quarantined files, index drift), for the collections opened so far.
   */
  get report(): Record<string, OpenReport> {
    return Object.fromEntries(
      TASK_STORE_COLLECTIONS.flatMap((name) => {
        const collection = this.#collections.opened.get(name);
        return collection === undefined ? [] : [[name, collection.report]];
      }),
    );
  }

  /**
   * Checks every index of every collection against the documents. An index
   * file that disagreed with them when its collection opened counts as drift:
   * the collection rewrites it on its own soon after (`Collection.verifyIndexes`
   * then finds it `pending`, or in step), which must not hide that it drifted.
   */
  async verifyIndexes(): Promise<Record<string, Record<string, IndexCheck>>> {
    const out: Record<string, Record<string, IndexCheck>> = {};
    for (const collection of await this.collections()) {
      const setup = this.#setup[collection.name as TaskStoreCollectionName];
      const driftedAtOpen = new Set(collection.report.indexDrift);
      const checks: Record<string, IndexCheck> = {};
      for (const [name, report] of Object.entries(await collection.verifyIndexes())) {
        const file = (setup.indexes as Record<string, { file?: string }> | undefined)?.[name]?.file;
        const drifted = driftedAtOpen.has(name);
        checks[name] = {
          ...report,
          ok: report.ok && !drifted,
          file: drifted ? 'drift' : report.file,
          path: file === undefined ? undefined : join(this.root, file),
        };
      }
      out[collection.name] = checks;
    }
    return out;
  }

  /**
   * Compares spec 000's legacy `indexes/*.idx` files, where they exist, with
   * the documents. They are reported, never written: the canonical indexes
   * are `tasks/index/by-*.json`.
   */
  async checkLegacyIndexes(): Promise<LegacyIndexReport[]> {
    const reports: LegacyIndexReport[] = [];
    for (const [name, field] of Object.entries(LEGACY_INDEXES)) {
      const file = join(this.root, 'indexes', `${name}.idx`);
      let stored: unknown;
      try {
        stored = await readJson(file);
      } catch (error) {
        if (!(error instanceof CorruptFileError)) throw error;
        reports.push({ file, ok: false });
        continue;
      }
      if (stored === null) continue;
      const expected = new Map<string, string[]>();
      const tasks = await this.tasks.collection();
      for (const task of (await tasks.query({ limit: Number.MAX_SAFE_INTEGER })).items) {
        const key =
          field === 'status' || field === 'priority'
            ? task[field]
            : field === 'story'
              ? task.metadata.story_id
              : task.metadata.persona;
        if (typeof key === 'string') expected.set(key, [...(expected.get(key) ?? []), task.id]);
      }
      const actual = Object.entries((stored ?? {}) as Record<string, unknown>).filter(
        ([, ids]) => Array.isArray(ids) && ids.length > 0,
      );
      const same =
        actual.length === expected.size &&
        actual.every(
          ([key, ids]) =>
            JSON.stringify([...(ids as string[])].sort()) ===
            JSON.stringify([...(expected.get(key) ?? [])].sort()),
        );
      reports.push({ file, ok: same });
    }
    return reports;
  }

  /** Materializes the pending changes of every collection opened so far. */
  async flush(): Promise<void> {
    for (const collection of this.#collections.opened.values()) await collection.flush();
  }

  /**
   * Closes the collections opened so far (materializing what changed) and
   * writes the metrics; `discardMetrics` drops those `metrics: 'on-close'` holds.
   */
  async close(options: { discardMetrics?: boolean } = {}): Promise<void> {
    await this.#collections.close();
    await this.#metrics.close(options.discardMetrics === true);
  }
}
