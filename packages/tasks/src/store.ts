import { join, resolve } from 'node:path';
import { CorruptFileError, ensureDir, readJson } from '@vellum/atomic-io';
import { Collection, type OpenReport, type WriteMode } from '@vellum/collection';
import { checkStoreVersion, defineMigrations, writeStoreVersion } from '@vellum/migrate';
import { taskStoreCollections } from './collections.js';
import { Integrations } from './integrations.js';
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
  /** Clock, for tests. */
  now?: (() => Date) | undefined;
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

interface TaskStoreParts {
  tasks: Tasks;
  integrations: Integrations;
  states: States;
  workflows: Workflows;
  sessions: Sessions;
}

/**
 * A `.ap-state` directory (spec 000) opened as five collections, each with its
 * journal under `wal/<collection>/` and its files where the spec puts them.
 */
export class TaskStore {
  readonly root: string;
  readonly tasks: Tasks;
  readonly integrations: Integrations;
  readonly states: States;
  readonly workflows: Workflows;
  readonly sessions: Sessions;
  readonly #collections: readonly Collection<never>[];

  readonly #metrics: MetricsSink;

  private constructor(
    root: string,
    parts: TaskStoreParts,
    collections: readonly Collection<never>[],
    metrics: MetricsSink,
  ) {
    this.#metrics = metrics;
    this.root = root;
    this.tasks = parts.tasks;
    this.integrations = parts.integrations;
    this.states = parts.states;
    this.workflows = parts.workflows;
    this.sessions = parts.sessions;
    this.#collections = collections;
  }

  /**
   * Opens (or creates) the store. A directory written by spec 000's shell
   * functions is imported on first open and keeps working.
   */
  static async open(options: TaskStoreOptions = {}): Promise<TaskStore> {
    const root = resolve(options.root ?? '.ap-state');
    const now = options.now ?? (() => new Date());
    await ensureDir(root);
    // A store written by newer code, or with a migration half done, is not opened.
    const version = await checkStoreVersion(root, TASK_STORE_MIGRATIONS, { versionIfMissing: 1 });
    if (version.versionFile === 'missing') await writeStoreVersion(root, version.current);
    const metrics = metricsSink(options.metrics ?? true, {
      dir: join(root, 'metrics'),
      lockTimeout: options.lockTimeout,
    });
    const setup = taskStoreCollections({
      mode: options.mode,
      lockTimeout: options.lockTimeout,
      flushDelayMs: options.flushDelayMs,
      now: options.now,
      onOperation: metrics.record,
      ...(options.journalRetention === undefined
        ? {}
        : { journalRetention: options.journalRetention }),
    });
    const tasks = await Collection.open<Task>({
      ...setup.tasks,
      root,
      name: 'tasks',
      schema: Task,
    });
    const integrations = await Collection.open<IntegrationPoint>({
      ...setup.integrations,
      root,
      name: 'integrations',
      schema: IntegrationPoint,
    });
    const states = await Collection.open<EntityState>({
      ...setup.states,
      root,
      name: 'states',
      schema: EntityState,
    });
    const workflows = await Collection.open<WorkflowExecution>({
      ...setup.workflows,
      root,
      name: 'workflows',
      schema: WorkflowExecution,
    });
    const sessions = await Collection.open<Session>({
      ...setup.sessions,
      root,
      name: 'sessions',
      schema: Session,
    });
    return new TaskStore(
      root,
      {
        tasks: new Tasks(tasks, now),
        integrations: new Integrations(integrations, root, now),
        states: new States(states, root, now, options.transitions ?? DEFAULT_TRANSITIONS),
        workflows: new Workflows(workflows, now),
        sessions: new Sessions(sessions, now),
      },
      [tasks, integrations, states, workflows, sessions] as unknown as Collection<never>[],
      metrics,
    );
  }

  /** Every collection of the store, for backups, health checks and migrations. */
  get collections(): readonly Collection<never>[] {
    return this.#collections;
  }

  /** What opening each collection found and did (imports, adopted hand edits, quarantined files, index drift). */
  get report(): Record<string, OpenReport> {
    return Object.fromEntries(this.#collections.map((c) => [c.name, c.report]));
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
      for (const task of (await this.tasks.collection.query({ limit: Number.MAX_SAFE_INTEGER }))
        .items) {
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

  /** Materializes every collection's pending changes now. */
  async flush(): Promise<void> {
    for (const collection of this.#collections) await collection.flush();
  }

  /**
   * Closes every collection (materializing what changed) and writes the
   * metrics; `discardMetrics` drops those `metrics: 'on-close'` holds.
   */
  async close(options: { discardMetrics?: boolean } = {}): Promise<void> {
    for (const collection of this.#collections) await collection.close();
    await this.#metrics.close(options.discardMetrics === true);
  }
}
