import type { StandardSchemaV1 } from '@vellum/atomic-io';
import { Collection, type CollectionOptions } from '@vellum/collection';
import { isDocument } from './document.js';
import type { Doc } from './registry.js';

/**
 * How a store's collection is opened, as the application opens it but without
 * `root`, `name` and `schema`: migrations read and write documents of several
 * versions, which no single schema accepts. Pass the same `layout` (and
 * `indexes`, so persisted index files are rewritten) as the application.
 */
export type MigrationCollectionSetup = Omit<CollectionOptions<Doc>, 'root' | 'name' | 'schema'>;

/**
 * Types a collection's setup with the application's document type and
 * returns it in the form `Migrator` takes (its index keys and layout paths
 * then see documents of several versions: keep them tolerant).
 */
export function defineCollection<T>(
  setup: Omit<CollectionOptions<T>, 'root' | 'name' | 'schema'>,
): MigrationCollectionSetup {
  return setup as unknown as MigrationCollectionSetup;
}

/** Accepts any JSON object: during a migration documents of two versions coexist. */
export const anyDocument: StandardSchemaV1<unknown, Doc> = {
  '~standard': {
    version: 1,
    vendor: 'vellum-migrate',
    validate: (value) =>
      isDocument(value) ? { value } : { issues: [{ message: 'expected a JSON object', path: [] }] },
  },
};

export function idFieldOf(setup: MigrationCollectionSetup): string {
  return setup.idField ?? 'id';
}

/**
 * Opens a collection for migrating: the application's setup with a schema that accepts any JSON object.
 * @throws whatever `Collection.open` throws (a corrupt journal, a lock timeout...).
 */
export async function openForMigration(
  root: string,
  name: string,
  setup: MigrationCollectionSetup,
): Promise<Collection<Doc>> {
  return Collection.open<Doc>({ ...setup, root, name, schema: anyDocument });
}

/** A document with the revision it was read at. */
export interface StoredEntry {
  id: string;
  doc: Doc;
  revision: number;
}

/** Every document of the collection with its revision, in id order. */
export async function readEntries(
  collection: Collection<Doc>,
  idField: string,
): Promise<StoredEntry[]> {
  const entries: StoredEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await collection.query({ limit: 1000, cursor, fields: [idField] });
    const ids = page.items.map((item) => item[idField]).filter((id) => typeof id === 'string');
    // Concurrent reads share one catch-up with the journal; one by one, each would stat it.
    const found = await Promise.all(ids.map((id) => collection.getEntry(id)));
    found.forEach((entry, i) => {
      const id = ids[i];
      if (entry !== undefined && id !== undefined)
        entries.push({ id, doc: entry.doc, revision: entry.revision });
    });
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return entries;
}
