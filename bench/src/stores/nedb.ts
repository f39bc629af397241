import nedbModule from '@seald-io/nedb';
import type { BenchRecord } from '../records.js';

// The typings declare an ES default export; at run time the CommonJS module is the class itself.
const Datastore = nedbModule as unknown as typeof nedbModule.default;

type NedbStore = InstanceType<typeof Datastore<BenchRecord>>;

/**
 * A persistent NeDB datastore with indexes on status and story. NeDB appends
 * each insert to its file with `fs.appendFile` and never fsyncs it.
 */
export async function openNedb(file: string): Promise<NedbStore> {
  const db = new Datastore<BenchRecord>({ filename: file });
  await db.loadDatabaseAsync();
  await db.ensureIndexAsync({ fieldName: 'status' });
  await db.ensureIndexAsync({ fieldName: 'metadata.story_id' });
  return db;
}
