import { DocumentVersionError } from './errors.js';
import { transformFor, type Doc, type Step } from './registry.js';
import { toVersion, type Version } from './versions.js';

/** Spec 002: every document says its version... */
export const VERSION_FIELD = 'version';
/** ...and which migration brought it there. */
export const MIGRATION_FIELD = '_migration';

/** Spec 002's `_migration` member, exactly as it names its fields. */
export interface MigrationStamp {
  from_version: Version;
  migrated_at: string;
  migration_id: string;
}

export function isDocument(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The document's `version`, as a string.
 * @returns `undefined` when the document has none.
 * @throws {DocumentVersionError} it has one that is not a version.
 */
export function versionOf(doc: Doc): Version | undefined {
  const value = doc[VERSION_FIELD];
  if (value === undefined) return undefined;
  const version = toVersion(value);
  if (version === undefined)
    throw new DocumentVersionError(`"version" ${JSON.stringify(value)} is not a version`, value);
  return version;
}

/** The document's `_migration`, when it is spec-shaped. */
export function stampOf(doc: Doc): MigrationStamp | undefined {
  const stamp = doc[MIGRATION_FIELD];
  if (!isDocument(stamp)) return undefined;
  const { from_version, migrated_at, migration_id } = stamp;
  return typeof from_version === 'string' &&
    typeof migrated_at === 'string' &&
    typeof migration_id === 'string'
    ? { from_version, migrated_at, migration_id }
    : undefined;
}

/** The document without `version` and `_migration`: its data, for comparisons and diffs. */
export function dataOf(doc: Doc): Doc {
  const { [VERSION_FIELD]: _version, [MIGRATION_FIELD]: _migration, ...data } = doc;
  return data;
}

/**
 * The document with `version` set and, when given, `_migration`. A document
 * that had no `version` gets it first, as spec 002 shows it; `_migration` goes
 * last. Existing members keep their place, so diffs stay small.
 */
export function stamp(doc: Doc, version: Version, migration: MigrationStamp | undefined): Doc {
  const out: Doc = Object.hasOwn(doc, VERSION_FIELD)
    ? { ...doc }
    : { [VERSION_FIELD]: version, ...doc };
  out[VERSION_FIELD] = version;
  if (migration !== undefined) {
    delete out[MIGRATION_FIELD];
    out[MIGRATION_FIELD] = migration;
  }
  return out;
}

/** A transform threw or returned something that is not a document. */
export class TransformFailure extends Error {
  readonly migrationId: string;
  constructor(migrationId: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.migrationId = migrationId;
  }
}

/**
 * Runs the documents transforms of `steps`, in order, on a deep copy of `doc`.
 * Stamping is the caller's job.
 * @throws {TransformFailure} naming the migration whose transform failed.
 */
export function applySteps(doc: Doc, steps: readonly Step[], collection: string): Doc {
  let current = structuredClone(doc);
  for (const step of steps) {
    const transform = transformFor(step.migration, step.direction, collection);
    if (transform === undefined) continue;
    let next: unknown;
    try {
      next = transform(current, {
        collection,
        migrationId: step.migration.id,
        direction: step.direction,
        from: step.from,
        to: step.to,
      });
    } catch (error) {
      throw new TransformFailure(
        step.migration.id,
        `${step.direction} transform of ${step.migration.id} threw`,
        error,
      );
    }
    if (!isDocument(next)) {
      throw new TransformFailure(
        step.migration.id,
        `${step.direction} transform of ${step.migration.id} returned ${next === null ? 'null' : Array.isArray(next) ? 'an array' : typeof next}, not a document`,
      );
    }
    current = next;
  }
  return current;
}
