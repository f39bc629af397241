import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cleanupTempFiles, ensureDir, withLock } from '@vellum/atomic-io';
import type { Collection, WriteResult } from '@vellum/collection';
import { copyBackup, type BackupFn } from './backup.js';
import {
  idFieldOf,
  openForMigration,
  readEntries,
  type MigrationCollectionSetup,
} from './collections.js';
import { simulateSteps } from './dry-run.js';
import {
  MigrationFailedError,
  MigrationInProgressError,
  MigrationPlanError,
  type Direction,
  type InterruptedMigration,
} from './errors.js';
import {
  appendHistory,
  clearMarker,
  interruptedFrom,
  markerPath,
  migrationsDir,
  readMarker,
  writeMarker,
  type Marker,
} from './marker.js';
import type { Doc, MigrationRegistry, Step } from './registry.js';
import { currentVersion, readStatus, type MigrationStatus } from './status.js';
import {
  planCollectionStep,
  stampedBy,
  type CollectionPlan,
  type CollectionReport,
} from './step.js';
import { versionFilePath, writeStoreVersion } from './version-file.js';
import { compareVersions, isVersion, sameVersion, type Version } from './versions.js';

export interface MigratorOptions {
  /** The store's root directory: its `version` file and collections live here. */
  root: string;
  registry: MigrationRegistry;
  /** Every collection of the store, by name, opened as the application opens it (minus the schema). */
  collections: Readonly<Record<string, MigrationCollectionSetup>>;
  /** Takes a backup before each step. Default `copyBackup` (into `.vellum/migrations/backup-*`). */
  backup?: BackupFn | undefined;
  /** The version of a store without a version file. Default: the registry's base version. */
  versionIfMissing?: Version | number | undefined;
  /** Changed documents shown per collection and step in reports. Default 3. */
  samples?: number | undefined;
  /** How long to wait for another migration of the same store. Default 10 s. */
  lockTimeout?: number | undefined;
  /** Where dry runs copy collections to read them. Default the OS temp folder. */
  tmpDir?: string | undefined;
  /** Told as each step passes each point of the protocol (for progress output and tests). */
  onProgress?: ((event: ProgressEvent) => void) | undefined;
  /** Clock, for tests. */
  now?: (() => Date) | undefined;
}

/**
 * Points of a step, in order: `start`, `backup` (taken), `marker` (written),
 * `committed` (one collection's documents, once per collection with changes),
 * `store` (hook starting), `version` (file written), `done` (marker removed);
 * or `rolled-back` after a failure was undone.
 */
export interface ProgressEvent {
  phase: 'start' | 'backup' | 'marker' | 'committed' | 'store' | 'version' | 'done' | 'rolled-back';
  migrationId: string;
  direction: Direction;
  from: Version;
  to: Version;
  collection?: string | undefined;
  /** `backup`: where it is; `committed`: how many documents. */
  detail?: string | undefined;
}

export interface RunOptions {
  /** Target version. `up`: default the latest; `down`: default one step back. */
  to?: Version | number | undefined;
  /** Report what would change without writing anything. */
  dryRun?: boolean | undefined;
}

/** One step of a run, done or (dry run) planned. */
export interface StepReport {
  migrationId: string;
  direction: Direction;
  from: Version;
  to: Version;
  /** Where the backup taken before the step is; `undefined` in a dry run. */
  backup: string | undefined;
  collections: CollectionReport[];
}

/** What opening (or a run) found and did about an interrupted step. */
export interface MigrationRecoveryReport {
  migrationId: string;
  direction: Direction;
  from: Version;
  to: Version;
  /** `finished`: its documents had committed, so it was completed; `abandoned`: none had, the marker was removed. */
  outcome: 'finished' | 'abandoned';
  /** The store's version now. */
  version: Version;
  backup: string | undefined;
}

export interface MigrationReport {
  dryRun: boolean;
  direction: Direction;
  /** The store's version before the run. */
  from: Version;
  /** After it (planned, in a dry run). */
  to: Version;
  steps: StepReport[];
  /** An interrupted step this run recovered first. */
  recovered: MigrationRecoveryReport | undefined;
  /** Dry run only: an interrupted step that the real run would recover first. */
  interrupted: InterruptedMigration | undefined;
}

async function closeAll(collections: ReadonlyMap<string, Collection<Doc>>): Promise<void> {
  const outcomes = await Promise.allSettled([...collections.values()].map((c) => c.close()));
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/**
 * Runs a store's migrations: `status`, `up`, `down`, dry runs.
 *
 * Each step is crash-safe: a backup first, then the `in-progress.json` marker,
 * then each collection's documents in one journal transaction (all or nothing),
 * the store hook, the `version` file, and the marker's removal. A step
 * interrupted before any document committed is abandoned at the next open
 * (the store stays at the old version); one interrupted after is finished.
 * See docs/decisions/0008-migrations.md.
 */
export class Migrator {
  readonly root: string;
  readonly registry: MigrationRegistry;
  readonly #options: MigratorOptions;
  readonly #setups: [string, MigrationCollectionSetup][];
  readonly #now: () => Date;
  #recovered: MigrationRecoveryReport | undefined;

  private constructor(options: MigratorOptions) {
    this.root = resolve(options.root);
    this.registry = options.registry;
    this.#options = options;
    this.#setups = Object.entries(options.collections).sort(([a], [b]) => (a < b ? -1 : 1));
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Checks the store against the code and recovers an interrupted step: one
   * whose documents had committed is finished, one whose had not is abandoned
   * (the store stays at its old version). A store that needs no recovery is
   * only read.
   * @throws {StoreTooNewError} the store is newer than the newest migration.
   * @throws {MigrationPlanError} the store's version is not in the chain.
   * @throws {InvalidMigrationsError} a migration names a collection not in `collections`.
   * @throws {MigrationInProgressError} an interrupted step this code cannot finish (unknown migration, unexpected version).
   * @throws {CorruptFileError} the version file or the marker is unreadable.
   */
  static async open(options: MigratorOptions): Promise<Migrator> {
    options.registry.assertCollections(Object.keys(options.collections));
    if (options.versionIfMissing !== undefined && !isVersion(options.versionIfMissing))
      throw new MigrationPlanError(
        `versionIfMissing ${JSON.stringify(options.versionIfMissing)} is not a version`,
      );
    const migrator = new Migrator(options);
    await migrator.#assertSupported();
    if ((await readMarker(migrator.root)) !== null)
      migrator.#recovered = await migrator.#locked(() => migrator.#recover());
    return migrator;
  }

  /** What `open` did about an interrupted step, if there was one. */
  get recovered(): MigrationRecoveryReport | undefined {
    return this.#recovered;
  }

  /**
   * The store's version, the latest one, and the applied and pending migrations. Reads only.
   * @throws {StoreTooNewError} | {MigrationPlanError} | {CorruptFileError}
   */
  async status(): Promise<MigrationStatus> {
    return readStatus(this.root, this.registry, {
      versionIfMissing: this.#options.versionIfMissing,
    });
  }

  /**
   * Migrates up to `to` (default: the latest version), one step at a time,
   * each with its backup; or, with `dryRun`, reports what would change.
   * @throws {MigrationFailedError} a step failed; `storeVersion` says where the store is.
   * @throws {MigrationPlanError} `to` is unknown or older than the store.
   * @throws {StoreTooNewError} | {LockTimeoutError} | {CorruptFileError}
   */
  async up(options: RunOptions = {}): Promise<MigrationReport> {
    return this.#run('up', options);
  }

  /**
   * Migrates down to `to` (default: one step back), one step at a time, each
   * with its backup; or, with `dryRun`, reports what would change.
   * @throws {MigrationFailedError} a step failed; `storeVersion` says where the store is.
   * @throws {MigrationPlanError} `to` is unknown or newer than the store, or the store is at the base version.
   * @throws {StoreTooNewError} | {LockTimeoutError} | {CorruptFileError}
   */
  async down(options: RunOptions = {}): Promise<MigrationReport> {
    return this.#run('down', options);
  }

  async #version(): Promise<Version> {
    return (await currentVersion(this.root, this.registry, this.#options.versionIfMissing)).version;
  }

  async #assertSupported(): Promise<Version> {
    const version = await this.#version();
    this.registry.assertSupported(version, this.root, versionFilePath(this.root));
    return version;
  }

  /** One migration of this store at a time, across processes. */
  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    await ensureDir(migrationsDir(this.root));
    return withLock(versionFilePath(this.root), fn, {
      lockPath: join(migrationsDir(this.root), 'migrate.lock'),
      lockTimeout: this.#options.lockTimeout,
    });
  }

  #target(direction: Direction, from: Version, to: Version | number | undefined): Version {
    if (to !== undefined) {
      if (!isVersion(to)) throw new MigrationPlanError(`${JSON.stringify(to)} is not a version`);
      const target = String(to);
      const relation = compareVersions(target, from);
      if ((direction === 'up' && relation < 0) || (direction === 'down' && relation > 0)) {
        throw new MigrationPlanError(
          `cannot go ${direction} to ${target}: the store at ${this.root} is at ${from} (use ${direction === 'up' ? 'down' : 'up'})`,
        );
      }
      return target;
    }
    if (direction === 'up') return this.registry.latest;
    const index = this.registry.versions.findIndex((v) => sameVersion(v, from));
    const previous = index > 0 ? this.registry.versions[index - 1] : undefined;
    if (previous === undefined)
      throw new MigrationPlanError(
        `the store at ${this.root} is at ${from}, the oldest version: there is nothing to go down to`,
      );
    return previous;
  }

  /** @throws {MigrationPlanError} `to` is unknown or on the wrong side of `from`. */
  #route(
    direction: Direction,
    from: Version,
    to: Version | number | undefined,
  ): { to: Version; steps: Step[] } {
    const target = this.#target(direction, from, to);
    return { to: target, steps: this.registry.path(from, target) };
  }

  async #run(direction: Direction, options: RunOptions): Promise<MigrationReport> {
    if (options.dryRun === true) return this.#dryRun(direction, options);
    // A plan refused before anything is created: taking the lock makes the migrations folder.
    // With an interrupted step, the version is only known after recovery, under the lock.
    if ((await readMarker(this.root)) === null)
      this.#route(direction, await this.#assertSupported(), options.to);
    return this.#locked(async () => {
      // Newer code's interrupted step is not ours to settle: refuse first.
      await this.#assertSupported();
      const recovered = await this.#recover();
      // Temp files of version-file writes by killed runs.
      await cleanupTempFiles(this.root);
      await cleanupTempFiles(migrationsDir(this.root));
      const from = await this.#assertSupported();
      const { to, steps } = this.#route(direction, from, options.to);
      const report: MigrationReport = {
        dryRun: false,
        direction,
        from,
        to,
        steps: [],
        recovered,
        interrupted: undefined,
      };
      if (steps.length === 0) return report;
      const collections = await this.#openAll();
      try {
        for (const step of steps)
          report.steps.push(await this.#runStep(step, collections, undefined));
      } catch (error) {
        await closeAll(collections).catch(() => undefined);
        throw error;
      }
      await closeAll(collections);
      return report;
    });
  }

  async #dryRun(direction: Direction, options: RunOptions): Promise<MigrationReport> {
    const from = await this.#assertSupported();
    const to = this.#target(direction, from, options.to);
    const steps = this.registry.path(from, to);
    const marker = await readMarker(this.root);
    const simulated =
      steps.length === 0
        ? []
        : await simulateSteps({
            root: this.root,
            registry: this.registry,
            collections: Object.fromEntries(this.#setups),
            steps,
            migratedAt: this.#now().toISOString(),
            samples: this.#options.samples ?? 3,
            tmpDir: this.#options.tmpDir ?? tmpdir(),
          });
    return {
      dryRun: true,
      direction,
      from,
      to,
      steps: simulated.map(({ step, collections }) => ({
        migrationId: step.migration.id,
        direction: step.direction,
        from: step.from,
        to: step.to,
        backup: undefined,
        collections,
      })),
      recovered: undefined,
      interrupted: marker === null ? undefined : interruptedFrom(marker),
    };
  }

  async #openAll(): Promise<Map<string, Collection<Doc>>> {
    const open = new Map<string, Collection<Doc>>();
    try {
      for (const [name, setup] of this.#setups)
        open.set(name, await openForMigration(this.root, name, setup));
    } catch (error) {
      await closeAll(open).catch(() => undefined);
      throw error;
    }
    return open;
  }

  #emit(step: Step, phase: ProgressEvent['phase'], extra: Partial<ProgressEvent> = {}): void {
    try {
      this.#options.onProgress?.({
        phase,
        migrationId: step.migration.id,
        direction: step.direction,
        from: step.from,
        to: step.to,
        ...extra,
      });
    } catch (error) {
      // A listener observes; its failure must not turn into a half-done step.
      process.emitWarning(`migrate: onProgress listener threw: ${(error as Error).message}`, {
        code: 'VELLUM_PROGRESS_LISTENER_FAILED',
      });
    }
  }

  async #plan(
    step: Step,
    collections: ReadonlyMap<string, Collection<Doc>>,
    migratedAt: string,
  ): Promise<CollectionPlan[]> {
    const plans: CollectionPlan[] = [];
    for (const [name, setup] of this.#setups) {
      const collection = collections.get(name);
      if (collection === undefined) continue;
      const idField = idFieldOf(setup);
      plans.push(
        await planCollectionStep({
          collection: name,
          idField,
          entries: await readEntries(collection, idField),
          step,
          registry: this.registry,
          migratedAt,
          samples: this.#options.samples ?? 3,
        }),
      );
    }
    return plans;
  }

  /**
   * One step, by the protocol in the class comment. With `resume` (the marker
   * of an interrupted run of this step) no new backup or marker is made, and
   * documents that run already committed are skipped.
   */
  async #runStep(
    step: Step,
    collections: ReadonlyMap<string, Collection<Doc>>,
    resume: Marker | undefined,
  ): Promise<StepReport> {
    const { migration } = step;
    this.#emit(step, 'start');
    let backup = resume?.backup ?? undefined;
    if (resume === undefined) {
      const reason = `before migration ${migration.id} (${step.direction} ${step.from} → ${step.to})`;
      try {
        backup = await (this.#options.backup ?? copyBackup)(reason, {
          root: this.root,
          version: step.from,
          migrationId: migration.id,
          direction: step.direction,
          from: step.from,
          to: step.to,
          collections,
        });
      } catch (error) {
        throw new MigrationFailedError(
          `the backup before migration ${migration.id} (${step.direction} ${step.from} → ${step.to}) failed; nothing was migrated, the store is at version ${step.from}`,
          {
            migrationId: migration.id,
            direction: step.direction,
            storeVersion: step.from,
            consistent: true,
            cause: error,
          },
        );
      }
      this.#emit(step, 'backup', { detail: backup });
    }
    const migratedAt = resume?.migrated_at ?? this.#now().toISOString();
    // Every transform runs before anything is written: a throwing transform costs nothing.
    const plans = await this.#plan(step, collections, migratedAt);
    const marker: Marker = resume ?? {
      format: 1,
      migration_id: migration.id,
      direction: step.direction,
      from_version: step.from,
      to_version: step.to,
      migrated_at: migratedAt,
      phase: 'documents',
      backup: backup ?? null,
      collections: this.#setups.map(([name]) => name),
      pid: process.pid,
    };
    if (resume === undefined) {
      await writeMarker(this.root, marker);
      this.#emit(step, 'marker');
    }
    const committed: { plan: CollectionPlan; results: WriteResult[] }[] = [];
    try {
      for (const plan of plans) {
        const collection = collections.get(plan.collection);
        if (collection === undefined || plan.updates.length === 0) continue;
        // One batch is one journal transaction: this collection's documents all change, or none do.
        const results = await collection.batch(
          plan.updates.map((u) => ({ type: 'put', doc: u.after, expectedRevision: u.revision })),
        );
        committed.push({ plan, results });
        this.#emit(step, 'committed', {
          collection: plan.collection,
          detail: String(plan.updates.length),
        });
      }
      const hook = migration.store?.[step.direction];
      if (hook !== undefined) {
        if (marker.phase !== 'store') await writeMarker(this.root, { ...marker, phase: 'store' });
        this.#emit(step, 'store');
        await hook({
          root: this.root,
          migrationId: migration.id,
          direction: step.direction,
          from: step.from,
          to: step.to,
          collections,
          resumed: resume !== undefined,
        });
      }
    } catch (error) {
      throw await this.#fail(step, error, committed, collections, resume, backup);
    }
    try {
      await writeStoreVersion(this.root, step.to);
    } catch (error) {
      throw new MigrationFailedError(
        `migration ${migration.id} (${step.direction} ${step.from} → ${step.to}) committed its documents but could not write the version file; the store is marked in progress, and the next Migrator.open will finish it`,
        {
          migrationId: migration.id,
          direction: step.direction,
          storeVersion: step.from,
          consistent: false,
          cause: error,
          path: versionFilePath(this.root),
        },
      );
    }
    this.#emit(step, 'version');
    await appendHistory(this.root, {
      migration_id: migration.id,
      direction: step.direction,
      from_version: step.from,
      to_version: step.to,
      migrated_at: migratedAt,
      finished_at: this.#now().toISOString(),
      backup: backup ?? null,
      documents: plans.reduce((n, p) => n + p.updates.length, 0),
      recovered: resume !== undefined,
    });
    await clearMarker(this.root);
    this.#emit(step, 'done');
    return {
      migrationId: migration.id,
      direction: step.direction,
      from: step.from,
      to: step.to,
      backup,
      collections: plans.map((p) => p.report),
    };
  }

  /**
   * After a failure between the marker and the version file: writes back the
   * exact documents the step replaced, newest commit first, and removes the
   * marker. If that fails too (or this was a resumed step, whose earlier
   * commits are not in memory), the marker stays and the next open finishes the step.
   */
  async #fail(
    step: Step,
    error: unknown,
    committed: readonly { plan: CollectionPlan; results: WriteResult[] }[],
    collections: ReadonlyMap<string, Collection<Doc>>,
    resume: Marker | undefined,
    backup: string | undefined,
  ): Promise<MigrationFailedError> {
    const what = `migration ${step.migration.id} (${step.direction} ${step.from} → ${step.to}) failed`;
    const details = {
      migrationId: step.migration.id,
      direction: step.direction,
      storeVersion: step.from,
      cause: error,
      path: markerPath(this.root),
    };
    const where = backup === undefined ? '' : ` (backup at ${backup})`;
    if (resume === undefined) {
      try {
        for (const { plan, results } of [...committed].reverse()) {
          await collections.get(plan.collection)?.batch(
            plan.updates.map((u, i) => ({
              type: 'put',
              doc: u.before,
              expectedRevision: results[i]?.revision,
            })),
          );
        }
        await clearMarker(this.root);
        this.#emit(step, 'rolled-back');
        return new MigrationFailedError(
          `${what}; its documents were written back and the store is at version ${step.from}${where}`,
          { ...details, consistent: true },
        );
      } catch {
        // Fall through: the marker stays, and recovery settles the step.
      }
    }
    return new MigrationFailedError(
      `${what} and could not be undone; the store is marked in progress, and the next Migrator.open will finish it${where}`,
      { ...details, consistent: false },
    );
  }

  /** Whether any document carries the stamp of the interrupted run. */
  async #anyCommitted(
    step: Step,
    collections: ReadonlyMap<string, Collection<Doc>>,
    migratedAt: string,
  ): Promise<boolean> {
    for (const [name, setup] of this.#setups) {
      const collection = collections.get(name);
      if (collection === undefined) continue;
      const entries = await readEntries(collection, idFieldOf(setup));
      if (entries.some((entry) => stampedBy(entry.doc, step, migratedAt))) return true;
    }
    return false;
  }

  /** Settles an interrupted step, holding the lock. */
  async #recover(): Promise<MigrationRecoveryReport | undefined> {
    const marker = await readMarker(this.root);
    if (marker === null) return undefined;
    const interrupted = interruptedFrom(marker);
    const path = markerPath(this.root);
    const migration = this.registry.get(marker.migration_id);
    const matches =
      migration !== undefined &&
      (marker.direction === 'up'
        ? sameVersion(migration.from, marker.from_version) &&
          sameVersion(migration.to, marker.to_version)
        : sameVersion(migration.to, marker.from_version) &&
          sameVersion(migration.from, marker.to_version));
    if (migration === undefined || !matches) {
      throw new MigrationInProgressError(
        this.root,
        interrupted,
        path,
        `This code does not have that migration: finish it with the code that started it, or restore the backup.`,
      );
    }
    const step: Step = {
      migration,
      direction: marker.direction,
      from: marker.from_version,
      to: marker.to_version,
    };
    const report = (
      outcome: MigrationRecoveryReport['outcome'],
      version: Version,
    ): MigrationRecoveryReport => ({
      migrationId: migration.id,
      direction: step.direction,
      from: step.from,
      to: step.to,
      outcome,
      version,
      backup: marker.backup ?? undefined,
    });
    const version = await this.#version();
    if (sameVersion(version, step.to)) {
      // Only the marker's removal was lost.
      await clearMarker(this.root);
      return report('finished', step.to);
    }
    if (!sameVersion(version, step.from)) {
      throw new MigrationInProgressError(
        this.root,
        interrupted,
        path,
        `The version file says ${version}, neither ${step.from} nor ${step.to}: check the store and restore the backup.`,
      );
    }
    const collections = await this.#openAll();
    let committed = false;
    try {
      committed =
        marker.phase === 'store' ||
        (await this.#anyCommitted(step, collections, marker.migrated_at));
      if (committed) {
        await this.#runStep(step, collections, marker);
      } else {
        await clearMarker(this.root);
      }
    } catch (error) {
      await closeAll(collections).catch(() => undefined);
      throw error;
    }
    await closeAll(collections);
    return committed ? report('finished', step.to) : report('abandoned', step.from);
  }
}
