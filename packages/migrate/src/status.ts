import { resolve } from 'node:path';
import { MigrationInProgressError, type InterruptedMigration } from './errors.js';
import { interruptedFrom, markerPath, readMarker } from './marker.js';
import { describeMigration, type MigrationInfo, type MigrationRegistry } from './registry.js';
import { readStoreVersion, versionFilePath } from './version-file.js';
import { sameVersion, toVersion, type Version } from './versions.js';

/** Where a store stands relative to the code's migrations. */
export interface MigrationStatus {
  root: string;
  /** The store's version (`versionIfMissing` when it has no version file). */
  current: Version;
  versionFile: 'present' | 'missing';
  /** The newest version the code knows: what `up` goes to. */
  latest: Version;
  upToDate: boolean;
  /** Migrations the store has had, oldest first. */
  applied: MigrationInfo[];
  /** Migrations `up` would run, in order. */
  pending: MigrationInfo[];
  /** A step that was interrupted and is not recovered yet (`Migrator.open` recovers it). */
  interrupted: InterruptedMigration | undefined;
}

export interface StatusOptions {
  /** The version of a store without a version file. Default: the registry's base version. */
  versionIfMissing?: Version | number | undefined;
}

/**
 * The store's version: its version file, else `versionIfMissing`, else the registry's base.
 * @throws {CorruptFileError} the version file does not hold one version.
 */
export async function currentVersion(
  root: string,
  registry: MigrationRegistry,
  versionIfMissing: Version | number | undefined,
): Promise<{ version: Version; present: boolean }> {
  const found = await readStoreVersion(root);
  if (found !== null) return { version: found, present: true };
  return { version: toVersion(versionIfMissing) ?? registry.base, present: false };
}

/**
 * The store's migration status, read-only.
 * @throws {StoreTooNewError} the store is newer than `registry.latest`.
 * @throws {MigrationPlanError} the store's version is not in the chain.
 * @throws {CorruptFileError} the version file or the marker is unreadable.
 */
export async function readStatus(
  root: string,
  registry: MigrationRegistry,
  options: StatusOptions = {},
): Promise<MigrationStatus> {
  const absolute = resolve(root);
  const { version, present } = await currentVersion(absolute, registry, options.versionIfMissing);
  registry.assertSupported(version, absolute, versionFilePath(absolute));
  const marker = await readMarker(absolute);
  return {
    root: absolute,
    current: version,
    versionFile: present ? 'present' : 'missing',
    latest: registry.latest,
    upToDate: sameVersion(version, registry.latest),
    applied: registry.path(registry.base, version).map((step) => describeMigration(step.migration)),
    pending: registry
      .path(version, registry.latest)
      .map((step) => describeMigration(step.migration)),
    interrupted: marker === null ? undefined : interruptedFrom(marker),
  };
}

/**
 * For applications, before they open their collections: checks that the
 * store's version is one this code can work with and that no migration is
 * half done. An older store is allowed (pending migrations are listed; read
 * with `upgradingSchema`, or run `up` first).
 * @throws {StoreTooNewError} the store is newer than the code.
 * @throws {MigrationInProgressError} a migration step was interrupted; `Migrator.open` recovers it.
 * @throws {MigrationPlanError} the store's version is not in the chain.
 * @throws {CorruptFileError} the version file or the marker is unreadable.
 */
export async function checkStoreVersion(
  root: string,
  registry: MigrationRegistry,
  options: StatusOptions = {},
): Promise<MigrationStatus> {
  const status = await readStatus(root, registry, options);
  if (status.interrupted !== undefined)
    throw new MigrationInProgressError(status.root, status.interrupted, markerPath(status.root));
  return status;
}
