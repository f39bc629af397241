import type { Collection } from '@vellum/collection';
import {
  InvalidMigrationsError,
  MigrationPlanError,
  StoreTooNewError,
  type Direction,
} from './errors.js';
import { compareVersions, isVersion, sameVersion, type Version } from './versions.js';

/** A stored document as migrations see it: a JSON object. */
export type Doc = Record<string, unknown>;

/** What a document transform is told besides the document. */
export interface TransformContext {
  readonly collection: string;
  readonly migrationId: string;
  readonly direction: Direction;
  /** The version the document is at before this transform. */
  readonly from: Version;
  /** The version it is at after. */
  readonly to: Version;
}

/**
 * Turns one document of version `from` into version `to`. It receives a
 * private deep copy (mutating it is fine) and must return a JSON object with
 * the same id. Synchronous and pure: it also runs on read (`upgradingSchema`),
 * and again if an interrupted migration is finished after a restart.
 */
export type DocTransform = (doc: Doc, context: TransformContext) => Doc;

/** One transform for every collection, or one per collection name (others unchanged). */
export type Transforms = DocTransform | Readonly<Record<string, DocTransform | undefined>>;

export interface StoreHookContext {
  readonly root: string;
  readonly migrationId: string;
  readonly direction: Direction;
  readonly from: Version;
  readonly to: Version;
  /** The store's collections, open, with this step's document changes committed. */
  readonly collections: ReadonlyMap<string, Collection<Doc>>;
  /** True when finishing a step that was interrupted: the hook may have run before. */
  readonly resumed: boolean;
}

/**
 * Store-level work that is not a per-document transform (renaming a folder,
 * rebuilding a derived file). It runs after the step's documents are committed
 * and before the version file is written; it must be idempotent, because a
 * step interrupted after its documents committed is finished by running it again.
 */
export type StoreHook = (context: StoreHookContext) => Promise<void> | void;

export interface MigrationDefinition {
  /** Unique; recorded in each document's `_migration.migration_id`. */
  id: string;
  from: Version | number;
  to: Version | number;
  description?: string | undefined;
  /** Documents from `from` to `to`. `{}`: documents only get the new version stamp. */
  up: Transforms;
  /** Documents from `to` back to `from`; `down(up(doc))` must equal `doc`. */
  down: Transforms;
  store?: { up: StoreHook; down: StoreHook } | undefined;
  /**
   * Whether `upgradingSchema` may apply `up` when reading an older document.
   * Default: true, unless the migration has store hooks (those need `up` to run).
   */
  upgradeOnRead?: boolean | undefined;
}

/** A validated migration: versions normalized to strings. */
export interface Migration {
  readonly id: string;
  readonly from: Version;
  readonly to: Version;
  readonly description: string | undefined;
  readonly up: Transforms;
  readonly down: Transforms;
  readonly store: { up: StoreHook; down: StoreHook } | undefined;
  readonly upgradeOnRead: boolean;
}

/** One migration applied in one direction: `from` → `to` in that direction. */
export interface Step {
  readonly migration: Migration;
  readonly direction: Direction;
  readonly from: Version;
  readonly to: Version;
}

/** A migration as `status` lists it. */
export interface MigrationInfo {
  id: string;
  from: Version;
  to: Version;
  description: string | undefined;
}

export function describeMigration(migration: Migration): MigrationInfo {
  return {
    id: migration.id,
    from: migration.from,
    to: migration.to,
    description: migration.description,
  };
}

/** The transform of `migration` for `collection` in `direction`; `undefined` leaves documents as they are. */
export function transformFor(
  migration: Migration,
  direction: Direction,
  collection: string,
): DocTransform | undefined {
  const transforms = direction === 'up' ? migration.up : migration.down;
  if (typeof transforms === 'function') return transforms;
  return Object.hasOwn(transforms, collection) ? transforms[collection] : undefined;
}

/** Collection names the migrations give transforms for. */
function namedCollections(migration: Migration): string[] {
  return [migration.up, migration.down].flatMap((t) =>
    typeof t === 'function' ? [] : Object.keys(t),
  );
}

/**
 * A linear chain of migrations: each one's `from` is the previous one's `to`.
 * The chain starts at `base` and ends at `latest`, the version this code writes.
 */
export class MigrationRegistry {
  readonly base: Version;
  readonly latest: Version;
  /** Oldest first. */
  readonly migrations: readonly Migration[];
  /** `base`, then every migration's `to`. */
  readonly versions: readonly Version[];

  /** Use `defineMigrations`. */
  constructor(migrations: readonly Migration[], base: Version) {
    this.migrations = migrations;
    this.base = base;
    this.versions = [base, ...migrations.map((m) => m.to)];
    this.latest = this.versions.at(-1) ?? base;
  }

  /** The migration with this id, or `undefined`. */
  get(id: string): Migration | undefined {
    return this.migrations.find((m) => m.id === id);
  }

  /** Whether `version` is one of the chain's versions. */
  knows(version: Version): boolean {
    return this.#indexOf(version) >= 0;
  }

  #indexOf(version: Version): number {
    return this.versions.findIndex((known) => sameVersion(known, version));
  }

  /**
   * The steps from one version to another, in order: `up` steps when `to` is
   * newer, `down` steps when older, none when equal.
   * @throws {MigrationPlanError} either version is not in the chain.
   */
  path(from: Version, to: Version): Step[] {
    const start = this.#indexOf(from);
    const end = this.#indexOf(to);
    const unknown = start < 0 ? from : end < 0 ? to : undefined;
    if (unknown !== undefined) {
      throw new MigrationPlanError(
        `version ${unknown} is not one these migrations know (known: ${this.versions.join(', ')})`,
      );
    }
    if (start <= end) {
      return this.migrations.slice(start, end).map((migration) => ({
        migration,
        direction: 'up',
        from: migration.from,
        to: migration.to,
      }));
    }
    return this.migrations
      .slice(end, start)
      .reverse()
      .map((migration) => ({
        migration,
        direction: 'down',
        from: migration.to,
        to: migration.from,
      }));
  }

  /**
   * Checks that this code can work with a store at `version`.
   * @throws {StoreTooNewError} `version` is newer than `latest`.
   * @throws {MigrationPlanError} `version` is older than `base` or between known versions.
   */
  assertSupported(version: Version, root: string, path: string): void {
    if (compareVersions(version, this.latest) > 0)
      throw new StoreTooNewError(root, version, this.latest, path);
    if (!this.knows(version)) {
      throw new MigrationPlanError(
        `the store at ${root} is at version ${version}, which these migrations do not know ` +
          `(known: ${this.versions.join(', ')})`,
        { path },
      );
    }
  }

  /**
   * Checks that every collection a migration names transforms for is one of `collections`.
   * @throws {InvalidMigrationsError}
   */
  assertCollections(collections: readonly string[]): void {
    const known = new Set(collections);
    const problems = this.migrations.flatMap((migration) =>
      namedCollections(migration)
        .filter((name) => !known.has(name))
        .map(
          (name) =>
            `${migration.id} transforms collection "${name}", which is not one of the store's collections (${collections.join(', ') || 'none'})`,
        ),
    );
    if (problems.length > 0) throw new InvalidMigrationsError([...new Set(problems)]);
  }
}

function isTransforms(value: unknown): value is Transforms {
  if (typeof value === 'function') return true;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((t) => t === undefined || typeof t === 'function');
}

/**
 * Validates migration definitions and orders them into a chain.
 * @param options.base the version a store starts at; default the oldest
 *   migration's `from`, or `1` when there are no migrations yet.
 * @throws {InvalidMigrationsError} listing every problem: a bad or duplicate id,
 *   a bad version, `to` not newer than `from`, a gap or a fork in the chain,
 *   missing `up`/`down`, a store hook without both directions.
 */
export function defineMigrations(
  definitions: readonly MigrationDefinition[],
  options: { base?: Version | number | undefined } = {},
): MigrationRegistry {
  const problems: string[] = [];
  const ids = new Set<string>();
  const migrations: Migration[] = [];
  for (const [i, definition] of definitions.entries()) {
    const name =
      typeof definition.id === 'string' && definition.id !== '' ? definition.id : `#${i}`;
    if (name !== definition.id) problems.push(`migration ${name}: id must be a non-empty string`);
    else if (ids.has(name)) problems.push(`migration ${name}: duplicate id`);
    ids.add(name);
    if (!isVersion(definition.from) || !isVersion(definition.to)) {
      problems.push(
        `migration ${name}: from and to must be versions such as 2 or "1.0.0" (got ${JSON.stringify(definition.from)} → ${JSON.stringify(definition.to)})`,
      );
      continue;
    }
    const from = String(definition.from);
    const to = String(definition.to);
    if (compareVersions(from, to) >= 0)
      problems.push(`migration ${name}: to (${to}) must be newer than from (${from})`);
    if (!isTransforms(definition.up) || !isTransforms(definition.down))
      problems.push(
        `migration ${name}: up and down must each be a function or an object of functions per collection`,
      );
    const store = definition.store;
    if (store !== undefined && (typeof store.up !== 'function' || typeof store.down !== 'function'))
      problems.push(`migration ${name}: store hooks need both up and down`);
    migrations.push({
      id: name,
      from,
      to,
      description: definition.description,
      up: definition.up,
      down: definition.down,
      store,
      upgradeOnRead: definition.upgradeOnRead ?? store === undefined,
    });
  }
  migrations.sort((a, b) => compareVersions(a.from, b.from));
  for (let i = 1; i < migrations.length; i++) {
    const previous = migrations[i - 1];
    const current = migrations[i];
    if (previous === undefined || current === undefined) continue;
    if (sameVersion(previous.from, current.from))
      problems.push(`${previous.id} and ${current.id} both start at version ${current.from}`);
    else if (!sameVersion(previous.to, current.from))
      problems.push(
        `the chain breaks between ${previous.id} (→ ${previous.to}) and ${current.id} (${current.from} →)`,
      );
  }
  let base = migrations[0]?.from ?? '1';
  if (options.base !== undefined) {
    if (!isVersion(options.base))
      problems.push(`base ${JSON.stringify(options.base)} is not a version`);
    else if (migrations.length > 0 && !sameVersion(String(options.base), base))
      problems.push(`base ${options.base} is not the oldest migration's from (${base})`);
    else base = String(options.base);
  }
  if (problems.length > 0) throw new InvalidMigrationsError(problems);
  return new MigrationRegistry(migrations, base);
}
