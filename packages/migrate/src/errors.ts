import { VellumError, type VellumErrorOptions } from '@vellum/atomic-io';
import { MIGRATE_ERROR_CODES, type MigrateErrorCode } from './codes.js';

/** `up` applies a migration's `from` → `to`; `down` goes back from `to` to `from`. */
export type Direction = 'up' | 'down';

/** The errors of `@vellum/migrate`: the category comes from `MIGRATE_ERROR_CODES`. */
export class MigrateError extends VellumError {
  constructor(code: MigrateErrorCode, message: string, options: VellumErrorOptions = {}) {
    super(code, MIGRATE_ERROR_CODES[code], message, options);
  }
}

/**
 * The store's version is newer than every version this code knows
 * (`VELLUM_STORE_TOO_NEW`). Nothing was read or written: running old code on
 * newer data could silently drop fields it does not know.
 */
export class StoreTooNewError extends MigrateError {
  readonly storeVersion: string;
  readonly codeVersion: string;
  constructor(root: string, storeVersion: string, codeVersion: string, path: string) {
    super(
      'VELLUM_STORE_TOO_NEW',
      `store ${root}: at version ${storeVersion}, newer than this code knows ` +
        `(it migrates up to ${codeVersion}). Upgrade the application to one that knows version ` +
        `${storeVersion}, or run \`down\` to ${codeVersion} with that newer version's migrations, ` +
        `then open the store again`,
      { path },
    );
    this.storeVersion = storeVersion;
    this.codeVersion = codeVersion;
  }
}

/** What the in-progress marker says about an unfinished migration step. */
export interface InterruptedMigration {
  migrationId: string;
  direction: Direction;
  from: string;
  to: string;
  startedAt: string;
  /** Where the backup taken before the step is, if one was. */
  backup: string | undefined;
  pid: number;
}

/**
 * A migration step did not finish and has not been recovered yet
 * (`VELLUM_MIGRATION_IN_PROGRESS`): applications should not open the store
 * until `Migrator.open` has finished or cleared it.
 */
export class MigrationInProgressError extends MigrateError {
  readonly interrupted: InterruptedMigration;
  constructor(root: string, interrupted: InterruptedMigration, path: string, detail?: string) {
    const { migrationId, direction, from, to, startedAt, backup, pid } = interrupted;
    super(
      'VELLUM_MIGRATION_IN_PROGRESS',
      `store ${root}: unfinished migration ${migrationId} (${direction} ${from} → ${to}, ` +
        `started ${startedAt} by pid ${pid}). ` +
        (detail ??
          'Open it with Migrator.open from @vellum/migrate to finish or clear the step, then retry.') +
        (backup === undefined ? '' : ` The backup taken before the step is at ${backup}.`),
      { path },
    );
    this.interrupted = interrupted;
  }
}

/**
 * A migration step failed (`VELLUM_MIGRATION_FAILED`): a transform threw or
 * returned something that is not a document with the same id, a hook threw, or
 * a write failed. `storeVersion` is where the store is now; `rolledBack` says
 * whether documents already committed by the step were written back.
 */
export class MigrationFailedError extends MigrateError {
  readonly migrationId: string;
  readonly direction: Direction;
  readonly collection: string | undefined;
  readonly documentId: string | undefined;
  readonly storeVersion: string;
  /** `false` when the step could not be undone in-process: the next `Migrator.open` finishes it. */
  readonly consistent: boolean;
  constructor(
    message: string,
    details: {
      migrationId: string;
      direction: Direction;
      collection?: string | undefined;
      documentId?: string | undefined;
      storeVersion: string;
      consistent: boolean;
      cause?: unknown;
      path?: string | undefined;
    },
  ) {
    const cause = details.cause instanceof Error ? `: ${details.cause.message}` : '';
    super('VELLUM_MIGRATION_FAILED', `${message}${cause}`, {
      cause: details.cause,
      path: details.path,
    });
    this.migrationId = details.migrationId;
    this.direction = details.direction;
    this.collection = details.collection;
    this.documentId = details.documentId;
    this.storeVersion = details.storeVersion;
    this.consistent = details.consistent;
  }
}

/** No way from the store's version to the requested one with these migrations (`VELLUM_MIGRATION_PLAN`). */
export class MigrationPlanError extends MigrateError {
  constructor(message: string, options: { path?: string | undefined } = {}) {
    super('VELLUM_MIGRATION_PLAN', message, options);
  }
}

/** The migration definitions themselves are wrong (`VELLUM_INVALID_MIGRATIONS`): found when the registry is built. */
export class InvalidMigrationsError extends MigrateError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('VELLUM_INVALID_MIGRATIONS', `invalid migrations: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/**
 * A document cannot be upgraded on read (`VELLUM_DOCUMENT_VERSION`): its
 * version is newer than the code, unknown, or older than a migration that only
 * runs offline (`upgradeOnRead: false`).
 */
export class DocumentVersionError extends MigrateError {
  readonly version: unknown;
  constructor(message: string, version: unknown) {
    super('VELLUM_DOCUMENT_VERSION', message);
    this.version = version;
  }
}
