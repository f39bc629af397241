import { setImmediate as nextTurn } from 'node:timers/promises';
import { formatJson } from '@vellum/atomic-io';
import type { StoredEntry } from './collections.js';
import { diffJson, jsonEqual, type Change } from './diff.js';
import {
  TransformFailure,
  applySteps,
  dataOf,
  stamp,
  stampOf,
  versionOf,
  type MigrationStamp,
} from './document.js';
import { MigrationFailedError } from './errors.js';
import type { Doc, MigrationRegistry, Step } from './registry.js';
import { compareVersions, type Version } from './versions.js';

/** A changed document, as reports show it. */
export interface DocumentDiff {
  id: string;
  /** Its version before the step. */
  from: Version;
  to: Version;
  /** Its data's changes (`version` and `_migration` left out). */
  changes: Change[];
}

/** What a step does (or, in a dry run, would do) to one collection. */
export interface CollectionReport {
  collection: string;
  /** Documents in the collection. */
  documents: number;
  /** Documents rewritten: transformed and stamped with the step's version. */
  migrated: number;
  /** Of those, documents whose data changed, not just `version` and `_migration`. */
  changed: number;
  /** Documents already at the step's target version (written by newer code), left alone. */
  skipped: number;
  /** The first few changed documents' diffs. */
  samples: DocumentDiff[];
}

export interface PlannedUpdate {
  id: string;
  before: Doc;
  after: Doc;
  /** The revision `before` was read at: the write expects it. */
  revision: number;
}

export interface CollectionPlan {
  collection: string;
  updates: PlannedUpdate[];
  report: CollectionReport;
}

/** Whether `doc` was written by the step run that `migratedAt` identifies. */
export function stampedBy(doc: Doc, step: Step, migratedAt: string): boolean {
  const found = stampOf(doc);
  const version = doc.version;
  return (
    found?.migration_id === step.migration.id &&
    found.migrated_at === migratedAt &&
    (typeof version === 'string' || typeof version === 'number') &&
    compareVersions(String(version), step.to) === 0
  );
}

/** Whether a document at `version` still needs `step`: it is on the far side of the step's target. */
function needsStep(version: Version, step: Step): boolean {
  const relation = compareVersions(version, step.to);
  return step.direction === 'up' ? relation < 0 : relation > 0;
}

/**
 * Works out, in memory, what `step` does to one collection's documents: each
 * document not yet at the step's target is taken from its own version to the
 * target (a document without `version` is at `step.from`), then stamped.
 * Writes nothing.
 * @throws {MigrationFailedError} a document cannot be migrated (names it and the cause).
 */
export async function planCollectionStep(input: {
  collection: string;
  idField: string;
  entries: readonly StoredEntry[];
  step: Step;
  registry: MigrationRegistry;
  migratedAt: string;
  samples: number;
}): Promise<CollectionPlan> {
  const { collection, idField, entries, step, registry, migratedAt } = input;
  const report: CollectionReport = {
    collection,
    documents: entries.length,
    migrated: 0,
    changed: 0,
    skipped: 0,
    samples: [],
  };
  const updates: PlannedUpdate[] = [];
  for (const [i, entry] of entries.entries()) {
    // Keep the event loop turning: the lock's refresh timer must run on long migrations.
    if (i % 256 === 255) await nextTurn();
    const fail = (why: string, cause?: unknown): MigrationFailedError =>
      new MigrationFailedError(
        `migration ${step.migration.id} (${step.direction} ${step.from} → ${step.to}) cannot migrate ${collection} document ${JSON.stringify(entry.id)}: ${why}; nothing was written`,
        {
          migrationId: step.migration.id,
          direction: step.direction,
          collection,
          documentId: entry.id,
          storeVersion: step.from,
          consistent: true,
          cause,
        },
      );
    let version: Version;
    let after: Doc;
    try {
      version = versionOf(entry.doc) ?? step.from;
      if (!needsStep(version, step)) {
        report.skipped++;
        continue;
      }
      after = applySteps(entry.doc, registry.path(version, step.to), collection);
    } catch (error) {
      if (error instanceof TransformFailure) throw fail(error.message, error.cause);
      throw fail(`its version cannot be migrated (${(error as Error).message})`, error);
    }
    const migration: MigrationStamp = {
      from_version: version,
      migrated_at: migratedAt,
      migration_id: step.migration.id,
    };
    after = stamp(after, step.to, migration);
    if (after[idField] !== entry.id)
      throw fail(`the transform changed the id (${idField}) to ${JSON.stringify(after[idField])}`);
    try {
      // Found now, not halfway through the commits: undefined, BigInt, cycles.
      formatJson(after);
    } catch (error) {
      throw fail('the transform returned a document that is not JSON', error);
    }
    updates.push({ id: entry.id, before: entry.doc, after, revision: entry.revision });
    report.migrated++;
    if (jsonEqual(dataOf(entry.doc), dataOf(after))) continue;
    report.changed++;
    if (report.samples.length < input.samples) {
      report.samples.push({
        id: entry.id,
        from: version,
        to: step.to,
        changes: diffJson(dataOf(entry.doc), dataOf(after)),
      });
    }
  }
  return { collection, updates, report };
}
