import type { StandardSchemaV1 } from '@vellum/atomic-io';
import {
  MIGRATION_FIELD,
  TransformFailure,
  VERSION_FIELD,
  applySteps,
  isDocument,
  stamp,
  versionOf,
} from './document.js';
import { DocumentVersionError } from './errors.js';
import type { Doc, MigrationRegistry } from './registry.js';
import { compareVersions, isVersion, type Version } from './versions.js';

export interface UpgradeOptions {
  /** The collection the document belongs to: picks per-collection transforms. */
  collection: string;
  /**
   * The version of a document without `version`. Default: the registry's
   * latest, i.e. a document written by the current code. Stores whose old
   * documents have no `version` at all should set their first version here.
   */
  unversionedAs?: Version | number | undefined;
  /** Clock for `_migration.migrated_at`, for tests. */
  now?: (() => Date) | undefined;
}

export interface Upgraded {
  /** The document at the latest version (a new object; the input is not modified). */
  doc: Doc;
  from: Version;
  to: Version;
  /** Ids of the migrations applied, in order. */
  applied: string[];
}

/**
 * Brings one document up to the registry's latest version in memory, with
 * the `up` transforms between its version and the latest, and stamps it
 * (`version`, `_migration`) as `up` would. A document already at the latest
 * version is returned as it is (with `version` added if it had none).
 * @throws {DocumentVersionError} its version is newer than the code, not in
 *   the chain, or older than a migration that only runs offline
 *   (`upgradeOnRead: false`); or a transform failed.
 */
export function upgradeDocument(
  doc: Doc,
  registry: MigrationRegistry,
  options: UpgradeOptions,
): Upgraded {
  const latest = registry.latest;
  const unversionedAs =
    options.unversionedAs !== undefined && isVersion(options.unversionedAs)
      ? String(options.unversionedAs)
      : latest;
  const from = versionOf(doc) ?? unversionedAs;
  if (compareVersions(from, latest) > 0) {
    throw new DocumentVersionError(
      `${options.collection} document is at version ${from}, newer than this code knows (${latest}): upgrade the application`,
      from,
    );
  }
  if (!registry.knows(from)) {
    throw new DocumentVersionError(
      `${options.collection} document is at version ${from}, which the migrations do not know (known: ${registry.versions.join(', ')})`,
      from,
    );
  }
  const steps = registry.path(from, latest);
  if (steps.length === 0)
    return { doc: stamp(doc, latest, undefined), from, to: latest, applied: [] };
  const offline = steps.find((step) => !step.migration.upgradeOnRead);
  if (offline !== undefined) {
    throw new DocumentVersionError(
      `${options.collection} document is at version ${from} and needs migration ${offline.migration.id}, which cannot run on read: run \`up\` on the store`,
      from,
    );
  }
  let upgraded: Doc;
  try {
    upgraded = applySteps(doc, steps, options.collection);
  } catch (error) {
    if (!(error instanceof TransformFailure)) throw error;
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new DocumentVersionError(
      `${options.collection} document at version ${from}: ${error.message}${cause}`,
      from,
    );
  }
  const last = steps.at(-1)?.migration.id ?? '';
  const migratedAt = (options.now ?? (() => new Date()))().toISOString();
  return {
    doc: stamp(upgraded, latest, {
      from_version: from,
      migrated_at: migratedAt,
      migration_id: last,
    }),
    from,
    to: latest,
    applied: steps.map((step) => step.migration.id),
  };
}

/**
 * Wraps a collection's schema so that documents of older versions are
 * upgraded when they are validated: files adopted at open (a store copied
 * from an older installation, a hand edit) and writes. The result is a
 * Standard Schema: pass it as the collection's `schema`.
 *
 * The inner schema sees the upgraded document, `version` and `_migration`
 * included; if it strips unknown members (zod's default), they are put back
 * on its output so the stored document keeps saying its version.
 * Problems become validation issues at `['version']`.
 */
export function upgradingSchema<T>(
  schema: StandardSchemaV1<unknown, T>,
  registry: MigrationRegistry,
  options: UpgradeOptions,
): StandardSchemaV1<unknown, T> {
  type Result = Awaited<ReturnType<StandardSchemaV1<unknown, T>['~standard']['validate']>>;
  return {
    '~standard': {
      version: 1,
      vendor: 'vellum-migrate',
      validate: (value) => {
        if (!isDocument(value)) return schema['~standard'].validate(value);
        let upgraded: Doc;
        try {
          upgraded = upgradeDocument(value, registry, options).doc;
        } catch (error) {
          if (!(error instanceof DocumentVersionError)) throw error;
          return { issues: [{ message: error.message, path: [VERSION_FIELD] }] };
        }
        const finish = (result: Result): Result => {
          if (result.issues !== undefined || !isDocument(result.value)) return result;
          const out: Doc = result.value;
          for (const field of [VERSION_FIELD, MIGRATION_FIELD]) {
            if (!Object.hasOwn(out, field) && Object.hasOwn(upgraded, field))
              out[field] = upgraded[field];
          }
          return result;
        };
        const result = schema['~standard'].validate(upgraded);
        return result instanceof Promise ? result.then(finish) : finish(result);
      },
    },
  };
}
